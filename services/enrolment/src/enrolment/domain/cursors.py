"""Cursors of the enrolment list: an opaque place in the order (created_at, id)."""

import base64
import json
from datetime import datetime

from enrolment.errors import InvalidEnrolment


def encode_cursor(created_at: datetime, enrolment_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), enrolment_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, enrolment_id = json.loads(raw)
        if not isinstance(created_at, str) or not isinstance(enrolment_id, str):
            raise TypeError("not a pair of strings")
        return datetime.fromisoformat(created_at), enrolment_id
    except (ValueError, TypeError) as error:
        raise InvalidEnrolment("cursor", "not a cursor this API returned") from error
