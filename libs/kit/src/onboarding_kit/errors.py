"""The errors every service raises below its routes, free of HTTP machinery.

Each carries the status it answers with and, for bad input, the fields it names; the kit's
`problems` module turns them into RFC 9457 answers. A service's `errors.py` subclasses
these, so that its one mapping from exception to answer is the class itself.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str  # a body field, query or path parameter
    reason: str  # why it was refused, in words a person can act on


class Problem(Exception):
    """An answer other than success, explained. Subclasses fix `status` and `title`."""

    status: int = 400
    title: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extensions = extensions

    @property
    def heading(self) -> str:
        return self.title or HTTPStatus(self.status).phrase


class InvalidInput(Problem):
    """Some fields of the request are refused (422), each named in `errors`."""

    status = 422
    title = "Invalid request"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(
            "; ".join(f"{field}: {reason}" for field, reason in errors.items()),
            errors=[FieldError(field, reason) for field, reason in errors.items()],
        )
        self.fields = dict(errors)


class InvalidField(InvalidInput):
    """One field of the request is refused (422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__({field: reason})
        self.field = field
        self.reason = reason


class NotFound(Problem):
    status = 404
    title = "Not found"


class Conflict(Problem):
    """The request is valid, but the current state of things forbids it."""

    status = 409
    title = "Conflict"


class Unavailable(Problem):
    """Something this answer depends on cannot be reached now: try again shortly."""

    status = 503
    title = "Service unavailable"
