"""The live username check over the fakes: available, taken (reservations count) or
invalid with why; the link judged as for a registration; rates per client and per link."""

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from onboarding_contracts.internal.invitations import LinkRefusal
from registration.app import create_app
from registration.domain.usernames import USERNAME_RULE
from registration.store.accounts import Reservation

from .conftest import NOW, Fakes

HELD = Reservation(
    account_id="acc-other",
    tenant_id="t-1",
    username="grace",
    email="grace@example.org",
    invitation_id="inv-other",
    enrolment_id="enr-other",
    link_hash=b"other",
    reserved_at=NOW,
)


def service(fakes: Fakes, **settings: int) -> httpx.AsyncClient:
    deps = fakes.dependencies(**settings)
    app = create_app(deps.settings, invitations=fakes.invitations)
    app.state.dependencies = deps  # the in-memory store
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://registration")


@pytest.fixture
async def http(fakes) -> AsyncIterator[httpx.AsyncClient]:
    async with service(fakes) as client:
        yield client


async def availability(http: httpx.AsyncClient, name: str, token: str = "tok") -> dict:  # noqa: S107
    answer = await http.get(f"/v1/usernames/{name}/availability", params={"token": token})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body: dict = answer.json()
    return body


async def test_a_free_name_is_available_as_it_would_be_stored(
    http: httpx.AsyncClient,
) -> None:
    assert await availability(http, " Ada.L ") == {"username": "ada.l", "status": "available"}


async def test_a_name_held_by_someone_in_the_tenant_is_taken(
    http: httpx.AsyncClient, fakes
) -> None:
    fakes.tx.accounts.reserved[HELD.account_id] = HELD  # reserved, not even complete
    assert await availability(http, "Grace") == {"username": "grace", "status": "taken"}


async def test_a_name_held_in_another_tenant_or_by_this_very_link_is_available(
    http: httpx.AsyncClient, fakes
) -> None:
    accounts = fakes.tx.accounts.reserved
    accounts["a"] = replace(HELD, account_id="a", tenant_id="t-2")
    accounts["b"] = replace(HELD, account_id="b", username="ada", invitation_id="inv-1")
    assert (await availability(http, "grace"))["status"] == "available"
    assert (await availability(http, "ada"))["status"] == "available", "its own reservation"


@pytest.mark.parametrize("name", ["ab", "a" * 33, ".ann", "ann lee", "anné", "%20"])
async def test_a_name_breaking_the_rules_is_invalid_with_why(
    http: httpx.AsyncClient, fakes, name: str
) -> None:
    fakes.invitations.down = True  # not asked: the rules are judged first
    body = await availability(http, name)
    assert body["status"] == "invalid"
    assert body["reason"] in (USERNAME_RULE, "choose a username")


@pytest.mark.parametrize("reason", list(LinkRefusal))
async def test_a_link_that_cannot_be_used_is_refused_as_for_a_registration(
    http: httpx.AsyncClient, fakes, reason: LinkRefusal
) -> None:
    fakes.invitations.refusal = reason
    answer = await http.get("/v1/usernames/ada/availability", params={"token": "tok"})
    assert answer.status_code == reason.status_code
    assert answer.headers["content-type"] == "application/problem+json"
    missing = await http.get("/v1/usernames/ada/availability")
    assert missing.status_code == 404


async def test_checks_are_limited_per_client(fakes) -> None:
    async with service(fakes, username_checks_per_minute_per_ip=3) as http:
        for n in range(3):
            assert (await availability(http, "ada", token=f"tok-{n}"))["status"] == "available"
        refused = await http.get("/v1/usernames/ada/availability", params={"token": "tok-9"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) == 20, "one more check every 20 s"


async def test_checks_are_limited_per_link(fakes) -> None:
    async with service(fakes, username_checks_per_minute_per_link=2) as http:
        for name in ("ada", "ada2"):
            assert (await availability(http, name))["status"] == "available"
        refused = await http.get("/v1/usernames/ada3/availability", params={"token": " tok "})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) == 30
        other = await availability(http, "ada3", token="tok-2")
        assert other["status"] == "available", "another link is not affected"
