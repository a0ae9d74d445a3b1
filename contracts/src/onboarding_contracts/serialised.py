"""Events written straight to their JSON, without a model per event.

A bulk producer (an import of 100,000 rows) would otherwise build and dump two pydantic
models per row, the largest part of its time. Here the envelope is a plain dict in the
model's key order, written by pydantic's own serialiser (`pydantic_core.to_json`, about ten
times faster than building the models): the same escapes, numbers and time format as
`Envelope.model_dump_json()`, which a test holds equal. The values must be those the model
would hold, already valid: nothing is checked again.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

from onboarding_contracts.envelope import Envelope, Origin, new_event_id


@dataclass(frozen=True, slots=True)
class SerialisedEvent:
    """An event as the outbox stores it: its attributes, and its whole envelope as JSON."""

    id: str
    type: str
    subject: str
    causation_id: str | None
    json: str


def serialised(
    event: type[Envelope],
    origin: Origin,
    data: Mapping[str, Any],
    *,
    event_id: str | None = None,
    at: datetime | None = None,
) -> SerialisedEvent:
    """The `event` from `origin` about `data` (its payload's fields by name; those left out
    take their defaults), as `event.new(origin, Payload(**data))` would dump it."""
    shape = _shape_of(event)
    if not shape.required <= data.keys() <= shape.known:
        _refuse(event, shape, data)
    payload = {name: data.get(name, default) for name, default in shape.defaults}
    event_id = event_id or new_event_id()
    subject = payload[event.subject_field]
    envelope = {
        "specversion": "1.0",
        "id": event_id,
        "type": event.event_type,
        "source": origin.source,
        "time": at or datetime.now(UTC),
        "subject": subject,
        "datacontenttype": "application/json",
        "tenantid": origin.tenant_id,
        "correlationid": origin.correlation_id,
        "causationid": origin.causation_id,
        "schemaversion": shape.schema_version,
        "data": payload,
    }
    return SerialisedEvent(
        event_id, event.event_type, subject, origin.causation_id, to_json(envelope).decode()
    )


@dataclass(frozen=True)
class _Shape:
    defaults: tuple[tuple[str, Any], ...]  # the payload's fields in the model's order
    known: frozenset[str]
    required: frozenset[str]
    schema_version: int


@cache
def _shape_of(event: type[Envelope]) -> _Shape:
    payload_model = event.model_fields["data"].annotation
    assert isinstance(payload_model, type) and issubclass(payload_model, BaseModel)
    fields = payload_model.model_fields
    return _Shape(
        defaults=tuple(
            (name, None if field.is_required() else field.get_default(call_default_factory=True))
            for name, field in fields.items()
        ),
        known=frozenset(fields),
        required=frozenset(name for name, field in fields.items() if field.is_required()),
        schema_version=int(event.model_fields["schema_version"].default),
    )


def _refuse(event: type[Envelope], shape: _Shape, data: Mapping[str, Any]) -> None:
    missing = sorted(shape.required - data.keys())
    unknown = sorted(data.keys() - shape.known)
    raise ValueError(
        f"{event.event_type}: "
        + "; ".join(
            [f"missing field(s) {', '.join(missing)}"] * bool(missing)
            + [f"no field(s) {', '.join(unknown)}"] * bool(unknown)
        )
    )
