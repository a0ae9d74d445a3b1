"""Small clients for the services' APIs, mapping failures to `CliError`s: the enrolment
service's tenant API (`EnrolmentClient`) and the operations API every service answers
(`OpsClient`).

Every JSON answer is parsed into its model in `api_models` or `ops_models`; an answer that
does not fit is an `ApiDrift`, reported with the route and the fields that did not match."""

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from onboarding_cli import __version__
from onboarding_cli.api_models import (
    ENROLMENTS,
    ENROLMENTS_CSV,
    FUNNEL,
    GET_IMPORT,
    GET_SETTINGS,
    IMPORT,
    IMPORT_ERRORS_CSV,
    PROBLEM_MEDIA_TYPE,
    PUT_SETTINGS,
    EnrolmentOut,
    EnrolmentPage,
    FieldProblem,
    FunnelOut,
    FunnelQuery,
    ImportOut,
    ImportQuery,
    InvitePolicy,
    PageQuery,
    Problem,
    Query,
    Route,
    SelectionQuery,
    SettingsBody,
)
from onboarding_cli.config import url_var
from onboarding_cli.ops_models import (
    LIST_DEAD_LETTERS,
    OPS_TOKEN_HEADER,
    REPLAY_DEAD_LETTER,
    SHOW_DEAD_LETTER,
    DeadLetterDetail,
    DeadLetterList,
    DeadLetterOut,
    ReplayOut,
)

UPLOAD_CHUNK_BYTES = 256 * 1024
MAX_DRIFT_ERRORS = 5
_QUOTE_OR_NEWLINE = re.compile(rb'["\n]')

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


class ServiceClient(AbstractContextManager["ServiceClient"]):
    """One service's HTTP API: requests built from their `Route`s, failures as `CliError`s
    that name the service (`service`) and say what to do (`reach_hint`, `slow_hint`)."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        service: str,
        reach_hint: str,
        slow_hint: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.reach_hint = reach_hint
        self.slow_hint = slow_hint
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={**headers, "User-Agent": f"onboard/{__version__}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._http.close()

    def _request(self, route: Route, *, query: Query | None = None, **kwargs: Any) -> httpx.Request:
        path_params = {k: kwargs.pop(k) for k in list(kwargs) if f"{{{k}}}" in route.path}
        if route.path_params is not None:  # raises ValidationError: a request not to send
            route.path_params.model_validate(path_params)
        if query is not None:
            assert route.query is not None and isinstance(query, route.query), route
            kwargs["params"] = query.params()
        return self._http.build_request(route.method, route.url(**path_params), **kwargs)

    def _send(
        self, request: httpx.Request, *, stream: bool = False, slow_hint: str | None = None
    ) -> httpx.Response:
        where, service = self.base_url, self.service
        try:
            response = self._http.send(request, stream=stream)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            reason = str(error).split("] ")[-1] or type(error).__name__
            raise ServiceUnreachable(
                f"cannot reach the {service} service at {where} ({reason})", hint=self.reach_hint
            ) from error
        except httpx.UnsupportedProtocol as error:
            raise ServiceUnreachable(f"{where} is not an http(s) URL") from error
        except httpx.TimeoutException as error:
            raise CliError(
                f"the {service} service at {where} did not answer in time",
                hint=slow_hint or self.slow_hint,
            ) from error
        except httpx.TransportError as error:
            raise ServiceUnreachable(
                f"lost the connection to the {service} service at {where} "
                f"({error or type(error).__name__})"
            ) from error
        if response.is_error:
            if stream:
                response.read()
                response.close()
            raise ApiError(response.status_code, problem_of(response))
        return response


class EnrolmentClient(ServiceClient):
    """The enrolment service's tenant API, with a tenant's API key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            {"Authorization": f"Bearer {api_key}"},
            service="enrolment",
            reach_hint="is it running (`make up`)? or point --url / ENROLMENT_URL at it",
            slow_hint="it may still be working; check with `onboard funnel`",
            timeout=timeout,
            transport=transport,
        )

    # --- the routes ---

    def import_csv(
        self,
        path: Path,
        *,
        course: str,
        cohort: str | None = None,
        invite: InvitePolicy | None = None,
        on_sent: Callable[[int], None] | None = None,
        timeout: float | None = 600.0,
    ) -> ImportOut:
        """Upload `path` as the request body, a chunk at a time (never all in memory)."""
        size = path.stat().st_size

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as file:
                while chunk := file.read(UPLOAD_CHUNK_BYTES):
                    if on_sent is not None:
                        on_sent(len(chunk))
                    yield chunk

        request = self._request(
            IMPORT,
            query=ImportQuery(course=course, cohort=cohort, invite=invite),
            content=chunks(),
            headers={"Content-Type": "text/csv", "Content-Length": str(size)},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        return parse_answer(IMPORT, ImportOut, self._send(request))

    def get_import(self, import_id: str) -> ImportOut:
        request = self._request(GET_IMPORT, import_id=import_id)
        return parse_answer(GET_IMPORT, ImportOut, self._send(request))

    def funnel(self, query: FunnelQuery) -> FunnelOut:
        request = self._request(FUNNEL, query=query)
        return parse_answer(FUNNEL, FunnelOut, self._send(request))

    def enrolments(self, query: PageQuery) -> EnrolmentPage:
        request = self._request(ENROLMENTS, query=query)
        return parse_answer(ENROLMENTS, EnrolmentPage, self._send(request))

    def list_enrolments(
        self, selection: SelectionQuery, limit: int, page_size: int = 100
    ) -> tuple[list[EnrolmentOut], bool]:
        """Up to `limit` enrolments, following `next_cursor`; and whether more are left."""
        items: list[EnrolmentOut] = []
        cursor: str | None = None
        while True:
            want = min(page_size, limit - len(items))
            page = self.enrolments(PageQuery(**selection.model_dump(), limit=want, cursor=cursor))
            items.extend(page.items[: limit - len(items)])
            cursor = page.next_cursor
            more = bool(cursor) or len(page.items) > want
            if len(items) >= limit or not cursor or not page.items:
                return items, more

    def enrolments_csv(
        self, selection: SelectionQuery, limit: int | None = None
    ) -> Iterator[bytes]:
        """The CSV export, as the service streams it: the header and at most `limit` records
        (the export itself has no limit, so the stream is cut after the last one wanted)."""
        request = self._request(ENROLMENTS_CSV, query=selection)
        response = self._send(request, stream=True)
        try:
            chunks = response.iter_bytes()
            yield from chunks if limit is None else _first_records(chunks, limit + 1)
        except httpx.TransportError as error:
            raise CliError(f"the export was cut off: {error}") from error
        finally:
            response.close()

    def get_settings(self) -> SettingsBody:
        request = self._request(GET_SETTINGS)
        return parse_answer(GET_SETTINGS, SettingsBody, self._send(request))

    def put_settings(self, settings: SettingsBody) -> SettingsBody:
        request = self._request(PUT_SETTINGS, json=settings.model_dump(mode="json"))
        return parse_answer(PUT_SETTINGS, SettingsBody, self._send(request))

    def errors_csv_url(self, import_id: str) -> str:
        return f"{self.base_url}{IMPORT_ERRORS_CSV.url(import_id=import_id)}"


# A listing or a lookup reads the dead-letter topics from Kafka (the service gives up after
# 30 s); a replay applies the event with the consumer's retries and backoff.
OPS_TIMEOUT_S = 60.0
REPLAY_TIMEOUT_S = 180.0


class OpsClient(ServiceClient):
    """The operations API of one service (every service answers it, for the events its own
    consumer parked), with the operations token."""

    def __init__(
        self,
        service: str,
        base_url: str,
        token: str,
        *,
        timeout: float = OPS_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            {OPS_TOKEN_HEADER: token},
            service=service,
            reach_hint=f"is it running (`make up`)? or point {url_var(service)} at it",
            slow_hint="it reads the dead letters from Kafka: is Kafka up?",
            timeout=timeout,
            transport=transport,
        )

    def dead_letters(self) -> list[DeadLetterOut]:
        """What this service's consumer parked, oldest first."""
        request = self._request(LIST_DEAD_LETTERS)
        return parse_answer(LIST_DEAD_LETTERS, DeadLetterList, self._send(request)).root

    def dead_letter(self, letter_id: str) -> DeadLetterDetail:
        request = self._request(SHOW_DEAD_LETTER, letter_id=letter_id)
        return parse_answer(SHOW_DEAD_LETTER, DeadLetterDetail, self._send(request))

    def replay(self, letter_id: str, *, timeout: float = REPLAY_TIMEOUT_S) -> ReplayOut:
        request = self._request(
            REPLAY_DEAD_LETTER, letter_id=letter_id, timeout=httpx.Timeout(timeout, connect=5.0)
        )
        slow = f"the replay may still go through; check with `onboard dlq show {letter_id}`"
        return parse_answer(REPLAY_DEAD_LETTER, ReplayOut, self._send(request, slow_hint=slow))


def _first_records(chunks: Iterator[bytes], records: int) -> Iterator[bytes]:
    """The bytes of the first `records` CSV records (RFC 4180: a line break inside quotes is
    part of the field, not the end of the record)."""
    quoted = False
    for chunk in chunks:
        for mark in _QUOTE_OR_NEWLINE.finditer(chunk):
            if mark.group() == b'"':
                quoted = not quoted
            elif not quoted:
                records -= 1
                if records == 0:
                    yield chunk[: mark.end()]
                    return
        yield chunk
