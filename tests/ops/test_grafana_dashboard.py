"""The Grafana dashboard: valid enough for Grafana to load, every query on the provisioned
data source, every expression selecting only metrics the services expose, and every metric
on some panel."""

import json
import re
from typing import Any

import pytest
from onboarding_kit.metrics import ServiceMetrics

from .conftest import (
    COUNTERS,
    DASHBOARD,
    DATASOURCES,
    GAUGES,
    HISTOGRAMS,
    LocalPrometheus,
    known_names,
    load_yaml,
    metric_names,
    promql_of,
)


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def query_panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def expressions() -> list[str]:
    """Every PromQL query on the dashboard: panel targets and variable queries."""
    found = [t["expr"] for p in query_panels() for t in p["targets"]]
    found += [v["query"]["query"] for v in dashboard()["templating"]["list"]]
    return found


def provisioned_uid() -> str:
    (source,) = load_yaml(DATASOURCES)["datasources"]
    assert source["type"] == "prometheus"
    uid: str = source["uid"]
    return uid


def test_the_dashboard_is_a_grafana_dashboard() -> None:
    board = dashboard()
    assert board["uid"] and board["title"]
    assert 36 <= board["schemaVersion"] <= 41
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
    for panel in query_panels():
        assert panel["type"] in {"timeseries", "stat", "bargauge"}, panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]


def test_panels_do_not_overlap() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        cells = {
            (grid["x"] + dx, grid["y"] + dy) for dx in range(grid["w"]) for dy in range(grid["h"])
        }
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def test_every_query_uses_the_provisioned_data_source() -> None:
    uid = provisioned_uid()
    for panel in query_panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
    for variable in dashboard()["templating"]["list"]:
        assert variable["datasource"]["uid"] == uid, variable["name"]


@pytest.mark.parametrize("expression", expressions())
def test_every_expression_selects_known_metrics(expression: str) -> None:
    used = metric_names(expression)
    assert used, "no metric found: the expression reader is broken"
    assert used <= known_names(), used - known_names()


def test_every_metric_is_on_some_panel() -> None:
    used = {name for e in expressions() for name in metric_names(e)}
    shown = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in used}
    assert set(COUNTERS) | set(HISTOGRAMS) | set(GAUGES) <= shown


def test_the_metrics_every_service_registers_are_the_known_ones() -> None:
    """The names above are the services' contract with the dashboard and the rules: a
    metric renamed or added in the kit must be added here (and shown) too."""
    kinds = {"counter": COUNTERS, "histogram": HISTOGRAMS, "gauge": GAUGES}
    registered = list(ServiceMetrics("enrolment").registry.collect())
    assert registered
    for family in registered:
        assert family.name in kinds[family.type], f"{family.type} {family.name}"


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        (
            'sum by (service, le) (rate(onboarding_typo_seconds_bucket{service=~"$service"}'
            "[$__rate_interval]))",
            {"onboarding_typo_seconds_bucket"},
        ),
        ("a_total / on(service) group_left(route) b offset 5m > bool 1e3", {"a_total", "b"}),
        ('label_values(up{job="x"}, service)', {"up"}),
        ("histogram_quantile(0.99, sum(rate(x_bucket[5m])) by (le))", {"x_bucket"}),
        ('count(m{stage="by"}) without (tenant) or vector(0)', {"m"}),
        ("level:metric:rate5m > 0 unless other", {"level:metric:rate5m", "other"}),
    ],
)
def test_the_expression_reader_finds_the_metric_names(expression: str, names: set[str]) -> None:
    assert metric_names(expression) == names


def test_every_expression_parses_on_a_real_prometheus(local_prometheus: LocalPrometheus) -> None:
    grafana_values = {
        "$__rate_interval": "20s",
        "$__range": "1h",
        "$service": ".*",
        "$tenant": ".*",
    }
    for expression in expressions():
        promql = promql_of(expression)
        for variable, value in grafana_values.items():
            promql = promql.replace(variable, value)
        local_prometheus.query(promql)  # answers 400 on a syntax error
