"""An email address as the events carry it.

The enrolment API validates every address fully (syntax, length, normalisation) before an
event is written, so a consumer only checks an address's shape: one `@` with text on both
sides and no whitespace. The full check is costly enough per event to halve a consumer's
throughput. The JSON Schema is the one a full check would publish (`format: email`)."""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema

_SHAPE = re.compile(r"[^@\s]+@[^@\s]+")


def _address_shaped(value: str) -> str:
    if _SHAPE.fullmatch(value) is None:
        raise ValueError(
            "value is not a valid email address: it needs one @ with text on "
            "both sides and no spaces"
        )
    return value


_SCHEMA: dict[str, Any] = {"type": "string", "format": "email"}
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a path, less its angle brackets

EmailAddress = Annotated[str, AfterValidator(_address_shaped), WithJsonSchema(_SCHEMA)]
# What the enrolment API accepts, and so every event it writes.
BoundedEmailAddress = Annotated[
    str,
    Field(max_length=MAX_EMAIL_LENGTH),
    AfterValidator(_address_shaped),
    WithJsonSchema({**_SCHEMA, "maxLength": MAX_EMAIL_LENGTH}),
]
