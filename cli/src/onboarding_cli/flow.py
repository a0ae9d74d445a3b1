"""`onboard flow`: the event flow through the four services, live, for operators.

Every refresh scrapes each service's `GET /metrics` (Prometheus text, no auth) and reads
the tenant's funnel from the enrolment API, all at once. Rates are worked out between a
service's latest two scrapes (`flow_figures`), so the first view has none; `--once` scrapes
twice, `--interval` apart, and prints one view. A service that does not answer is shown as
down, and the view carries on.

The enrolment API cannot list a tenant's imports, so the funnel is the whole tenant's
(`GET /v1/funnel` without a filter) rather than that of the newest imports.
"""

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from types import TracebackType
from typing import Annotated, Self

import httpx
import typer
from rich.console import Console
from rich.live import Live

from onboarding_cli.api_models import FunnelOut, FunnelQuery, Route
from onboarding_cli.client import EnrolmentClient, ServiceClient
from onboarding_cli.config import ConfigError, load_config, load_ops_config, url_var
from onboarding_cli.errors import CliError
from onboarding_cli.flow_figures import ServiceFlow, service_flow
from onboarding_cli.flow_view import FlowView, flow_view
from onboarding_cli.metrics_text import MetricsTextError, Scrape, parse_samples
from onboarding_cli.output import fail, out
from onboarding_cli.session import ApiKeyOption, UrlOption

# Not in the services' OpenAPI documents (`include_in_schema=False`), so not in `ROUTES`.
METRICS = Route("GET", "/metrics", answer_media_type="text/plain")
SCRAPE_TIMEOUT_S = 5.0  # a view waits for the slowest service, so a hung one is cut short
MIN_REFRESH_S = 0.2
FUNNEL_SCOPE = "the whole tenant"  # the API lists no imports to pick the newest from

# When each scrape happened and how the view waits between them; module attributes, so a
# test can run the view on a clock of its own.
clock: Callable[[], float] = time.monotonic
pause: Callable[[float], None] = time.sleep


class MetricsClient(ServiceClient):
    """A service's `GET /metrics`."""

    def __init__(
        self, service: str, base_url: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__(
            base_url,
            {},
            service=service,
            reach_hint=f"is it running (`make up`)? or point {url_var(service)} at it",
            slow_hint="is it overloaded?",
            timeout=SCRAPE_TIMEOUT_S,
            transport=transport,
        )

    def scrape(self) -> Scrape:
        response = self._send(self._request(METRICS))
        try:
            samples = parse_samples(response.text)
        except MetricsTextError as error:
            raise CliError(f"its /metrics is not Prometheus text ({error})") from error
        return Scrape(clock(), samples)


class FlowWatcher:
    """Scrapes the services and reads the funnel, remembering each service's latest scrape
    for the rates of the next view."""

    def __init__(
        self,
        urls: Mapping[str, str],
        enrolment_url: str,
        api_key: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._stack = ExitStack()
        self._metrics = {
            service: MetricsClient(service, url, transport=transport)
            for service, url in urls.items()
        }
        self._enrolment = (
            EnrolmentClient(enrolment_url, api_key, timeout=SCRAPE_TIMEOUT_S, transport=transport)
            if api_key
            else None
        )
        for client in (*self._metrics.values(), self._enrolment):
            if client is not None:
                self._stack.push(client)  # closed with the watcher
        self._previous: dict[str, Scrape] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    def look(self) -> FlowView:
        """One view: every service's row (rates since the last look) and the funnel."""
        with ThreadPoolExecutor(max_workers=len(self._metrics) + 1) as pool:
            funnel = pool.submit(self._funnel)
            rows = self.scrape(pool)
            return FlowView(datetime.now(UTC), rows, funnel.result(), FUNNEL_SCOPE)

    def scrape(self, pool: ThreadPoolExecutor | None = None) -> list[ServiceFlow]:
        """Every service's row, its scrape kept for the next rates; all at once."""
        with ExitStack() as own:
            if pool is None:
                pool = own.enter_context(ThreadPoolExecutor(max_workers=len(self._metrics)))
            scrapes = {s: pool.submit(_scrape, c) for s, c in self._metrics.items()}
            return [self._row(service, future) for service, future in scrapes.items()]

    def _row(self, service: str, future: Future[Scrape | str]) -> ServiceFlow:
        latest = future.result()
        row = service_flow(service, latest, self._previous.get(service))
        if isinstance(latest, Scrape):
            self._previous[service] = latest
        else:  # the next rate starts over from the next scrape that works
            self._previous.pop(service, None)
        return row

    def _funnel(self) -> FunnelOut | str:
        if self._enrolment is None:
            return "no API key: pass --api-key, set ONBOARDING_API_KEY, or run `make up`"
        try:
            return self._enrolment.funnel(FunnelQuery())
        except CliError as error:
            return error.message


def _scrape(client: MetricsClient) -> Scrape | str:
    try:
        return client.scrape()
    except CliError as error:
        return error.message


def flow(
    once: Annotated[
        bool, typer.Option("--once", help="Print one view (two scrapes apart) and exit.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds between scrapes (the refresh). With --once, 0: one scrape."
        ),
    ] = 2.0,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """The event flow, live: each service's events, lag, outbox and dead letters, the
    messages sent, and the funnel."""
    try:
        config = load_config(url=url, api_key=api_key)
        ops = load_ops_config()
    except ConfigError as error:
        fail(str(error), 2)
    urls = {service: setting.value for service, setting in ops.urls.items()}
    urls["enrolment"] = config.url.value  # --url names the enrolment service for both
    key = config.api_key.value if config.api_key else None
    console = out()
    with FlowWatcher(urls, config.url.value, key) as watcher:
        try:
            if once:
                _once(console, watcher, interval)
            else:
                live(console, watcher, max(interval, MIN_REFRESH_S))
        except KeyboardInterrupt:
            pass  # Ctrl-C: the view was the point; nothing to undo


def _once(console: Console, watcher: FlowWatcher, interval: float) -> None:
    if interval > 0:  # a first scrape, for the rates; the funnel is read once, with the second
        watcher.scrape()
        pause(interval)
    console.print(flow_view(watcher.look()))


def live(console: Console, watcher: FlowWatcher, interval: float) -> None:
    """Redraw in place on a terminal; elsewhere (a pipe, a file) print view after view."""
    if not console.is_terminal:
        while True:
            console.print(flow_view(watcher.look()))
            console.print()
            pause(interval)
    with Live(flow_view(watcher.look()), console=console, auto_refresh=False) as screen:
        while True:
            pause(interval)
            screen.update(flow_view(watcher.look()), refresh=True)
