"""The invitation lifecycle through the four services running as processes: a link that
expires, a resend that replaces it, the limit on resends, reminders by hand and by
schedule."""

import asyncio

import httpx
import pytest
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.stack import ACCEPT_LINK, RunningStack

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-lifecycle-key-00000000000000"
SCHEDULED_KEY = "onb_e2e-lifecycle-scheduled-key-0000"
SHORT_TTL_HOURS = 0.001  # 3.6 seconds
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
async def tenants(add_tenant) -> None:
    await add_tenant("e2e-lifecycle", TENANT_KEY)
    await add_tenant("e2e-lifecycle-scheduled", SCHEDULED_KEY)


async def settings(client: httpx.AsyncClient, **changes: object) -> dict:
    response = await client.put("/v1/settings", json=changes)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


async def enrol(client: httpx.AsyncClient, address: str, course: str = "ielts") -> str:
    body = {"email": address, "name": address.split("@")[0], "course": course}
    response = await client.post("/v1/enrolments", json=body)
    assert response.status_code == 201, response.text
    enrolment_id: str = response.json()["id"]
    return enrolment_id


async def enrolment(client: httpx.AsyncClient, enrolment_id: str) -> dict:
    response = await client.get(f"/v1/enrolments/{enrolment_id}")
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


async def becomes(client: httpx.AsyncClient, enrolment_id: str, status: str) -> None:
    async def reached() -> bool:
        return (await enrolment(client, enrolment_id))["status"] == status

    await eventually(reached, timeout_s=30)


async def invitation_of(client: httpx.AsyncClient, email: str) -> dict:
    response = await client.get("/v1/invitations", params={"email": email})
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    found: dict = item
    return found


def links_sent_to(stack: RunningStack, address: str) -> list[tuple[str, str]]:
    """(subject, accept link) of every message sent to `address`, in the order sent (the
    sink's files sort that way)."""
    sent = []
    for message in stack.mail_to(address):
        text = message.get_body(preferencelist=("plain",))
        assert text is not None
        found = ACCEPT_LINK.search(text.get_content())
        assert found, text.get_content()
        sent.append((str(message["Subject"]), found.group(0)))
    return sent


async def messages(stack: RunningStack, address: str, count: int) -> list[tuple[str, str]]:
    """Once `count` messages reached `address`, their (subject, link)."""
    await eventually(lambda: len(stack.mail_to(address)) >= count, timeout_s=60)
    return links_sent_to(stack, address)


async def register(stack: RunningStack, link: str, username: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url("registration"), timeout=30) as http:
        return await http.post(
            "/v1/registrations",
            json={
                "token": link.split("token=")[1],
                "first_name": "Pat",
                "last_name": "Doe",
                "username": username,
                "password": PASSWORD,
            },
        )


async def test_a_link_expires_and_a_resend_replaces_it(stack: RunningStack) -> None:
    async with stack.admin(TENANT_KEY) as client:
        await settings(client, invitation_ttl_hours=SHORT_TTL_HOURS)
        expiring = await enrol(client, "late@example.org")
        ((_, first_link),) = await messages(stack, "late@example.org", 1)

        # The sweeper marks it expired: in the enrolment, the invitations list, the funnel.
        await becomes(client, expiring, "expired")
        assert (await invitation_of(client, "late@example.org"))["status"] == "expired"
        expired = await client.get("/v1/invitations", params={"status": "expired"})
        assert [i["enrolment_id"] for i in expired.json()["items"]] == [expiring]
        funnel = (await client.get("/v1/funnel", params={"course": "ielts"})).json()
        assert funnel["expired"] == 1
        async with httpx.AsyncClient(timeout=30) as person:
            assert (await person.get(first_link)).status_code == 410

        # A resend under the tenant's (now longer) lifetime brings a new link at once.
        await settings(client, invitation_ttl_hours=24)
        resent = await client.post(f"/v1/enrolments/{expiring}/resend")
        assert resent.status_code == 200, resent.text
        assert (resent.json()["send_count"], resent.json()["resend_count"]) == (2, 1)
        async with httpx.AsyncClient(timeout=30) as person:
            replaced = await person.get(first_link)
            assert replaced.status_code == 410, replaced.text
        (_, first), (subject, second_link) = await messages(stack, "late@example.org", 2)
        assert first_link == first and second_link != first_link
        assert subject.startswith("Your new link")
        await becomes(client, expiring, "invited")

        done = await register(stack, second_link, "late1")
        assert done.status_code == 201, done.text
        await becomes(client, expiring, "active")
        refused = await client.post(f"/v1/enrolments/{expiring}/resend")
        assert refused.status_code == 409, refused.text


async def test_the_fourth_resend_is_refused(stack: RunningStack) -> None:
    async with stack.admin(TENANT_KEY) as client:
        person = await enrol(client, "often@example.org")
        await messages(stack, "often@example.org", 1)
        await eventually(lambda: invitation_of(client, "often@example.org"), timeout_s=30)
        for resends in (1, 2, 3):
            resent = await client.post(f"/v1/enrolments/{person}/resend")
            assert resent.status_code == 200, resent.text
            assert resent.json()["resend_count"] == resends
        fourth = await client.post(f"/v1/enrolments/{person}/resend")
        assert fourth.status_code == 409, fourth.text
        assert fourth.headers["content-type"] == "application/problem+json"
        assert "3" in fourth.json()["detail"]

        sent = await messages(stack, "often@example.org", 4)
        links = [link for _, link in sent]
        assert len(set(links)) == 4
        codes = [
            (await register(stack, link, f"often{n}")).status_code for n, link in enumerate(links)
        ]
        assert codes[-1] == 201 and all(code == 410 for code in codes[:-1]), codes


async def test_reminders_by_hand_skip_the_registered_and_the_recently_reminded(
    stack: RunningStack,
) -> None:
    async with stack.admin(TENANT_KEY) as client:
        waiting = await enrol(client, "waiting@example.org", "toefl")
        registered = await enrol(client, "keen@example.org", "toefl")
        ((_, keen_link),) = await messages(stack, "keen@example.org", 1)
        await messages(stack, "waiting@example.org", 1)
        assert (await register(stack, keen_link, "keen1")).status_code == 201
        await becomes(client, registered, "active")
        await becomes(client, waiting, "invited")

        reminded = await client.post("/v1/enrolments:remind", json={"course": "toefl"})
        assert reminded.status_code == 202, reminded.text
        assert reminded.json()["requested"] == 1
        (_, old_link), (subject, new_link) = await messages(stack, "waiting@example.org", 2)
        assert subject.startswith("Reminder")
        again = await client.post("/v1/enrolments:remind", json={"course": "toefl"})
        assert again.json()["requested"] == 0  # reminded less than an hour ago
        one = await client.post(f"/v1/enrolments/{waiting}/remind")
        assert one.status_code == 409, one.text
        assert (await client.post(f"/v1/enrolments/{registered}/remind")).status_code == 409

        await asyncio.sleep(2)
        assert len(stack.mail_to("waiting@example.org")) == 2
        assert stack.mail_to("keen@example.org")[1:] == []
        assert (await invitation_of(client, "waiting@example.org"))["reminder_count"] == 1
        assert (await register(stack, old_link, "waiting0")).status_code == 410
        assert (await register(stack, new_link, "waiting1")).status_code == 201


async def test_scheduled_reminders_stop_at_the_maximum_and_never_reach_the_registered(
    stack: RunningStack,
) -> None:
    async with stack.admin(SCHEDULED_KEY) as client:
        await settings(client, reminder_after_hours=SHORT_TTL_HOURS, max_reminders=1)
        await enrol(client, "slow@example.org")
        fast = await enrol(client, "fast@example.org")
        ((_, fast_link),) = await messages(stack, "fast@example.org", 1)
        assert (await register(stack, fast_link, "fast1")).status_code == 201
        await becomes(client, fast, "active")

        (_, _), (subject, _) = await messages(stack, "slow@example.org", 2)
        assert subject.startswith("Reminder")
        await asyncio.sleep(4 * SHORT_TTL_HOURS * 3600)  # several periods
        assert len(stack.mail_to("slow@example.org")) == 2
        assert len(stack.mail_to("fast@example.org")) == 1
