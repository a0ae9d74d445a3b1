"""The HTTP adapter of the invitation service speaks the internal contract: its paths,
header and bodies; refusals read from problem+json; no answer is 'unavailable'."""

import json

import httpx
import pytest
from onboarding_contracts.internal.invitations import (
    INSPECT_PATH,
    MAX_TOKEN_LENGTH,
    NEW_LINK_PATH,
    PREFIX,
    REDEEM_PATH,
    TOKEN_HEADER,
    LinkDetails,
    LinkRefusal,
    NewLinkOut,
    ResendRefusal,
)
from registration.domain.links import MALFORMED_LINK
from registration.errors import InvitationServiceUnavailable, LinkRefused, NewLinkRefused
from registration.invitations import InvitationClient

TOKEN = "internal-token-0123456789"


def client(answer: httpx.Response, requests: list[httpx.Request]) -> InvitationClient:
    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer

    return InvitationClient("http://invitation/", TOKEN, transport=httpx.MockTransport(handle))


async def test_inspect_and_redeem_post_the_contracts_bodies(link: LinkDetails) -> None:
    requests: list[httpx.Request] = []
    invitations = client(httpx.Response(200, json=link.model_dump(mode="json")), requests)

    assert await invitations.inspect("tok") == link
    assert await invitations.redeem("tok", "acc-1") == link

    inspect, redeem = requests
    assert (inspect.method, inspect.url.path) == ("POST", f"{PREFIX}{INSPECT_PATH}")
    assert json.loads(inspect.content) == {"token": "tok"}
    assert redeem.url.path == f"{PREFIX}{REDEEM_PATH}"
    assert json.loads(redeem.content) == {"token": "tok", "account_id": "acc-1"}
    assert all(r.headers[TOKEN_HEADER] == TOKEN for r in requests)
    await invitations.close()


@pytest.mark.parametrize("reason", list(LinkRefusal))
async def test_a_refusal_is_read_from_the_problem_document(reason: LinkRefusal) -> None:
    problem = {
        "type": "about:blank",
        "title": "Invitation link refused",
        "status": reason.status_code,
        "detail": "what to do",
        "reason": reason.value,
        "message": "what to do",
    }
    answer = httpx.Response(
        reason.status_code, json=problem, headers={"content-type": "application/problem+json"}
    )
    invitations = client(answer, [])
    for call in (
        invitations.inspect("tok"),
        invitations.redeem("tok", "acc-1"),
        invitations.request_new_link("tok"),
    ):
        with pytest.raises(LinkRefused) as refused:
            await call
        assert (refused.value.reason, refused.value.message) == (reason, "what to do")
        assert refused.value.status == reason.status_code
        assert refused.value.new_link_allowed is False
    await invitations.close()


async def test_a_refusal_says_whether_a_new_link_may_be_asked_for() -> None:
    problem = {"status": 410, "reason": "replaced", "message": "m", "new_link_allowed": True}
    invitations = client(httpx.Response(410, json=problem), [])
    with pytest.raises(LinkRefused) as refused:
        await invitations.inspect("tok")
    assert refused.value.new_link_allowed is True
    assert refused.value.extensions["new_link_allowed"] is True
    await invitations.close()


async def test_a_new_link_is_asked_for_with_the_contracts_body() -> None:
    requests: list[httpx.Request] = []
    answer = httpx.Response(202, json={"message": "on its way"})
    invitations = client(answer, requests)
    assert await invitations.request_new_link("tok") == NewLinkOut(message="on its way")
    [request] = requests
    assert (request.method, request.url.path) == ("POST", f"{PREFIX}{NEW_LINK_PATH}")
    assert json.loads(request.content) == {"token": "tok"}
    assert request.headers[TOKEN_HEADER] == TOKEN
    await invitations.close()


@pytest.mark.parametrize("reason", list(ResendRefusal))
async def test_a_refused_new_link_is_read_from_the_problem_document(reason: ResendRefusal) -> None:
    problem = {"title": "No new link", "status": 409, "reason": reason.value, "message": "why"}
    invitations = client(httpx.Response(409, json=problem), [])
    with pytest.raises(NewLinkRefused) as refused:
        await invitations.request_new_link("tok")
    assert (refused.value.reason, refused.value.message, refused.value.status) == (
        reason,
        "why",
        409,
    )
    await invitations.close()


@pytest.mark.parametrize("token", ["", "x" * (MAX_TOKEN_LENGTH + 1)])
async def test_a_malformed_link_is_refused_without_asking(token: str) -> None:
    requests: list[httpx.Request] = []
    invitations = client(httpx.Response(500), requests)
    for call in (
        invitations.inspect(token),
        invitations.redeem(token, "acc-1"),
        invitations.request_new_link(token),
    ):
        with pytest.raises(LinkRefused) as refused:
            await call
        assert (refused.value.reason, refused.value.message) == (
            LinkRefusal.UNKNOWN,
            MALFORMED_LINK,
        )
    assert requests == []
    await invitations.close()


async def test_no_answer_or_a_server_error_is_unavailable(unused_port: int) -> None:
    down = InvitationClient(f"http://127.0.0.1:{unused_port}", TOKEN)
    with pytest.raises(InvitationServiceUnavailable):
        await down.inspect("tok")
    await down.close()
    failing = client(httpx.Response(502), [])
    with pytest.raises(InvitationServiceUnavailable) as unavailable:
        await failing.redeem("tok", "acc-1")
    assert unavailable.value.status == 503
    await failing.close()
