"""The envelope every onboarding event travels in, and where new events come from.

It is a CloudEvents 1.0 event in structured JSON mode: the standard attributes (`id`,
`source`, `type`, `time`, `subject`, ...) plus the platform's extension attributes. CloudEvents
allows only lowercase letters and digits in attribute names, so the extensions are written
`tenantid`, `correlationid`, `causationid` and `schemaversion` on the wire while Python code
uses the snake_case field names.

A concrete event names its type once, in the `Literal` of its `type` field; the class
attribute `event_type` and the field's default are derived from it. Every event is made by
its class's `new(origin, data)`: the subject comes from the data (`subject_field`), the
tenant, correlation and causation from the `Origin`.
"""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def new_event_id() -> str:
    """A random (version 4) UUID as text, built without the `uuid.UUID` object, which costs
    several times more: a 100,000-row import makes two ids per row."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Payload(BaseModel):
    """Base of every event's `data`: unknown fields are kept, so an older consumer can read
    a newer producer's events (fields are only ever added, never removed or retyped)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @classmethod
    def from_fields(cls, *sources: object, **values: Any) -> Self:
        """This payload from the attributes of `sources` named like its fields (a later
        source wins), then `values`; validated."""
        found = {
            name: getattr(source, name)
            for source in sources
            for name in cls.model_fields
            if hasattr(source, name)
        }
        return cls.model_validate({**found, **values})


@dataclass(frozen=True)
class Origin:
    """Where new events come from: the service emitting them, the tenant they belong to,
    the request they are part of (correlation) and the event that caused them, if any."""

    source: str
    tenant_id: str
    correlation_id: str
    causation_id: str | None = None

    @classmethod
    def reacting_to(cls, cause: "Envelope", source: str) -> "Origin":
        """Events caused by `cause`: same tenant and correlation, causation = its id."""
        return cls(source, cause.tenant_id, cause.correlation_id, cause.id)

    def then(self, cause: "Envelope") -> "Origin":
        """The origin of an event caused by `cause`, which this origin produced."""
        return Origin(self.source, self.tenant_id, self.correlation_id, cause.id)


class Envelope(BaseModel):
    """Attributes shared by every event. Concrete events fix `type` and `data`."""

    model_config = ConfigDict(
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )

    # Derived from the concrete event's `type: Literal[...]`.
    event_type: ClassVar[str]
    # The field of `data` that holds the aggregate id (the subject and Kafka key).
    subject_field: ClassVar[str]

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=new_event_id, description="Unique per event; the dedup key")
    type: str
    source: str = Field(
        description="The service that emitted the event, e.g. /onboarding/enrolment"
    )
    time: AwareDatetime = Field(default_factory=_utcnow)
    subject: str = Field(description="Id of the aggregate; also the Kafka message key")
    datacontenttype: Literal["application/json"] = "application/json"
    tenant_id: str = Field(alias="tenantid")
    correlation_id: str = Field(
        alias="correlationid",
        description="Shared by every event caused, directly or not, by one request",
    )
    causation_id: str | None = Field(
        default=None, alias="causationid", description="Id of the event that caused this one"
    )
    schema_version: int = Field(default=1, alias="schemaversion", ge=1)
    data: Payload

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields["type"]
        literal = get_args(field.annotation)
        if literal:
            cls.event_type = literal[0]
            field.default = literal[0]
            cls.model_rebuild(force=True)

    @classmethod
    def new(cls, origin: Origin, data: Payload) -> Self:
        """This event, from `origin`, about the aggregate named in `data`."""
        return cls(
            type=cls.event_type,
            source=origin.source,
            subject=getattr(data, cls.subject_field),
            tenant_id=origin.tenant_id,
            correlation_id=origin.correlation_id,
            causation_id=origin.causation_id,
            data=data,
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
