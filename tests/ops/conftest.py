"""What the operations tests share: the repository's paths, the metric names the services
expose, a reader of the metric names a PromQL expression uses, promtool, and a real
Prometheus started by deploy/local/prometheus.sh."""

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from onboarding_devtools.testing.stack import free_ports
from onboarding_kit.metrics import ServiceMetrics

REPO_ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_SCRIPT = REPO_ROOT / "deploy" / "local" / "prometheus.sh"
PROMETHEUS_DIR = REPO_ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "rules" / "onboarding.yml"
RULES_TESTS = PROMETHEUS_DIR / "rules" / "onboarding_test.yml"
GRAFANA_DIR = REPO_ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "onboarding.json"
DATASOURCES = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml"

# The services' metrics by kind, as registered (a counter `x` is exposed as `x_total`, a
# histogram as `x_bucket`, `x_sum` and `x_count`).
COUNTERS = (
    "onboarding_http_requests",
    "onboarding_events_consumed",
    "onboarding_outbox_published",
    "onboarding_outbox_set_aside",
    "onboarding_people",
    "onboarding_notifications",
)
HISTOGRAMS = (
    "onboarding_http_request_duration_seconds",
    "onboarding_event_handler_duration_seconds",
    "onboarding_enrolment_to_notification_seconds",
)
GAUGES = (
    "onboarding_outbox_depth",
    "onboarding_outbox_oldest_age_seconds",
    "onboarding_consumer_lag",
    "onboarding_dead_letter_messages",
    "onboarding_import_stalled_seconds",
)
# Series Prometheus makes itself.
PROMETHEUS_SERIES = ("up",)
# FastStream's Prometheus middleware on each service's broker (the ones the dashboard shows).
FASTSTREAM_SERIES = (
    "faststream_received_messages_total",
    "faststream_received_processed_messages_total",
)


def exposed_names() -> frozenset[str]:
    """Every series name a scrape of the services yields."""
    names = {f"{c}_total" for c in COUNTERS} | set(GAUGES) | set(PROMETHEUS_SERIES)
    names |= set(FASTSTREAM_SERIES)
    names |= {f"{h}_{suffix}" for h in HISTOGRAMS for suffix in ("bucket", "sum", "count")}
    return frozenset(names)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = load_yaml(RULES)["groups"]
    return groups


def recorded_names() -> frozenset[str]:
    return frozenset(r["record"] for g in rule_groups() for r in g["rules"] if "record" in r)


# --- metric names in PromQL ---------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.])[A-Za-z_:][\w:]*")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"}
    | {"group_left", "group_right"}
)
_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$")


def promql_of(expression: str) -> str:
    """The PromQL in a Grafana query: a `label_values(<selector>, label)` variable query
    selects `<selector>`; anything else is PromQL already."""
    found = _LABEL_VALUES.match(expression)
    return found.group(1) if found else expression


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression (or a Grafana variable query) selects:
    identifiers outside strings, label matchers, ranges and grouping clauses that are
    neither keywords nor called as functions."""
    text = promql_of(expression)
    for pattern in (_STRING, _GRAFANA_VARIABLE, _MATCHERS, _RANGE, _GROUPING):
        text = pattern.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        rest = text[match.end() :].lstrip()
        if match.group() in _KEYWORDS or rest.startswith("("):
            continue
        names.add(match.group())
    return names


def known_names() -> frozenset[str]:
    """What a dashboard or rule may select: the exposed series and the recorded ones."""
    return exposed_names() | recorded_names()


# --- Prometheus -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool's path. Missing is a failure, not a skip: CI installs it with
    `deploy/local/prometheus.sh install`."""
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if os.access("/usr/bin/promtool", os.X_OK) else None
    )
    if found is None:
        pytest.fail("promtool not found: run deploy/local/prometheus.sh install")
    return found


def run_prometheus_script(
    run_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMETHEUS_SCRIPT), *args],
        env={**os.environ, "RUN_DIR": str(run_dir), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@dataclass(frozen=True)
class LocalPrometheus:
    url: str
    run_dir: Path
    env: dict[str, str]

    def query(self, expression: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": expression}, timeout=10)
        assert answer.status_code == 200, f"{expression}: {answer.text}"
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result


@pytest.fixture(scope="session")
def exporting_service() -> Iterator[tuple[str, ServiceMetrics]]:
    """A service's metrics router under uvicorn on a free port: its host:port and metrics,
    which a test may change and then see through Prometheus."""
    metrics = ServiceMetrics("enrolment")
    app = FastAPI()
    app.include_router(metrics.router())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert time.monotonic() < deadline, "the metrics app did not start"
        time.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}", metrics
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


@pytest.fixture(scope="session")
def local_prometheus(
    exporting_service: tuple[str, ServiceMetrics], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPrometheus]:
    """Our Prometheus, started by deploy/local/prometheus.sh on a free port, scraping the
    exporting service as `enrolment` and a port nobody listens on as `registration`."""
    target, _ = exporting_service
    (nobody,) = free_ports(1)
    (port,) = free_ports(1)
    env = {
        "PROMETHEUS_PORT": str(port),
        "PROMETHEUS_TARGETS": f"enrolment={target} registration=127.0.0.1:{nobody}",
    }
    run_dir = tmp_path_factory.mktemp("run")
    started = run_prometheus_script(run_dir, "start", **env)
    assert started.returncode == 0, started.stderr
    try:
        yield LocalPrometheus(f"http://127.0.0.1:{port}", run_dir, env)
    finally:
        stopped = run_prometheus_script(run_dir, "stop", **env)
        assert stopped.returncode == 0, stopped.stderr
