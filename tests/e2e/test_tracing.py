"""One trace from an admin's request to the email it causes: the enrolment, invitation and
notification services each record their part under the caller's trace id, carried by the
`traceparent` header over HTTP and by the events' Kafka headers in between."""

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from enrolment.tenants import ensure_tenant
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.stack import RunningStack, running_stack

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-tracing-key-00000000000000000"
REQUEST_HOPS = ("publish onboarding.enrolment.created", "POST /v1/enrolments")


@pytest.fixture
async def traced_stack(
    new_database: Callable[[], Awaitable[str]], kafka: str, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[tuple[RunningStack, Path]]:
    traces = tmp_path / "traces"
    env = {"TRACES_DIR": str(traces), "OTEL_BSP_SCHEDULE_DELAY": "200"}
    async with running_stack(new_database, kafka, topic_prefix, tmp_path, env) as stack:
        await ensure_tenant(stack.config.database_urls["enrolment"], "tracing", TENANT_KEY)
        async with stack.admin(TENANT_KEY) as client:
            created = await client.post("/v1/courses", json={"code": "ielts"})
            assert created.status_code == 201, created.text
        yield stack, traces


def spans_of(traces: Path, trace_id: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(traces.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            span = json.loads(line)
            if span["trace_id"] == trace_id:
                found.append(span)
    return found


async def test_one_trace_runs_from_the_request_to_the_email(
    traced_stack: tuple[RunningStack, Path],
) -> None:
    stack, traces = traced_stack
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    async with stack.admin(TENANT_KEY) as client:
        response = await client.post(
            "/v1/enrolments",
            json={"email": "traced@example.org", "name": "Traced Person", "course": "ielts"},
            headers={"traceparent": f"00-{trace_id}-{caller_span}-01"},
        )
    assert response.status_code == 201, response.text
    await eventually(lambda: stack.mail_to("traced@example.org"), timeout_s=60)

    def whole_trace() -> list[dict[str, Any]]:
        spans = spans_of(traces, trace_id)
        names = {(s["service"], s["name"]) for s in spans}
        wanted = {
            ("enrolment", "publish onboarding.enrolment.created"),
            ("invitation", "consume onboarding.enrolment.created"),
            ("invitation", "publish onboarding.invitation.issued"),
            ("notification", "consume onboarding.invitation.issued"),
            ("notification", "send email"),
            ("notification", "publish onboarding.notification.sent"),
        }
        return spans if wanted <= names else []

    spans = await eventually(whole_trace, timeout_s=30)
    by_id = {s["span_id"]: s for s in spans}
    # Each hop is the child of the one before it: request → publish → consume → ... → send.
    request = next(s for s in spans if s["name"] == "POST /v1/enrolments")
    assert request["parent_span_id"] == caller_span
    assert request["attributes"]["http.response.status_code"] == 201
    send = next(s for s in spans if s["name"] == "send email")
    chain = []
    span: dict[str, Any] | None = send
    while span is not None:
        chain.append((span["service"], span["name"]))
        span = by_id.get(span["parent_span_id"])
    # FastAPI adds spans of its own inside the request's (the endpoint's...); the hops between
    # the services are these, in this order, up to the request.
    hops = [hop for hop in chain if hop[0] != "enrolment" or hop[1] in REQUEST_HOPS]
    assert hops == [
        ("notification", "send email"),
        ("notification", "consume onboarding.invitation.issued"),
        ("invitation", "publish onboarding.invitation.issued"),
        ("invitation", "consume onboarding.enrolment.created"),
        ("enrolment", "publish onboarding.enrolment.created"),
        ("enrolment", "POST /v1/enrolments"),
    ]
    assert send["attributes"]["notification.outcome"] == "sent"
