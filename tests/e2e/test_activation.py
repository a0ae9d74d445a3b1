"""A tenant that activates accounts by hand (`activation: admin`), through the four services
running as processes: registered → `pending_activation` → an admin activates → `active`,
and the welcome email only then."""

import asyncio
import json

import httpx
import pytest
from onboarding_contracts import Topic
from onboarding_devtools.testing import eventually, query, read_topic
from onboarding_devtools.testing.stack import RunningStack, hidden_fields
from onboarding_kit.kafka import TopicNames

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-activation-key-0000000000000"
PASSWORD = "correct horse battery staple"
QUIET_S = 3.0  # how long "no welcome email yet" is watched for


@pytest.fixture(autouse=True)
async def tenant(add_tenant, stack: RunningStack) -> None:
    await add_tenant("e2e-activation", TENANT_KEY)
    async with stack.admin(TENANT_KEY) as client:
        changed = await client.put("/v1/settings", json={"activation": "admin"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["activation"] == "admin"


async def enrol(stack: RunningStack, client: httpx.AsyncClient, address: str) -> str:
    enrolled = await client.post(
        "/v1/enrolments", json={"email": address, "name": "Ada Lovelace", "course": "ielts"}
    )
    assert enrolled.status_code == 201, enrolled.text
    await eventually(lambda: stack.mail_to(address), timeout_s=60)
    enrolment_id: str = enrolled.json()["id"]
    return enrolment_id


async def register_through_the_link(stack: RunningStack, address: str, username: str) -> str:
    """Open the invitation's link, fill in the form, send it; the page that answers."""
    link = stack.link_for(address)
    async with httpx.AsyncClient(timeout=30) as person:
        form = await person.get(link)
        assert form.status_code == 200, form.text
        done = await person.post(
            f"{stack.url('registration')}/join",
            data={
                **hidden_fields(form.text),
                "first_name": "Ada",
                "last_name": "Lovelace",
                "username": username,
                "password": PASSWORD,
            },
        )
    assert done.status_code == 201, done.text
    return done.text


async def status_of(client: httpx.AsyncClient, enrolment_id: str) -> str:
    found = await client.get(f"/v1/enrolments/{enrolment_id}")
    assert found.status_code == 200, found.text
    status: str = found.json()["status"]
    return status


async def becomes(client: httpx.AsyncClient, enrolment_id: str, expected: str) -> None:
    async def reached() -> bool:
        return await status_of(client, enrolment_id) == expected

    await eventually(reached, timeout_s=30)


def welcome_to(stack: RunningStack, address: str) -> list:
    return stack.mail_to(address, "welcome")


async def events_of(kafka: str, topic: str, subject: str, until_type: str) -> list[dict]:
    """The events about `subject` on `topic`, read until one of `until_type` is among them."""

    def about(records: list) -> list[dict]:
        events = (json.loads(r.value) for r in records)
        return [e for e in events if e["subject"] == subject]

    records = await read_topic(
        kafka, [topic], until=lambda rs: any(e["type"] == until_type for e in about(rs))
    )
    return about(records)


async def test_an_admin_activates_a_registered_account_and_only_then_it_is_welcomed(
    stack: RunningStack, kafka: str, topic_prefix: str
) -> None:
    topics = TopicNames(topic_prefix)
    async with stack.admin(TENANT_KEY) as client:
        enrolment_id = await enrol(stack, client, "ada@example.org")
        page = await register_through_the_link(stack, "ada@example.org", "ada.king")
        assert "administrator" in page, "the welcome page says the account awaits approval"

        await becomes(client, enrolment_id, "pending_activation")
        waiting = await client.get("/v1/enrolments", params={"status": "pending_activation"})
        assert [e["id"] for e in waiting.json()["items"]] == [enrolment_id]
        funnel = (await client.get("/v1/funnel", params={"course": "ielts"})).json()
        assert (funnel["registered"], funnel["pending_activation"], funnel["active"]) == (1, 1, 0)

        await asyncio.sleep(QUIET_S)
        assert welcome_to(stack, "ada@example.org") == [], "no welcome before the approval"
        assert await status_of(client, enrolment_id) == "pending_activation"
        assert (
            await query(
                stack.config.database_urls["notification"],
                "SELECT * FROM messages WHERE kind = 'welcome'",
            )
            == []
        )

        activated = await client.post(f"/v1/enrolments/{enrolment_id}/activate")
        assert activated.status_code == 202, activated.text
        await becomes(client, enrolment_id, "active")
        again = await client.post(f"/v1/enrolments/{enrolment_id}/activate")
        assert again.status_code == 409, again.text
        assert again.headers["content-type"] == "application/problem+json"

        welcome = await eventually(lambda: welcome_to(stack, "ada@example.org"), timeout_s=30)
        funnel = (await client.get("/v1/funnel", params={"course": "ielts"})).json()
        assert (funnel["pending_activation"], funnel["active"]) == (0, 1)

    (message,) = welcome
    assert message["Subject"] == "Your account is ready"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "ada.king" in text.get_content()
    assert PASSWORD not in text.get_content()
    assert len(stack.mail_to("ada@example.org")) == 1, "one invitation, nothing re-sent"

    enrolment_events = await events_of(
        kafka, topics.name(Topic.ENROLMENT), enrolment_id, "onboarding.enrolment.activated"
    )
    types = [e["type"] for e in enrolment_events]
    assert types.index("onboarding.enrolment.activation_approved") < types.index(
        "onboarding.enrolment.activated"
    )
    (enrolment_activated,) = (
        e for e in enrolment_events if e["type"] == "onboarding.enrolment.activated"
    )
    account_id = enrolment_activated["data"]["account_id"]
    registration_events = await events_of(
        kafka,
        topics.name(Topic.REGISTRATION),
        account_id,
        "onboarding.registration.account_activated",
    )
    completed, account_activated = registration_events
    assert completed["type"] == "onboarding.registration.completed"
    assert completed["data"]["awaiting_activation"] is True
    assert account_activated["data"]["username"] == "ada.king"


async def test_an_admin_activates_everyone_waiting_in_a_course_at_once(
    stack: RunningStack,
) -> None:
    async with stack.admin(TENANT_KEY) as client:
        people = {
            address: await enrol(stack, client, address)
            for address in ("bo@example.org", "cy@example.org")
        }
        not_registered = await enrol(stack, client, "dee@example.org")
        for n, address in enumerate(people):
            await register_through_the_link(stack, address, f"person{n}")
        for enrolment_id in people.values():
            await becomes(client, enrolment_id, "pending_activation")

        activated = await client.post("/v1/enrolments:activate", json={"course": "ielts"})
        assert activated.status_code == 202, activated.text
        assert activated.json()["requested"] == 2
        for enrolment_id in people.values():
            await becomes(client, enrolment_id, "active")
        for address in people:
            await eventually(lambda address=address: welcome_to(stack, address), timeout_s=30)
        assert await status_of(client, not_registered) == "invited"
        assert welcome_to(stack, "dee@example.org") == []
