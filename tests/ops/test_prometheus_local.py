"""deploy/local/prometheus.sh for real: a Prometheus process of our own that scrapes a
service's /metrics, names targets by service, loads the alert rules, reloads its config on
request, and stops."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from onboarding_devtools.testing.stack import free_ports
from onboarding_kit.metrics import ServiceMetrics

from .conftest import LocalPrometheus, run_prometheus_script


def eventually(check: Callable[[], Any], within_s: float = 30) -> Any:
    """`check()`'s first truthy answer; Prometheus scrapes and evaluates every 5s."""
    deadline = time.monotonic() + within_s
    while True:
        answer = check()
        if answer:
            return answer
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.5)


def running(pid: int) -> bool:
    """Alive and not a zombie: the stopped server's parent was the script, long gone, so it
    may linger as a zombie until whoever adopted it reaps it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_it_scrapes_the_services_and_names_them(
    local_prometheus: LocalPrometheus, exporting_service: tuple[str, ServiceMetrics]
) -> None:
    _, metrics = exporting_service
    metrics.outbox_sampled(depth=17, oldest_age_s=3.0)

    def depth() -> list[dict[str, Any]]:
        found = local_prometheus.query('onboarding_outbox_depth{service="enrolment"} == 17')
        return found

    (sample,) = eventually(depth)
    assert sample["metric"]["job"] == "onboarding"

    def ups() -> dict[str, str]:
        found = local_prometheus.query('up{job="onboarding"}')
        by_service = {r["metric"]["service"]: r["value"][1] for r in found}
        return by_service if len(by_service) == 2 else {}  # until both were scraped once

    assert eventually(ups) == {"enrolment": "1", "registration": "0"}


def test_it_loads_the_alert_rules_and_fires_them(local_prometheus: LocalPrometheus) -> None:
    answer = httpx.get(f"{local_prometheus.url}/api/v1/rules", params={"type": "alert"})
    alerts = {r["name"] for g in answer.json()["data"]["groups"] for r in g["rules"]}
    assert {"ServiceDown", "OutboxStale", "ConsumerLagGrowing"} <= alerts
    # Nobody listens at the `registration` target: pending at once, firing after `for: 1m`.
    firing = 'ALERTS{alertname="ServiceDown",service="registration",alertstate="firing"}'
    (alert,) = eventually(lambda: local_prometheus.query(firing), within_s=120)
    assert alert["metric"]["severity"] == "critical"
    assert not local_prometheus.query('ALERTS{alertname="ServiceDown",service="enrolment"}')


def test_starting_again_rewrites_the_targets_without_a_restart(
    local_prometheus: LocalPrometheus,
) -> None:
    pid_file = local_prometheus.run_dir / "prometheus" / "prometheus.pid"
    pid = pid_file.read_text()
    env = {**local_prometheus.env}
    env["PROMETHEUS_TARGETS"] += " invitation=127.0.0.1:9"
    try:
        again = run_prometheus_script(local_prometheus.run_dir, "start", **env)
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stderr
        assert pid_file.read_text() == pid

        eventually(lambda: local_prometheus.query('up{service="invitation"}'))
    finally:
        restored = run_prometheus_script(local_prometheus.run_dir, "config", **local_prometheus.env)
        assert restored.returncode == 0, restored.stderr


def test_the_config_reloads_on_request(local_prometheus: LocalPrometheus) -> None:
    reloaded = httpx.post(f"{local_prometheus.url}/-/reload")
    assert reloaded.status_code == 200, reloaded.text


def test_status_tells_running_from_not(local_prometheus: LocalPrometheus, tmp_path: Path) -> None:
    status = run_prometheus_script(local_prometheus.run_dir, "status", **local_prometheus.env)
    assert status.returncode == 0
    assert "running" in status.stdout
    # Another run directory has no server of ours: status says so, stop leaves ours alone.
    assert run_prometheus_script(tmp_path, "status").returncode == 1
    stopped = run_prometheus_script(tmp_path, "stop")
    assert stopped.returncode == 0
    assert "not running" in stopped.stderr
    assert httpx.get(f"{local_prometheus.url}/-/ready").status_code == 200


def test_a_port_in_use_is_refused(local_prometheus: LocalPrometheus, tmp_path: Path) -> None:
    started = run_prometheus_script(tmp_path, "start", **local_prometheus.env)

    assert started.returncode != 0
    assert "already in use" in started.stderr


def test_stop_ends_the_process(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    env = {"PROMETHEUS_PORT": str(port), "PROMETHEUS_TARGETS": "enrolment=127.0.0.1:9"}
    started = run_prometheus_script(tmp_path, "start", **env)
    assert started.returncode == 0, started.stderr
    pid = int((tmp_path / "prometheus" / "prometheus.pid").read_text())
    assert (tmp_path / "prometheus" / "data").is_dir()

    stopped = run_prometheus_script(tmp_path, "stop", **env)

    assert stopped.returncode == 0, stopped.stderr
    assert not running(pid)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/-/ready")
