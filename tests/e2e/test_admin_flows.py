"""What an admin does after enrolling, through the four services running as processes:
inviting by hand, withdrawing an invitation, enrolling someone who already has an account."""

import asyncio
import json

import httpx
import pytest
from onboarding_contracts import Topic
from onboarding_devtools.testing import eventually, query, read_topic
from onboarding_devtools.testing.stack import RunningStack, hidden_fields
from onboarding_kit.kafka import TopicNames

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-admin-flows-key-000000000000"
QUIET_S = 2.0  # how long "no email" is watched for, once the invitation service had its say


Stack = RunningStack


@pytest.fixture(autouse=True)
async def tenant(add_tenant) -> None:
    await add_tenant("e2e-admin", TENANT_KEY)


def admin(stack: Stack) -> httpx.AsyncClient:
    return stack.admin(TENANT_KEY)


def mail_to(stack: Stack, recipient: str) -> list:
    return stack.mail_to(recipient)


def link_for(stack: Stack, recipient: str) -> str:
    return stack.link_for(recipient)


async def enrol(client: httpx.AsyncClient, address: str, **fields: str) -> dict:
    body = {"email": address, "name": address.split("@")[0], "course": "ielts", **fields}
    response = await client.post("/v1/enrolments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def status_of(client: httpx.AsyncClient, enrolment_id: str) -> str:
    response = await client.get(f"/v1/enrolments/{enrolment_id}")
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def becomes(client: httpx.AsyncClient, enrolment_id: str, expected: str) -> None:
    async def reached() -> bool:
        return await status_of(client, enrolment_id) == expected

    await eventually(reached, timeout_s=30)


async def enrolment_events(kafka: str, topic_prefix: str, enrolment_id: str, count: int) -> list:
    """The first `count` events of one enrolment on the enrolment topic, in order."""
    records = await read_topic(
        kafka,
        [TopicNames(topic_prefix).name(Topic.ENROLMENT)],
        until=lambda rs: sum(json.loads(r.value)["subject"] == enrolment_id for r in rs) >= count,
    )
    events = [json.loads(r.value) for r in records]
    return [e for e in events if e["subject"] == enrolment_id]


async def invitation_service_saw_creation(
    stack: Stack, kafka: str, topic_prefix: str, enrolment_id: str
) -> None:
    """Until the invitation service has applied the enrolment's EnrolmentCreated event."""
    created = (await enrolment_events(kafka, topic_prefix, enrolment_id, 1))[0]
    assert created["type"] == "onboarding.enrolment.created"
    assert created["data"]["invite"] is False
    await eventually(
        lambda: query(
            stack.config.database_urls["invitation"],
            "SELECT 1 FROM inbox WHERE consumer = 'invitation' AND event_id = $1",
            created["id"],
        ),
        timeout_s=30,
    )


async def invitations_of(stack: Stack, enrolment_id: str) -> list:
    return await query(
        stack.config.database_urls["invitation"],
        "SELECT id, status FROM invitations WHERE enrolment_id = $1",
        enrolment_id,
    )


async def test_a_person_enrolled_for_a_manual_invite_gets_an_email_only_when_invited(
    stack: Stack, kafka: str, topic_prefix: str
) -> None:
    async with admin(stack) as client:
        waiting = await enrol(client, "later@example.org", invite="manual")
        control = await enrol(client, "now@example.org")  # the tenant policy: auto
        assert (waiting["status"], control["status"]) == ("enrolled", "enrolled")

        await invitation_service_saw_creation(stack, kafka, topic_prefix, waiting["id"])
        await eventually(lambda: mail_to(stack, "now@example.org"), timeout_s=60)
        await asyncio.sleep(QUIET_S)
        assert mail_to(stack, "later@example.org") == []
        assert await invitations_of(stack, waiting["id"]) == []
        assert await status_of(client, waiting["id"]) == "enrolled"

        invited = await client.post(f"/v1/enrolments/{waiting['id']}/invite")
        assert invited.status_code == 202, invited.text
        await eventually(lambda: mail_to(stack, "later@example.org"), timeout_s=60)
        await becomes(client, waiting["id"], "invited")
        assert "/join?token=" in link_for(stack, "later@example.org")
        assert (await client.post(f"/v1/enrolments/{waiting['id']}/invite")).status_code == 409

        async def emailed() -> bool:
            found = (await client.get(f"/v1/enrolments/{waiting['id']}")).json()
            return found["emailed_at"] is not None

        await eventually(emailed, timeout_s=30)
    await asyncio.sleep(QUIET_S)
    assert len(mail_to(stack, "later@example.org")) == 1, "one request, one email"


async def test_a_cancelled_enrolments_link_says_the_invitation_was_withdrawn(
    stack: Stack,
) -> None:
    async with admin(stack) as client:
        person = await enrol(client, "withdrawn@example.org")
        await eventually(lambda: mail_to(stack, "withdrawn@example.org"), timeout_s=60)
        await becomes(client, person["id"], "invited")
        link = link_for(stack, "withdrawn@example.org")
        token = link.split("token=")[1]

        async with httpx.AsyncClient(timeout=30) as browser:
            form_page = await browser.get(link)
            assert form_page.status_code == 200, "the link works until cancelled"
            hidden = hidden_fields(form_page.text)  # the token, and the form's CSRF token

            cancelled = await client.post(f"/v1/enrolments/{person['id']}/cancel")
            assert cancelled.status_code == 200, cancelled.text
            assert cancelled.json()["status"] == "cancelled"

            async def refused() -> httpx.Response | None:
                page = await browser.get(link)
                return page if page.status_code != 200 else None

            page = await eventually(refused, timeout_s=30)
            assert page.status_code == 410
            assert "withdrawn" in page.text
            assert 'name="password"' not in page.text

            registration = await browser.post(
                f"{stack.url('registration')}/v1/registrations",
                json={
                    "token": token,
                    "first_name": "Will",
                    "last_name": "Drawn",
                    "username": "withdrawn",
                    "password": "correct horse battery",
                },
            )
            assert registration.status_code == 410, registration.text
            assert registration.json()["reason"] == "revoked"
            form = await browser.post(
                f"{stack.url('registration')}/join",
                data={
                    **hidden,
                    "token": token,
                    "first_name": "Will",
                    "last_name": "Drawn",
                    "username": "withdrawn",
                    "password": "correct horse battery",
                },
            )
            assert form.status_code == 410 and "withdrawn" in form.text

        assert [r["status"] for r in await invitations_of(stack, person["id"])] == ["revoked"]
        assert await status_of(client, person["id"]) == "cancelled"
        assert (
            await query(stack.config.database_urls["registration"], "SELECT * FROM accounts") == []
        )


async def test_someone_who_registered_is_active_in_a_second_course_without_another_email(
    stack: Stack, kafka: str, topic_prefix: str
) -> None:
    async with admin(stack) as client:
        first = await enrol(client, "ada@example.org", name="Ada Lovelace")
        await eventually(lambda: mail_to(stack, "ada@example.org"), timeout_s=60)
        link = link_for(stack, "ada@example.org")

        async with httpx.AsyncClient(timeout=30) as browser:
            form = await browser.get(link)
            assert form.status_code == 200 and "ada@example.org" in form.text
            done = await browser.post(
                f"{stack.url('registration')}/join",
                data={
                    **hidden_fields(form.text),
                    "token": link.split("token=")[1],
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "username": "ada",
                    "password": "correct horse battery",
                },
            )
            assert done.status_code == 201, done.text
        await becomes(client, first["id"], "active")
        await eventually(
            lambda: query(
                stack.config.database_urls["enrolment"],
                "SELECT 1 FROM accounts WHERE email = 'ada@example.org'",
            )
        )

        second = await enrol(client, "ADA@example.org", name="Ada Lovelace", course="toefl")
        assert second["status"] == "active"
        account_id = (await client.get(f"/v1/enrolments/{first['id']}")).json()["account_id"]
        assert account_id is not None and second["account_id"] == account_id
        assert second["activated_at"] and second["invited_at"] is None

        await invitation_service_saw_creation(stack, kafka, topic_prefix, second["id"])
        await asyncio.sleep(QUIET_S)
        assert len(mail_to(stack, "ada@example.org")) == 1, "no second email"
        assert await invitations_of(stack, second["id"]) == []
        assert await status_of(client, second["id"]) == "active"
        funnel = (await client.get("/v1/funnel", params={"course": "toefl"})).json()
        assert (funnel["enrolled"], funnel["invited"], funnel["emailed"], funnel["active"]) == (
            1,
            0,
            0,
            1,
        )

    events = await enrolment_events(kafka, topic_prefix, second["id"], 2)
    assert [e["type"] for e in events] == [
        "onboarding.enrolment.created",
        "onboarding.enrolment.activated",
    ]
    assert events[1]["data"]["account_id"] == account_id
