"""What text the enrolment service accepts at all, whatever the field.

PostgreSQL cannot store a NUL character, and other control characters in a name or a code
are never meant: they are refused with the field named, in the API and per CSV row, so
that one bad value costs its own row and nothing else. The same rules are published in the
OpenAPI document as patterns (`NO_CONTROL_PATTERN`, `NAME_PATTERN`), so a client can check
before sending.
"""

import re

from enrolment.errors import InvalidEnrolment

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
MAX_NAME_LENGTH = 200
MAX_EXTERNAL_ID_LENGTH = 100
MAX_PHONE_LENGTH = 32
MAX_CODE_LENGTH = 200  # course and cohort codes
MAX_FILTER_LENGTH = 200
MAX_LOCALE_LENGTH = 35

# The contract's `Locale`: a BCP 47 language tag ("en", "fr", "pt-BR").
LOCALE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

# A course or cohort code: no control character, no space at either end.
CODE_PATTERN = r"^[^\x00-\x20\x7f]([^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
# No control character at all (ids, filters).
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# In a name, whitespace controls (tab, line breaks) are folded into spaces; others refused.
NAME_PATTERN = r"^[^\x00-\x08\x0e-\x1f\x7f]*\S[^\x00-\x08\x0e-\x1f\x7f]*$"
_NAME_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def refuse_control_characters(field: str, value: str | None, *, in_name: bool = False) -> None:
    if value and (_NAME_CONTROL if in_name else _CONTROL).search(value):
        raise InvalidEnrolment(field, "contains a control character")


def refuse_longer_than(field: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise InvalidEnrolment(field, f"longer than {limit} characters")


def printable(value: str) -> str:
    """`value` with every control character shown as U+FFFD: safe to store and display
    (the raw text of a refused CSV row)."""
    return _CONTROL.sub("\ufffd", value)
