"""The page of an expired or replaced link offers a new one when the invitation service
says it may ("Send me a new link", a plain form), and the form's answers: on its way, or
why not. The address a link was sent to is never shown."""

from collections.abc import AsyncIterator

import httpx
import pytest
from onboarding_contracts.internal.invitations import LinkRefusal, ResendRefusal
from registration.app import create_app

from .conftest import with_csrf

FORM = {
    "token": "tok",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "username": "ada",
    "password": "correct horse battery staple",
}
BUTTON = '<form method="post" action="/join/new-link">'


@pytest.fixture
async def http(fakes) -> AsyncIterator[httpx.AsyncClient]:
    deps = fakes.dependencies()
    app = create_app(deps.settings, invitations=fakes.invitations)
    app.state.dependencies = deps  # the in-memory store
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        yield client


@pytest.mark.parametrize("reason", [LinkRefusal.EXPIRED, LinkRefusal.REPLACED])
async def test_an_expired_or_replaced_link_offers_a_new_one_for_that_link(
    http: httpx.AsyncClient, fakes, reason: LinkRefusal
) -> None:
    fakes.invitations.refusal = reason
    fakes.invitations.new_link_allowed = True
    for answer, token in (
        (await http.get("/join", params={"token": "tok-<1>"}), "tok-&lt;1&gt;"),
        (await http.post("/join", data=with_csrf("join", {**FORM, "token": "tok-2"})), "tok-2"),
    ):
        assert answer.status_code == 410
        assert f"refused: {reason.value}" in answer.text
        assert BUTTON in answer.text
        assert f'<input type="hidden" name="token" value="{token}">' in answer.text
        assert 'name="csrf_token" value="' in answer.text
        assert "Send me a new link</button>" in answer.text
        assert "<script" not in answer.text, "works without JavaScript"
        assert fakes.invitations.link.email not in answer.text


@pytest.mark.parametrize(
    ("reason", "allowed"),
    [
        (LinkRefusal.EXPIRED, False),
        (LinkRefusal.REPLACED, False),
        (LinkRefusal.USED, True),  # never offered for a link gone for good
        (LinkRefusal.REVOKED, True),
        (LinkRefusal.UNKNOWN, True),
    ],
)
async def test_no_button_unless_a_new_link_may_be_asked_for(
    http: httpx.AsyncClient, fakes, reason: LinkRefusal, allowed: bool
) -> None:
    fakes.invitations.refusal = reason
    fakes.invitations.new_link_allowed = allowed
    page = await http.get("/join", params={"token": "tok"})
    assert page.status_code == reason.status_code
    assert f"refused: {reason.value}" in page.text
    assert BUTTON not in page.text


async def test_the_button_sends_a_new_link_and_says_it_is_on_its_way(
    http: httpx.AsyncClient, fakes
) -> None:
    fakes.invitations.refusal = LinkRefusal.REPLACED
    sent = await http.post("/join/new-link", data=with_csrf("new-link", {"token": "tok-old"}))
    assert sent.status_code == 202
    assert sent.headers["content-type"].startswith("text/html")
    assert "A new link is on its way" in sent.text
    assert fakes.invitations.new_links == ["tok-old"]
    assert fakes.invitations.link.email not in sent.text


@pytest.mark.parametrize("reason", list(ResendRefusal))
async def test_a_refused_request_says_why(
    http: httpx.AsyncClient, fakes, reason: ResendRefusal
) -> None:
    fakes.invitations.new_link_refusal = reason
    page = await http.post("/join/new-link", data=with_csrf("new-link", {"token": "tok"}))
    assert page.status_code == 409
    assert page.headers["content-type"].startswith("text/html")
    assert "We could not send a new link" in page.text
    assert f"no: {reason.value}" in page.text
    assert BUTTON not in page.text


@pytest.mark.parametrize("reason", [LinkRefusal.USED, LinkRefusal.REVOKED, LinkRefusal.UNKNOWN])
async def test_a_link_gone_for_good_is_refused_as_on_the_join_page(
    http: httpx.AsyncClient, fakes, reason: LinkRefusal
) -> None:
    fakes.invitations.refusal = reason
    page = await http.post("/join/new-link", data=with_csrf("new-link", {"token": "tok"}))
    assert page.status_code == reason.status_code
    assert f"refused: {reason.value}" in page.text
    assert fakes.invitations.new_links == []


async def test_an_empty_link_is_incomplete_and_not_forwarded(
    http: httpx.AsyncClient, fakes
) -> None:
    for data in ({}, {"token": " "}):
        page = await http.post("/join/new-link", data=with_csrf("new-link", data))
        assert page.status_code == 404
        assert "This link is incomplete" in page.text
    assert fakes.invitations.new_links == []


async def test_an_unreachable_invitation_service_asks_to_try_again(
    http: httpx.AsyncClient, fakes
) -> None:
    fakes.invitations.down = True
    page = await http.post("/join/new-link", data=with_csrf("new-link", {"token": "tok"}))
    assert page.status_code == 503
    assert "Please try again shortly" in page.text


async def test_the_new_link_route_is_not_in_the_openapi_document(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json")).json()
    assert "/join/new-link" not in document["paths"]
