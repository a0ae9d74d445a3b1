"""The routes over the fakes: JSON errors are problem+json (each status documented), the
join pages answer HTML whatever happens to the link."""

from collections.abc import AsyncIterator

import httpx
import pytest
from onboarding_contracts.internal.invitations import LinkRefusal
from registration.app import create_app

from .conftest import with_csrf

PASSWORD = "correct horse battery staple"
FORM = {
    "token": "tok",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "username": "ada",
    "password": PASSWORD,
}


@pytest.fixture
async def http(fakes) -> AsyncIterator[httpx.AsyncClient]:
    deps = fakes.dependencies()
    app = create_app(deps.settings, invitations=fakes.invitations)
    app.state.dependencies = deps  # the in-memory store
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


async def test_a_registration(http: httpx.AsyncClient, fakes) -> None:
    created = await http.post("/v1/registrations", json=FORM)
    assert created.status_code == 201
    assert created.json() == {
        "account_id": "acc-1",
        "username": "ada",
        "email": fakes.invitations.link.email,
        "course": fakes.invitations.link.course,
        "awaiting_activation": False,
    }


@pytest.mark.parametrize("reason", list(LinkRefusal))
async def test_a_refused_link_is_a_problem_with_its_reason(
    http: httpx.AsyncClient, fakes, reason: LinkRefusal
) -> None:
    fakes.invitations.refusal = reason
    body = problem(await http.post("/v1/registrations", json=FORM), reason.status_code)
    assert (body["reason"], body["message"]) == (reason.value, f"refused: {reason.value}")


async def test_a_taken_username_is_a_conflict_naming_the_field(
    http: httpx.AsyncClient, fakes
) -> None:
    assert (await http.post("/v1/registrations", json=FORM)).status_code == 201
    fakes.invitations.redeemed_for = None  # another person's link
    fakes.invitations.link = fakes.invitations.link.model_copy(update={"invitation_id": "inv-2"})

    body = problem(await http.post("/v1/registrations", json={**FORM, "token": "tok-2"}), 409)

    assert body["errors"] == [{"field": "username", "reason": "'ada' is taken: choose another"}]


async def test_invalid_fields_are_each_named(http: httpx.AsyncClient, fakes) -> None:
    bad = {**FORM, "first_name": " ", "username": "x!", "password": "short"}
    body = problem(await http.post("/v1/registrations", json=bad), 422)
    assert [e["field"] for e in body["errors"]] == ["first_name", "username", "password"]
    assert [e["reason"] for e in body["errors"]] == [
        "enter your first name",
        "3 to 32 characters: letters, digits, dots, dashes or underscores, "
        "starting with a letter or digit",
        "at least 10 characters",
    ], "the sign-up rules' words, not the schema's"
    missing = problem(await http.post("/v1/registrations", json={"token": "tok"}), 422)
    assert {e["field"] for e in missing["errors"]} == {"first_name", "last_name", "password"}
    no_username = problem(
        await http.post("/v1/registrations", json={**FORM, "username": None}), 422
    )
    assert no_username["errors"] == [{"field": "username", "reason": "choose a username"}]
    assert fakes.invitations.calls == []


async def test_the_policy_and_the_phone_are_judged_once_the_link_is(
    http: httpx.AsyncClient, fakes
) -> None:
    """What a schema cannot say is refused with each field named, as the form does."""
    body = {**FORM, "password": "1234567890", "phone": "020 7946 0958", "middle_name": " "}
    refused = problem(await http.post("/v1/registrations", json=body), 422)
    assert {e["field"]: e["reason"] for e in refused["errors"]} == {
        "phone": "enter the number in international format: + and the country code, "
        "e.g. +44 20 7946 0958",
        "password": "this is one of the most common passwords: choose another",
    }
    mine = {**FORM, "password": "ADA@example.org"}  # the email address, in another case
    assert problem(await http.post("/v1/registrations", json=mine), 422)["errors"] == [
        {"field": "password", "reason": "must not be your username or your email address"}
    ]
    assert fakes.invitations.calls == [], "the link was not redeemed"
    fakes.invitations.refusal = LinkRefusal.UNKNOWN
    unknown = await http.post("/v1/registrations", json=body)
    assert unknown.status_code == 404, "the link first: a body the schema admits is not 422"


async def test_an_unreachable_invitation_service_is_503(http: httpx.AsyncClient, fakes) -> None:
    fakes.invitations.down = True
    body = problem(await http.post("/v1/registrations", json=FORM), 503)
    assert "try again" in body["detail"]
    page = await http.get("/join", params={"token": "tok"})
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "Please try again shortly" in page.text


@pytest.mark.parametrize("reason", list(LinkRefusal))
async def test_a_refused_link_is_a_page(
    http: httpx.AsyncClient, fakes, reason: LinkRefusal
) -> None:
    fakes.invitations.refusal = reason
    for answer in (
        await http.get("/join", params={"token": "tok"}),
        await http.post("/join", data=with_csrf("join", FORM)),
    ):
        assert answer.status_code == reason.status_code
        assert answer.headers["content-type"].startswith("text/html")
        assert f"refused: {reason.value}" in answer.text


async def test_a_taken_username_shows_the_form_again(http: httpx.AsyncClient, fakes) -> None:
    assert (await http.post("/join", data=with_csrf("join", FORM))).status_code == 201
    fakes.invitations.redeemed_for = None  # another person's link
    fakes.invitations.link = fakes.invitations.link.model_copy(update={"invitation_id": "inv-2"})

    again = await http.post("/join", data=with_csrf("join", {**FORM, "token": "tok-2"}))

    assert again.status_code == 422
    assert "&#39;ada&#39; is taken: choose another" in again.text
    assert 'value="ada"' in again.text


async def test_the_openapi_document_names_every_answer(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json")).json()
    assert "/join" not in document["paths"]
    responses = document["paths"]["/v1/registrations"]["post"]["responses"]
    assert set(responses) >= {"201", "404", "409", "410", "413", "422", "429", "503"}
    for status in set(responses) - {"201"}:  # FastAPI's own 400 (unreadable body) included
        assert set(responses[status]["content"]) == {"application/problem+json"}
    checks = document["paths"]["/v1/usernames/{name}/availability"]["get"]["responses"]
    assert set(checks) >= {"200", "404", "410", "422", "429", "503"}
    assert checks["429"]["headers"]["Retry-After"]["required"] is True
