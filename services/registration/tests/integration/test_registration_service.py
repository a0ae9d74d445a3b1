"""The registration service in-process, wired to a real invitation service (see `stack`),
both over a real PostgreSQL and a real Kafka broker."""

from dataclasses import replace

import httpx
import pytest
from aiokafka import ConsumerRecord
from argon2 import PasswordHasher
from onboarding_contracts import AccountActivated, RegistrationCompleted, Topic, parse_event
from onboarding_devtools.testing import eventually, query, read_topic
from registration.invitations import InvitationClient

from .stack import INTERNAL_TOKEN, PASSWORD, TENANT, Stack

pytestmark = pytest.mark.integration


def field_errors(problem: httpx.Response) -> dict[str, str]:
    """The `errors` of a problem+json answer, by field."""
    assert problem.headers["content-type"] == "application/problem+json"
    return {e["field"]: e["reason"] for e in problem.json()["errors"]}


async def test_registering_activates_an_argon2id_account_and_announces_it(stack: Stack) -> None:
    invited = await stack.invite()

    response = await stack.register(invited.token, username="Ada.L")

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "account_id": body["account_id"],
        "username": "ada.l",
        "email": invited.event.data.email,
        "course": invited.event.data.course,
        "awaiting_activation": False,
    }
    account_id = body["account_id"]
    [account] = await stack.accounts()
    assert account["id"] == account_id
    assert account["status"] == "active"
    assert (account["first_name"], account["last_name"]) == ("Ada", "Lovelace")
    assert account["invitation_id"] == invited.invitation_id
    assert account["enrolment_id"] == invited.event.data.enrolment_id
    assert account["activated_at"] is not None
    assert account["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(account["password_hash"], PASSWORD)
    assert PASSWORD not in repr(dict(account))

    # RegistrationCompleted then AccountActivated, in the correlation of the enrolment.
    def mine(records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        return [r for r in records if r.key == account_id.encode()]

    records = await read_topic(
        stack.kafka,
        [stack.topics.name(Topic.REGISTRATION)],
        until=lambda rs: len(mine(rs)) >= 2,
    )
    events = [parse_event(r.value) for r in sorted(mine(records), key=lambda r: r.offset)]
    assert [type(e) for e in events] == [RegistrationCompleted, AccountActivated]
    completed, activated = events
    assert isinstance(completed, RegistrationCompleted)
    assert isinstance(activated, AccountActivated)
    for event in events:
        assert event.subject == account_id
        assert event.tenant_id == TENANT
        assert event.correlation_id == invited.event.correlation_id
        assert event.data.enrolment_id == invited.event.data.enrolment_id
        assert event.data.account_id == account_id
    assert completed.data.invitation_id == invited.invitation_id
    assert completed.data.username == "ada.l"
    assert completed.data.awaiting_activation is False
    assert (activated.data.username, activated.data.first_name) == ("ada.l", "Ada")
    assert activated.causation_id == completed.id
    assert all(PASSWORD.encode() not in r.value for r in records)

    # The invitation service took note of the account; the link is spent.
    async def account_recorded() -> bool:
        rows = await query(stack.invitation_db, "SELECT status, account_id FROM invitations")
        return [tuple(r) for r in rows] == [("accepted", account_id)]

    await eventually(account_recorded, timeout_s=15)
    again = await stack.register(invited.token)
    assert again.status_code == 410
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["reason"] == "used"
    unknown = await stack.register("no-such-token")
    assert unknown.status_code == 404
    assert unknown.json()["reason"] == "unknown"
    assert len(await stack.accounts()) == 1


async def test_a_taken_username_is_refused_without_burning_the_link(stack: Stack) -> None:
    first, second = await stack.invite(), await stack.invite()
    assert (await stack.register(first.token, username="grace")).status_code == 201

    taken = await stack.register(second.token, username="Grace")

    assert taken.status_code == 409
    errors = field_errors(taken)
    assert set(errors) == {"username"}
    assert "taken" in errors["username"]
    assert [a["username"] for a in await stack.accounts()] == ["grace"]
    retry = await stack.register(second.token, username="grace.h")
    assert retry.status_code == 201
    assert retry.json()["email"] == second.event.data.email
    accounts = await stack.accounts()
    assert [(a["username"], a["status"]) for a in accounts] == [
        ("grace", "active"),
        ("grace.h", "active"),
    ]


async def test_invalid_fields_are_each_named_and_do_not_burn_the_link(stack: Stack) -> None:
    invited = await stack.invite()

    invalid = await stack.register(
        invited.token, first_name="  ", last_name="", username="x!", password="short"
    )

    assert invalid.status_code == 422
    errors = field_errors(invalid)
    assert set(errors) == {"first_name", "last_name", "username", "password"}
    assert "10 characters" in errors["password"]
    assert await stack.accounts() == []
    assert (await stack.register(invited.token)).status_code == 201


async def test_the_join_pages(stack: Stack) -> None:
    invited = await stack.invite(name="Ada Lovelace")
    email = invited.event.data.email

    page = await stack.client.get("/join", params={"token": invited.token})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert email in page.text
    assert "Ada Lovelace" in page.text
    assert '<form method="post" action="/join">' in page.text
    assert f'name="token" value="{invited.token}"' in page.text

    for params in ({}, {"token": ""}):
        missing = await stack.client.get("/join", params=params)
        assert missing.status_code == 404
        assert "This link is incomplete" in missing.text
    unknown = await stack.client.get("/join", params={"token": "no-such-token"})
    assert unknown.status_code == 404
    assert "This invitation link is not valid" in unknown.text

    form = {
        **await stack.join_form(invited.token),
        "first_name": "Ada",
        "last_name": "Byron-King",
        "username": "countess",
        "password": "short",
    }
    too_short = await stack.client.post("/join", data=form)
    assert too_short.status_code == 422
    assert "at least 10 characters" in too_short.text
    assert 'value="Ada"' in too_short.text
    assert 'value="Byron-King"' in too_short.text
    assert 'value="countess"' in too_short.text
    assert 'value="short"' not in too_short.text  # a password is never echoed
    assert email in too_short.text

    injected = await stack.client.post("/join", data={**form, "first_name": "<script>x</script>"})
    assert injected.status_code == 422
    assert "<script>x</script>" not in injected.text
    assert "&lt;script&gt;x&lt;/script&gt;" in injected.text
    assert await stack.accounts() == []

    welcome = await stack.client.post("/join", data={**form, "password": PASSWORD})
    assert welcome.status_code == 201
    assert "Welcome, countess" in welcome.text
    [account] = await stack.accounts()
    assert (account["username"], account["status"]) == ("countess", "active")

    used = await stack.client.get("/join", params={"token": invited.token})
    assert used.status_code == 410
    assert "already been used" in used.text


async def test_a_malformed_link_gets_the_invalid_link_page_not_an_error(stack: Stack) -> None:
    too_long = "x" * 500
    page = await stack.client.get("/join", params={"token": too_long})
    assert page.status_code == 404 and "not valid" in page.text
    api = await stack.register(too_long)
    assert api.status_code == 404 and api.json()["reason"] == "unknown"


async def test_when_the_invitation_service_is_down_people_are_asked_to_retry(
    stack: Stack, unused_port: int
) -> None:
    invited = await stack.invite()
    app = stack.registration_app
    working = app.state.dependencies
    down = InvitationClient(f"http://127.0.0.1:{unused_port}", INTERNAL_TOKEN)
    app.state.dependencies = replace(working, invitations=down)
    try:
        page = await stack.client.get("/join", params={"token": invited.token})
        assert page.status_code == 503 and "try again" in page.text
        api = await stack.register(invited.token)
        assert api.status_code == 503
        assert api.headers["content-type"] == "application/problem+json"
    finally:
        await down.close()
        app.state.dependencies = working
    assert (await stack.register(invited.token)).status_code == 201, "the link was not burned"
