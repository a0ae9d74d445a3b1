"""A small client for the enrolment service's tenant API, mapping failures to `CliError`s."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, NotRequired, Self, TypedDict, cast

import httpx

from onboarding_cli import __version__

UPLOAD_CHUNK_BYTES = 256 * 1024


class CliError(Exception):
    """A failure the CLI reports on one line; `exit_code` 1 for the API, 2 for usage/config."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ServiceUnreachable(CliError):
    exit_code = 2


class ApiError(CliError):
    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"{detail} (HTTP {status_code})")
        self.status_code = status_code
        self.detail = detail


class RowError(TypedDict):
    line: int
    field: str | None
    reason: str
    raw: str


class ImportSummary(TypedDict):
    id: str
    course: str
    status: str
    total_rows: int
    enrolled: int
    failed: int
    errors: list[RowError]
    cohort: NotRequired[str | None]


class EnrolmentPage(TypedDict):
    items: list[dict[str, Any]]
    next_cursor: str | None


Params = Mapping[str, str | int | None]


def format_detail(response: httpx.Response) -> str:
    """The API's `detail`, in one line, whatever shape FastAPI gave it."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:200] or response.reason_phrase or "no detail"
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return _flatten(detail)


def _flatten(detail: object) -> str:
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


def _clean(params: Params) -> dict[str, str | int]:
    return {key: value for key, value in params.items() if value not in (None, "")}


class EnrolmentClient(AbstractContextManager["EnrolmentClient"]):
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"onboard/{__version__}"},
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

    # --- the routes ---

    def import_csv(
        self,
        path: Path,
        *,
        course: str,
        cohort: str | None = None,
        invite: str | None = None,
        on_sent: Callable[[int], None] | None = None,
        timeout: float | None = 600.0,
    ) -> ImportSummary:
        """Upload `path` as the request body, a chunk at a time (never all in memory)."""
        size = path.stat().st_size

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as file:
                while chunk := file.read(UPLOAD_CHUNK_BYTES):
                    if on_sent is not None:
                        on_sent(len(chunk))
                    yield chunk

        request = self._http.build_request(
            "POST",
            "/v1/imports",
            params=_clean({"course": course, "cohort": cohort, "invite": invite}),
            content=chunks(),
            headers={"Content-Type": "text/csv", "Content-Length": str(size)},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        return cast(ImportSummary, self._send(request).json())

    def get_import(self, import_id: str) -> ImportSummary:
        request = self._http.build_request("GET", f"/v1/imports/{import_id}")
        return cast(ImportSummary, self._send(request).json())

    def funnel(self, params: Params) -> dict[str, int]:
        request = self._http.build_request("GET", "/v1/funnel", params=_clean(params))
        return cast(dict[str, int], self._send(request).json())

    def enrolments(self, params: Params) -> EnrolmentPage:
        request = self._http.build_request("GET", "/v1/enrolments", params=_clean(params))
        return cast(EnrolmentPage, self._send(request).json())

    def list_enrolments(
        self, params: Params, limit: int, page_size: int = 100
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` enrolments, following `next_cursor`; and whether more are left."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            want = min(page_size, limit - len(items))
            page = self.enrolments({**params, "limit": want, "cursor": cursor})
            items.extend(page["items"][: limit - len(items)])
            cursor = page.get("next_cursor")
            more = bool(cursor) or len(page["items"]) > want
            if len(items) >= limit or not cursor or not page["items"]:
                return items, more

    def enrolments_csv(self, params: Params) -> Iterator[bytes]:
        """The CSV export, as the service streams it."""
        request = self._http.build_request("GET", "/v1/enrolments.csv", params=_clean(params))
        response = self._send(request, stream=True)
        try:
            yield from response.iter_bytes()
        except httpx.TransportError as error:
            raise CliError(f"the export was cut off: {error}") from error
        finally:
            response.close()

    def url_for(self, path: str) -> str:
        return f"{self.base_url}{path}"

    # --- the error mapping ---

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        where = self.base_url
        try:
            response = self._http.send(request, stream=stream)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            reason = str(error).split("] ")[-1] or type(error).__name__
            raise ServiceUnreachable(
                f"cannot reach the enrolment service at {where} ({reason})",
                hint="is it running (`make up`)? or point --url / ENROLMENT_URL at it",
            ) from error
        except httpx.UnsupportedProtocol as error:
            raise ServiceUnreachable(f"{where} is not an http(s) URL") from error
        except httpx.TimeoutException as error:
            raise CliError(
                f"the enrolment service at {where} did not answer in time",
                hint="it may still be working; check with `onboard funnel`",
            ) from error
        except httpx.TransportError as error:
            raise ServiceUnreachable(
                f"lost the connection to the enrolment service at {where} "
                f"({error or type(error).__name__})"
            ) from error
        if response.is_error:
            if stream:
                response.read()
                response.close()
            raise ApiError(response.status_code, format_detail(response))
        return response
