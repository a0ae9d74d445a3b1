"""HTTP metrics are labelled by route template, `/metrics` serves them, and each runtime has
a registry of its own."""

from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from onboarding_kit.metrics import ServiceMetrics
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.settings import ServiceSettings
from prometheus_client import CONTENT_TYPE_LATEST

router = APIRouter()


@router.get("/v1/enrolments/{enrolment_id}")
async def read_enrolment(enrolment_id: str) -> dict[str, str]:
    return {"id": enrolment_id}


@router.post("/v1/boom")
async def boom() -> None:
    raise RuntimeError("a bug")


def runtime(name: str = "enrolment") -> ServiceRuntime:
    settings = ServiceSettings(service_name=name, database_url="postgresql://unused/none")
    return ServiceRuntime(settings, migrations=Path("unused"))


@pytest.fixture
def service() -> ServiceRuntime:
    return runtime()


@pytest.fixture
async def client(service: ServiceRuntime):
    # No lifespan: the routes here need neither the database nor the broker.
    app = service.create_app(title="test", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def sample(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_requests_are_labelled_by_route_template_never_by_raw_path(
    client, service: ServiceRuntime
) -> None:
    for enrolment_id in ("enr_1", "enr_2", "enr_3"):
        assert (await client.get(f"/v1/enrolments/{enrolment_id}")).status_code == 200
    labels = {"service": "enrolment", "method": "GET", "route": "/v1/enrolments/{enrolment_id}"}
    m = service.metrics
    assert sample(m, "onboarding_http_requests_total", **labels, status="200") == 3
    assert sample(m, "onboarding_http_request_duration_seconds_count", **labels) == 3
    assert sample(m, "onboarding_http_request_duration_seconds_sum", **labels) > 0
    assert "enr_1" not in (await client.get("/metrics")).text


async def test_paths_no_route_matches_are_counted_as_unmatched(
    client, service: ServiceRuntime
) -> None:
    for path in ("/nope", "/v1/other/123", "/v1/enrolments"):
        assert (await client.get(path)).status_code == 404
    assert (
        sample(
            service.metrics,
            "onboarding_http_requests_total",
            service="enrolment",
            method="GET",
            route="unmatched",
            status="404",
        )
        == 3
    )


async def test_an_unhandled_error_counts_as_a_500(client, service: ServiceRuntime) -> None:
    assert (await client.post("/v1/boom")).status_code == 500
    labels = {"service": "enrolment", "method": "POST", "route": "/v1/boom", "status": "500"}
    assert sample(service.metrics, "onboarding_http_requests_total", **labels) == 1


async def test_metrics_serves_prometheus_text_and_does_not_count_itself(
    client, service: ServiceRuntime
) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    body = (await client.get("/metrics")).text
    assert "# TYPE onboarding_http_requests_total counter" in body
    assert 'onboarding_outbox_depth{service="enrolment"} 0.0' in body
    assert 'route="/metrics"' not in body


async def test_metrics_is_not_in_the_openapi_document(client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/metrics" not in paths
    assert "/v1/enrolments/{enrolment_id}" in paths


def test_each_runtime_has_a_registry_of_its_own() -> None:
    first, second = runtime("enrolment"), runtime("invitation")
    first.metrics.event_consumed("onboarding.enrolment.created", "applied", 2)
    assert first.metrics.registry is not second.metrics.registry
    labels = {"event_type": "onboarding.enrolment.created", "outcome": "applied"}
    assert sample(first.metrics, "onboarding_events_consumed_total", service="enrolment", **labels)
    assert (
        sample(second.metrics, "onboarding_events_consumed_total", service="invitation", **labels)
        is None
    )


def test_handler_latency_is_observed_in_the_histogram() -> None:
    metrics = ServiceMetrics("invitation")
    metrics.handler_took("onboarding.enrolment.created", 0.02)
    metrics.handler_took("onboarding.enrolment.created", 3.0)
    labels = {"service": "invitation", "event_type": "onboarding.enrolment.created"}
    name = "onboarding_event_handler_duration_seconds"
    assert sample(metrics, f"{name}_count", **labels) == 2
    assert sample(metrics, f"{name}_bucket", **labels, le="0.025") == 1
    assert sample(metrics, f"{name}_bucket", **labels, le="+Inf") == 2
