"""Small clients for the services' APIs, mapping failures to `CliError`s (`errors`): what
every service's client shares (`ServiceClient`), and the enrolment service's tenant API
(`EnrolmentClient`); the operations API's is in `ops_client`.

Every JSON answer is parsed into its model in `api_models` or `ops_models`; an answer that
does not fit is an `ApiDrift`, reported with the route and the fields that did not match."""

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from onboarding_cli import __version__
from onboarding_cli.api_models import (
    ACTIVATE,
    ACTIVATE_ONE,
    CREDENTIALS,
    ENROLMENTS,
    ENROLMENTS_CSV,
    FUNNEL,
    GET_IMPORT,
    GET_SETTINGS,
    IMPORT,
    IMPORT_ERRORS_CSV,
    INVITATIONS,
    PUT_SETTINGS,
    REMIND,
    REMIND_ONE,
    RESEND,
    ActivatedOut,
    ActivateIn,
    CredentialsIn,
    CredentialsOut,
    EnrolmentOut,
    EnrolmentPage,
    FunnelOut,
    FunnelQuery,
    ImportOut,
    ImportQuery,
    InvitationOut,
    InvitationPage,
    InvitationQuery,
    InvitePolicy,
    PageQuery,
    Query,
    RemindedOut,
    RemindIn,
    Route,
    SelectionQuery,
    SettingsBody,
    SettingsChanges,
)
from onboarding_cli.errors import (
    ApiError,
    CliError,
    ServiceUnreachable,
    parse_answer,
    problem_of,
)

UPLOAD_CHUNK_BYTES = 256 * 1024
_QUOTE_OR_NEWLINE = re.compile(rb'["\n]')

Item = TypeVar("Item")


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

        def page(want: int, cursor: str | None) -> tuple[list[EnrolmentOut], str | None]:
            found = self.enrolments(PageQuery(**selection.model_dump(), limit=want, cursor=cursor))
            return found.items, found.next_cursor

        return follow_pages(page, limit, page_size)

    def invitations(self, query: InvitationQuery) -> InvitationPage:
        request = self._request(INVITATIONS, query=query)
        return parse_answer(INVITATIONS, InvitationPage, self._send(request))

    def list_invitations(
        self, selection: InvitationQuery, limit: int, page_size: int = 100
    ) -> tuple[list[InvitationOut], bool]:
        """Up to `limit` invitations of `selection` (its own limit and cursor aside),
        following `next_cursor`; and whether more are left."""
        filters = selection.model_dump(exclude={"limit", "cursor"})

        def page(want: int, cursor: str | None) -> tuple[list[InvitationOut], str | None]:
            found = self.invitations(InvitationQuery(**filters, limit=want, cursor=cursor))
            return found.items, found.next_cursor

        return follow_pages(page, limit, page_size)

    def resend(self, enrolment_id: str) -> InvitationOut:
        request = self._request(RESEND, enrolment_id=enrolment_id)
        return parse_answer(RESEND, InvitationOut, self._send(request))

    def remind_one(self, enrolment_id: str) -> EnrolmentOut:
        request = self._request(REMIND_ONE, enrolment_id=enrolment_id)
        return parse_answer(REMIND_ONE, EnrolmentOut, self._send(request))

    def remind(self, whom: RemindIn) -> RemindedOut:
        request = self._request(REMIND, json=whom.model_dump(mode="json", exclude_none=True))
        return parse_answer(REMIND, RemindedOut, self._send(request))

    def activate_one(self, enrolment_id: str) -> EnrolmentOut:
        request = self._request(ACTIVATE_ONE, enrolment_id=enrolment_id)
        return parse_answer(ACTIVATE_ONE, EnrolmentOut, self._send(request))

    def activate(self, whom: ActivateIn) -> ActivatedOut:
        request = self._request(ACTIVATE, json=whom.model_dump(mode="json", exclude_none=True))
        return parse_answer(ACTIVATE, ActivatedOut, self._send(request))

    def send_credentials(self, whom: CredentialsIn) -> CredentialsOut:
        request = self._request(CREDENTIALS, json=whom.model_dump(mode="json", exclude_none=True))
        return parse_answer(CREDENTIALS, CredentialsOut, self._send(request))

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

    def put_settings(self, changes: SettingsChanges) -> SettingsBody:
        request = self._request(PUT_SETTINGS, json=changes.body())
        return parse_answer(PUT_SETTINGS, SettingsBody, self._send(request))

    def errors_csv_url(self, import_id: str) -> str:
        return f"{self.base_url}{IMPORT_ERRORS_CSV.url(import_id=import_id)}"


def follow_pages(
    page: Callable[[int, str | None], tuple[Sequence[Item], str | None]],
    limit: int,
    page_size: int = 100,
) -> tuple[list[Item], bool]:
    """Up to `limit` items of a list read a page at a time (`page(how_many, cursor)` gives
    its items and the next cursor); and whether more are left."""
    items: list[Item] = []
    cursor: str | None = None
    while True:
        want = min(page_size, limit - len(items))
        found, cursor = page(want, cursor)
        items.extend(found[: limit - len(items)])
        more = bool(cursor) or len(found) > want
        if len(items) >= limit or not cursor or not found:
            return items, more


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
