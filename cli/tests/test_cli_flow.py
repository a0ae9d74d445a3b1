"""`onboard flow` against doubles of the four services' `/metrics` and the enrolment API's
funnel, with metrics texts written by the services' own runtime (`ServiceMetrics`)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from onboarding_cli import flow as flow_module
from onboarding_cli.flow_figures import (
    CONSUMER_LAG,
    DEAD_LETTERS_WAITING,
    EVENTS_CONSUMED,
    NOTIFICATIONS,
    OUTBOX_DEPTH,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
    ServiceFlow,
    rate,
    service_flow,
)
from onboarding_cli.flow_view import FlowView, flow_view
from onboarding_cli.metrics_text import MetricsTextError, Sample, Scrape, parse_samples
from onboarding_kit.metrics import ServiceMetrics
from rich.console import Console

if TYPE_CHECKING:  # the fixture's type; conftest is not importable at run time
    from conftest import FakeFlow

DLT = "onboarding.enrolment.v1.dlt"


class FakeClock:
    """Time that moves only when the view pauses, by exactly the pause: rates are exact.
    After `pauses` pauses the next one is a Ctrl-C."""

    def __init__(self, pauses: int | None = None) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []
        self.most = pauses

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        if self.most is not None and len(self.pauses) >= self.most:
            raise KeyboardInterrupt
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(flow_module, "clock", fake.clock)
    monkeypatch.setattr(flow_module, "pause", fake.pause)
    return fake


def text(metrics: ServiceMetrics) -> str:
    return metrics.exposition().decode()


def row(output: str, first: str) -> str:
    """The line of `output` that starts with `first`, its cells one space apart."""
    lines = [" ".join(line.split()) for line in output.splitlines()]
    found = [line for line in lines if line.startswith(first + " ") or line == first]
    assert len(found) == 1, output
    return found[0]


def busy_enrolment() -> list[str]:
    """Two scrapes of the enrolment service: 24 events consumed in between (20 applied,
    2 duplicates, 2 ignored), 1 parked; 8 outbox rows published; lag 3 + 4."""
    metrics = ServiceMetrics("enrolment")
    metrics.event_consumed("onboarding.invitation.issued", "applied", 10)
    metrics.outbox_published_rows(4)
    first = text(metrics)
    metrics.event_consumed("onboarding.invitation.issued", "applied", 20)
    metrics.event_consumed("onboarding.registration.completed", "duplicate", 2)
    metrics.event_consumed("onboarding.registration.completed", "ignored", 2)
    metrics.event_consumed("onboarding.invitation.issued", "dead_lettered", 1)
    metrics.outbox_published_rows(8)
    metrics.outbox_sampled(5, 42.0)
    metrics.lag_sampled("enrolment", "onboarding.invitation.v1", 0, 3)
    metrics.lag_sampled("enrolment", "onboarding.invitation.v1", 1, 4)
    # Another group's lag, sampled here too: not this service's to show.
    metrics.lag_sampled("notification", "onboarding.invitation.v1", 0, 50)
    return [first, text(metrics)]


def sending_notification() -> list[str]:
    """Two scrapes: 10 emails sent, 4 tries retried and 2 failed in between; 3 letters
    waiting on a dead-letter topic."""
    metrics = ServiceMetrics("notification")
    first = text(metrics)
    for outcome, times in (("sent", 10), ("retried", 4), ("failed", 2)):
        for _ in range(times):
            metrics.notification_outcome("email", outcome)
    metrics.dead_letters_sampled(DLT, 3)
    return [first, text(metrics)]


def test_once_shows_the_rates_between_two_scrapes(flow: FakeFlow, clock: FakeClock) -> None:
    flow.metrics["enrolment"].texts = list(busy_enrolment())
    flow.metrics["notification"].texts = list(sending_notification())
    result = flow.run("--once", "--interval", "2")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert clock.pauses == [2.0]
    assert [path for path, _ in flow.api.state.requests].count("/v1/funnel") == 1
    assert {s: m.scrapes for s, m in flow.metrics.items()} == dict.fromkeys(flow.metrics, 2)
    # service, events/s, dead-lettered, lag, outbox, oldest, published/s, dead letters waiting
    assert row(out, "enrolment") == "enrolment 12.0 1 7 5 42 s 4.0 0"
    assert row(out, "notification") == "notification 0.0 0 — 0 0 s 0.0 3"
    # nothing exported yet: no events, no outbox sampled, no lag
    assert row(out, "invitation") == "invitation 0.0 0 — — — 0.0 0"
    assert row(out, "email") == "email 5.0 2.0 1.0"  # sent/s, retried/s, failed/s
    assert f"dead letters waiting: 3 (notification {DLT} 3) — onboard dlq list" in out
    assert "funnel — the whole tenant" in out
    assert row(out, "enrolled") == "enrolled 200 100.0% ████████████████████"
    assert row(out, "active") == "active 40 20.0% ████"
    assert "\x1b[" not in result.output  # not a terminal: no ANSI


def test_once_with_one_scrape_shows_no_rates(flow: FakeFlow, clock: FakeClock) -> None:
    flow.metrics["enrolment"].texts = busy_enrolment()[1:]
    result = flow.run("--once", "--interval", "0")
    assert result.exit_code == 0, result.output
    assert clock.pauses == []
    assert all(m.scrapes == 1 for m in flow.metrics.values())
    assert row(result.stdout, "enrolment") == "enrolment — 1 7 5 42 s — 0"


def test_a_service_that_does_not_answer_is_down_and_the_rest_are_shown(
    flow: FakeFlow, clock: FakeClock
) -> None:
    flow.metrics["enrolment"].texts = list(busy_enrolment())
    flow.metrics["invitation"].texts = [None]  # answers, with an error
    result = flow.run("--once", down=["registration"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert row(out, "registration") == "registration down"
    assert row(out, "invitation") == "invitation down"
    assert row(out, "enrolment") == "enrolment 12.0 1 7 5 42 s 4.0 0"
    assert re.search(
        r"registration: cannot reach the registration service at http://127\.0\.0\.1:\d+", out
    )
    assert "invitation: metrics are broken (HTTP 500)" in out
    assert "dead letters waiting: none, but invitation, registration not asked" in out


def test_a_down_enrolment_service_loses_its_row_and_the_funnel_only(
    flow: FakeFlow, clock: FakeClock
) -> None:
    flow.metrics["notification"].texts = list(sending_notification())
    result = flow.run("--once", down=["enrolment"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert row(out, "enrolment") == "enrolment down"
    assert row(out, "email") == "email 5.0 2.0 1.0"
    assert re.search(r"funnel: cannot reach the enrolment service at http://127\.0\.0\.1:", out)


def test_metrics_that_are_not_prometheus_text_show_the_service_down(
    flow: FakeFlow, clock: FakeClock
) -> None:
    flow.metrics["registration"].texts = ['onboarding_outbox_depth{service="registration" 1\n']
    result = flow.run("--once")
    assert result.exit_code == 0, result.output
    assert row(result.stdout, "registration") == "registration down"
    assert "registration: its /metrics is not Prometheus text (line 1: bad labels" in (
        " ".join(result.stdout.split())
    )


def test_without_an_api_key_the_funnel_says_so(flow: FakeFlow, clock: FakeClock) -> None:
    result = flow.run("--once", key=None)
    assert result.exit_code == 0, result.output
    assert "funnel: no API key: pass --api-key, set ONBOARDING_API_KEY" in result.stdout
    assert row(result.stdout, "enrolment").startswith("enrolment 0.0 0")
    assert not any(path == "/v1/funnel" for path, _ in flow.api.state.requests)


def test_the_live_view_refreshes_until_ctrl_c(
    flow: FakeFlow, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeClock(pauses=2)  # three views, then Ctrl-C
    monkeypatch.setattr(flow_module, "clock", fake.clock)
    monkeypatch.setattr(flow_module, "pause", fake.pause)
    metrics = ServiceMetrics("invitation")
    texts = []
    for applied in (0, 10, 30):  # +10 then +30 in 0.5 s: 20/s then 60/s
        metrics.event_consumed("onboarding.enrolment.created", "applied", applied)
        texts.append(text(metrics))
    flow.metrics["invitation"].texts = list(texts)
    result = flow.run("--interval", "0.5")
    assert result.exit_code == 0, result.output  # Ctrl-C ends the view, not in error
    assert fake.pauses == [0.5, 0.5]
    views = result.stdout.split("onboarding flow at ")[1:]
    assert [row(view, "invitation") for view in views] == [
        "invitation — 0 — 0 0 s — 0",
        "invitation 20.0 0 — 0 0 s 0.0 0",
        "invitation 60.0 0 — 0 0 s 0.0 0",
    ]


def test_on_a_terminal_the_view_is_redrawn_in_place(
    flow: FakeFlow, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.most = 2  # three views, then Ctrl-C
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160)
    watcher = flow_module.FlowWatcher({**flow.urls, "enrolment": flow.api.url}, flow.api.url, None)
    with watcher, pytest.raises(KeyboardInterrupt):
        flow_module.live(console, watcher, 1.0)
    assert {m.scrapes for m in flow.metrics.values()} == {3}
    drawn = screen.getvalue()
    # drawn as it starts, at each of the two refreshes, and once more as it stops
    assert drawn.count("onboarding flow at") == 4
    assert "\x1b[2K" in drawn  # each redraw erases the view before it


def test_dead_letters_waiting_are_highlighted_on_a_terminal() -> None:
    metrics = ServiceMetrics("invitation")
    metrics.dead_letters_sampled(DLT, 2)
    parked = service_flow("invitation", Scrape(1.0, parse_samples(text(metrics))), None)
    calm = service_flow("enrolment", Scrape(1.0, parse_samples(text(ServiceMetrics("x")))), None)

    def drawn(*services: ServiceFlow) -> str:
        screen = io.StringIO()
        console = Console(file=screen, force_terminal=True, color_system="standard", width=160)
        view = FlowView(datetime.now(UTC), services, "not asked", "")
        console.print(flow_view(view))
        return screen.getvalue()

    bold_red = "\x1b[1;31m"
    assert f"{bold_red}dead letters waiting: 2" in drawn(calm, parked)
    assert re.search(r"\x1b\[1;31m *2\x1b", drawn(calm, parked))  # the service's cell too
    assert "\x1b[32mdead letters waiting: none" in drawn(calm)
    assert bold_red + "dead letters" not in drawn(calm)


# --- the figures -------------------------------------------------------------------------


def scrape(at: float, *samples: tuple[str, dict[str, str], float]) -> Scrape:
    return Scrape(
        at, [Sample(name, tuple(sorted(labels.items())), value) for name, labels, value in samples]
    )


def test_a_rate_counts_a_reset_counter_from_zero_and_a_new_series_whole() -> None:
    a, b = {"event_type": "a", "outcome": "applied"}, {"event_type": "b", "outcome": "applied"}
    before = scrape(10.0, (EVENTS_CONSUMED, a, 100.0))
    after = scrape(14.0, (EVENTS_CONSUMED, a, 6.0), (EVENTS_CONSUMED, b, 2.0))  # restarted
    assert rate(EVENTS_CONSUMED, after, before) == 2.0  # (6 + 2) / 4 s
    grown = scrape(14.0, (EVENTS_CONSUMED, a, 108.0))
    assert rate(EVENTS_CONSUMED, grown, before) == 2.0
    assert rate(EVENTS_CONSUMED, grown, None) is None
    assert rate(EVENTS_CONSUMED, grown, before, {"outcome": ("duplicate",)}) == 0.0


def test_the_names_read_are_those_the_services_export() -> None:
    metrics = ServiceMetrics("notification")
    metrics.event_consumed("onboarding.invitation.issued", "applied")
    metrics.outbox_sampled(1, 2.0)
    metrics.outbox_published_rows(1)
    metrics.lag_sampled("notification", "onboarding.invitation.v1", 0, 1)
    metrics.dead_letters_sampled(DLT, 1)
    metrics.notification_outcome("sms", "sent")
    exported = {sample.name for sample in parse_samples(text(metrics))}
    read = {
        EVENTS_CONSUMED,
        OUTBOX_DEPTH,
        OUTBOX_OLDEST_AGE,
        OUTBOX_PUBLISHED,
        CONSUMER_LAG,
        DEAD_LETTERS_WAITING,
        NOTIFICATIONS,
    }
    assert read - exported == set()


# --- the text format ---------------------------------------------------------------------


def test_the_parser_reads_labels_escapes_timestamps_and_special_values() -> None:
    samples = parse_samples(
        "# HELP up Whether it is up.\n"
        "# TYPE up gauge\n"
        "\n"
        "up 1\n"
        'odd{path="C:\\\\dir",quote="say \\"hi\\"",line="a\\nb",} 2.5e3 1700000000000\n'
        'spaced { a = "x" , b="y,}" } +Inf\n'
        'nan{a=""} NaN\n'
        "empty{} -3\n"
    )
    assert [(s.name, dict(s.labels)) for s in samples] == [
        ("up", {}),
        ("odd", {"path": "C:\\dir", "quote": 'say "hi"', "line": "a\nb"}),
        ("spaced", {"a": "x", "b": "y,}"}),
        ("nan", {"a": ""}),
        ("empty", {}),
    ]
    values = [s.value for s in samples]
    assert values[:3] == [1.0, 2500.0, float("inf")]
    assert values[3] != values[3]  # NaN
    assert values[4] == -3.0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{a="b"} 1', "no metric name"),
        ('m{a="b" 1', "bad labels"),
        ("m{a=b} 1", "bad labels"),
        ('m{a="b"} x="1"', "could not convert"),
        ("m", "no value"),
        ("m 1 2 3", "no value"),
    ],
)
def test_the_parser_names_the_line_it_cannot_read(line: str, reason: str) -> None:
    with pytest.raises(MetricsTextError) as raised:
        parse_samples(f"ok 1\n# comment\n{line}\n")
    assert str(raised.value).startswith("line 3: ")
    assert reason in str(raised.value)
