"""The HTTP adapter of the invitation service's resend, against a stand-in transport: what
it sends, and how each answer (or none) becomes a result or one of the service's errors."""

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from enrolment.errors import InvitationServiceUnavailable, SendRefused
from enrolment.invitations import InvitationClient, NoInvitationService
from onboarding_contracts.events import LinkPolicy
from onboarding_contracts.internal.invitations import InvitationState, ResendIn

TOKEN = "internal-token-0123456789"
REQUEST = ResendIn(tenant_id="t-1", enrolment_id="e-1", link_policy=LinkPolicy(max_resends=5))
STATE = {
    "invitation_id": "inv-1",
    "enrolment_id": "e-1",
    "status": "pending",
    "send_count": 2,
    "resend_count": 1,
    "reminder_count": 0,
    "last_sent_at": "2026-03-01T12:00:00+00:00",
    "expires_at": "2026-03-02T12:00:00+00:00",
}


def client(answer: Callable[[httpx.Request], httpx.Response]) -> InvitationClient:
    return InvitationClient("http://invitation/", TOKEN, transport=httpx.MockTransport(answer))


async def test_a_resend_posts_the_contract_and_reads_the_state() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=STATE)

    state = await client(answer).resend(REQUEST)
    assert state == InvitationState.model_validate(STATE)
    assert state.last_sent_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
    (request,) = seen
    assert (request.method, str(request.url)) == (
        "POST",
        "http://invitation/internal/v1/invitations/resend",
    )
    assert request.headers["X-Internal-Token"] == TOKEN
    body = json.loads(request.content)
    assert (body["tenant_id"], body["enrolment_id"]) == ("t-1", "e-1")
    assert body["link_policy"] == {
        "ttl_hours": 24.0,
        "max_resends": 5,
        "self_service_resend": False,
        "activation": "auto",
        "username_source": "chosen",
    }


async def test_a_refusal_is_passed_on_with_its_reason_and_message() -> None:
    problem = {
        "type": "about:blank",
        "title": "Not resent",
        "status": 409,
        "detail": "This invitation was resent 3 times already, the most allowed.",
        "reason": "limit_reached",
        "message": "This invitation was resent 3 times already, the most allowed.",
    }

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            409, json=problem, headers={"content-type": "application/problem+json"}
        )

    with pytest.raises(SendRefused) as caught:
        await client(answer).resend(REQUEST)
    assert caught.value.status == 409
    assert (caught.value.reason, caught.value.detail) == ("limit_reached", problem["message"])


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(503, text="down"),
        httpx.Response(500, json={"detail": "boom"}),
        httpx.Response(401, json={"detail": "bad token"}),  # a misconfiguration, not the resend's
        httpx.Response(404, json={"detail": "Not Found"}),  # a service without the route
        httpx.Response(200, json={"unexpected": True}),
        httpx.Response(200, text="not json"),
        httpx.Response(409, json={"reason": "a word the contract does not have"}),
    ],
    ids=["503", "500", "401", "404", "200-other-shape", "200-not-json", "409-other-shape"],
)
async def test_an_answer_that_is_not_the_contracts_is_unavailable(
    response: httpx.Response,
) -> None:
    with pytest.raises(InvitationServiceUnavailable) as caught:
        await client(lambda _: response).resend(REQUEST)
    assert caught.value.status == 503
    assert "try again" in caught.value.detail


async def test_no_answer_at_all_is_unavailable() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(InvitationServiceUnavailable) as caught:
        await client(unreachable).resend(REQUEST)
    assert "ConnectError" in caught.value.cause


async def test_without_the_internal_token_a_resend_is_unavailable() -> None:
    with pytest.raises(InvitationServiceUnavailable) as caught:
        await NoInvitationService().resend(REQUEST)
    assert "INTERNAL_API_TOKEN" in caught.value.cause
