"""The failures `onboard` reports (`CliError` and its kinds), and how an answer of the API
is read: into its model (an `ApiDrift` when it does not fit), or, for an error, into the
problem it describes."""

from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from onboarding_cli import __version__
from onboarding_cli.api_models import PROBLEM_MEDIA_TYPE, FieldProblem, Problem, Route

MAX_DRIFT_ERRORS = 5

Answer = TypeVar("Answer", bound=BaseModel)


class CliError(Exception):
    """A failure the CLI reports on one line (and `details` below it); `exit_code` 1 for the
    API, 2 for usage/config."""

    exit_code = 1

    def __init__(
        self, message: str, *, hint: str | None = None, details: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []


class ServiceUnreachable(CliError):
    exit_code = 2


class ApiError(CliError):
    """The API refused: its problem's `detail`, and each `errors[].field: reason` below."""

    def __init__(self, status_code: int, problem: Problem) -> None:
        self.status_code = status_code
        self.problem = problem
        self.detail = problem.detail or problem.title or f"HTTP {status_code}"
        fields = [_field_problem(error) for error in problem.errors]
        # A `detail` that only lists the bad fields is headed by the title instead, so that
        # each field is said once, on its own line.
        headline = self.detail
        if fields and problem.title and self.detail == "; ".join(fields):
            headline = problem.title
        super().__init__(f"{headline} (HTTP {status_code})", details=fields)


class ApiDrift(CliError):
    """The API answered something the CLI does not understand: the two have drifted."""

    def __init__(self, route: Route, problem: str, details: list[str] | None = None) -> None:
        super().__init__(
            f"the answer to {route} {problem}",
            hint=f"is onboard {__version__} older or newer than the service?",
            details=details,
        )


def _field_problem(error: FieldProblem) -> str:
    return f"{error.field}: {error.reason}" if error.field else error.reason


def problem_of(response: httpx.Response) -> Problem:
    """The problem an error answer describes: RFC 9457 problem details, or failing that
    whatever `detail` FastAPI's defaults gave, or the text of the answer."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return Problem(status=response.status_code, detail=text[:200] or response.reason_phrase)
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if isinstance(body, dict) and (media_type == PROBLEM_MEDIA_TYPE or "title" in body):
        try:
            return Problem.model_validate(body)
        except ValidationError:
            pass
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return Problem(status=response.status_code, detail=_flatten(detail))


def _flatten(detail: object) -> str:
    """FastAPI's own error `detail`s, in one line (a service that predates problem details)."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        if "reason" in detail:
            field = detail.get("field")
            return f"{field}: {detail['reason']}" if field else str(detail["reason"])
        if "msg" in detail:  # one of FastAPI's validation errors
            loc = [str(part) for part in detail.get("loc", []) if part not in ("body", "query")]
            return f"{'.'.join(loc)}: {detail['msg']}" if loc else str(detail["msg"])
    if isinstance(detail, list):
        return "; ".join(_flatten(item) for item in detail)
    return str(detail)


def parse_answer(route: Route, model: type[Answer], response: httpx.Response) -> Answer:
    """`response`'s JSON as `model`, or an `ApiDrift` naming the fields that do not fit."""
    assert route.answer is model, f"{route} answers {route.answer}, not {model}"
    try:
        body = response.json()
    except ValueError:
        media_type = response.headers.get("content-type") or "no content type"
        raise ApiDrift(route, f"is not JSON ({media_type})") from None
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise ApiDrift(
            route, f"does not match what onboard expects ({model.__name__})", describe(error)
        ) from None


def describe(error: ValidationError, most: int = MAX_DRIFT_ERRORS) -> list[str]:
    """`field: what is wrong` for each of pydantic's errors, at most `most` of them."""
    problems = [
        f"{'.'.join(str(part) for part in e['loc']) or '(the body)'}: {e['msg']}"
        for e in error.errors()
    ]
    more = len(problems) - most
    return problems[:most] + ([f"… and {more} more"] if more > 0 else [])
