"""The envelope every onboarding event travels in.

It is a CloudEvents 1.0 event in structured JSON mode: the standard attributes (`id`,
`source`, `type`, `time`, `subject`, ...) plus the platform's extension attributes. CloudEvents
allows only lowercase letters and digits in attribute names, so the extensions are written
`tenantid`, `correlationid`, `causationid` and `schemaversion` on the wire while Python code
uses the snake_case field names.
"""

import os
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

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


class Envelope(BaseModel):
    """Attributes shared by every event. Concrete events fix `type` and `data`."""

    model_config = ConfigDict(
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )

    # Set by each concrete event class.
    event_type: ClassVar[str]

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
    def caused_by(cls, cause: "Envelope", *, source: str, subject: str, data: Any) -> Self:
        """A new event in reaction to `cause`: same tenant and correlation, causation = cause."""
        return cls(
            type=cls.event_type,
            source=source,
            subject=subject,
            tenant_id=cause.tenant_id,
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
            data=data,
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
