"""The Prometheus config and rules under deploy/prometheus: valid for promtool, every alert
unit-tested firing and quiet, every rule documented and selecting only metrics the services
expose."""

import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    PROMETHEUS_DIR,
    RULES,
    RULES_TESTS,
    known_names,
    load_yaml,
    metric_names,
    rule_groups,
    run_prometheus_script,
)

ALERTS = {
    "OutboxStale",
    "ConsumerLagGrowing",
    "DeadLetteredEvents",
    "NotificationsFailing",
    "ImportStalled",
    "ServiceDown",
}


def promtool_ok(promtool: str, *args: str) -> None:
    checked = subprocess.run([promtool, *args], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def alert_rules() -> list[dict[str, Any]]:
    return [r for g in rule_groups() for r in g["rules"] if "alert" in r]


def test_the_compose_config_is_valid(promtool: str) -> None:
    promtool_ok(promtool, "check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))


def test_the_rules_are_valid(promtool: str) -> None:
    promtool_ok(promtool, "check", "rules", str(RULES))


def test_the_rules_pass_their_unit_tests(promtool: str) -> None:
    promtool_ok(promtool, "test", "rules", str(RULES_TESTS))


def test_the_local_config_scrapes_the_given_targets_and_is_valid(
    promtool: str, tmp_path: Path
) -> None:
    written = run_prometheus_script(
        tmp_path,
        "config",
        PROMETHEUS_TARGETS="enrolment=127.0.0.1:18001 notification=localhost:18003",
    )
    assert written.returncode == 0, written.stderr

    config = tmp_path / "prometheus" / "prometheus.yml"
    promtool_ok(promtool, "check", "config", str(config))
    targets = load_yaml(tmp_path / "prometheus" / "targets" / "onboarding.yml")
    assert targets == [
        {"targets": ["127.0.0.1:18001"], "labels": {"service": "enrolment"}},
        {"targets": ["localhost:18003"], "labels": {"service": "notification"}},
    ]
    assert load_yaml(config)["global"]["scrape_interval"] == "5s"
    assert load_yaml(config)["global"]["evaluation_interval"] == "5s"


def test_the_local_targets_default_to_the_service_urls(tmp_path: Path) -> None:
    written = run_prometheus_script(
        tmp_path,
        "config",
        PROMETHEUS_TARGETS="",
        ENROLMENT_URL="",
        INVITATION_URL="http://10.0.0.7:9102/",
        NOTIFICATION_URL="",
        REGISTRATION_URL="",
    )
    assert written.returncode == 0, written.stderr

    targets = load_yaml(tmp_path / "prometheus" / "targets" / "onboarding.yml")
    assert {t["labels"]["service"]: t["targets"] for t in targets} == {
        "enrolment": ["127.0.0.1:8001"],
        "invitation": ["10.0.0.7:9102"],
        "notification": ["127.0.0.1:8003"],
        "registration": ["127.0.0.1:8004"],
    }


@pytest.mark.parametrize("targets", ["127.0.0.1:8001", "enrolment=", "Enrolment=h:1"])
def test_a_malformed_target_is_refused(tmp_path: Path, targets: str) -> None:
    written = run_prometheus_script(tmp_path, "config", PROMETHEUS_TARGETS=targets)

    assert written.returncode != 0
    assert "ERROR" in written.stderr


def test_the_expected_alerts_exist() -> None:
    assert {r["alert"] for r in alert_rules()} == ALERTS


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_every_alert_waits_has_a_severity_and_says_what_to_do(rule: dict[str, Any]) -> None:
    assert rule.get("for"), "an alert without `for` pages on a single bad sample"
    assert rule["labels"]["severity"] in {"warning", "critical"}
    for annotation in ("summary", "description", "runbook"):
        assert rule["annotations"].get(annotation, "").strip(), annotation


def test_every_alert_is_unit_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in load_yaml(RULES_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == ALERTS
    assert quiet == ALERTS


@pytest.mark.parametrize(
    "rule",
    [r for g in rule_groups() for r in g["rules"]],
    ids=lambda r: r.get("alert", r.get("record")),
)
def test_every_rule_selects_known_metrics(rule: dict[str, Any]) -> None:
    used = metric_names(rule["expr"])
    assert used, "no metric found: the expression reader is broken"
    assert used <= known_names(), used - known_names()
