"""The delivery truth per person, from the notification service's events through Kafka:
every message to them as far as it got, and an invited person whose current link could not
be delivered (failed) until a newer link is sent."""

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from onboarding_devtools.testing import eventually

from .helpers import (
    OTHER,
    deferred,
    delivered,
    enrol,
    failed,
    issued,
    publish,
    sent,
    status_becomes,
)

pytestmark = pytest.mark.integration


async def notifications(client, enrolment_id: str, **expected_statuses: str) -> list[dict]:
    """The person's messages once each named one has the status given."""

    async def shown() -> list[dict] | None:
        response = await client.get(f"/v1/enrolments/{enrolment_id}/notifications")
        assert response.status_code == 200, response.text
        items: list[dict] = response.json()["items"]
        statuses = {m["notification_id"]: m["status"] for m in items}
        wanted = all(statuses.get(n) == s for n, s in expected_statuses.items())
        return items if wanted else None

    found: list[dict] = await eventually(shown)
    return found


async def test_each_message_shows_how_far_it_got_and_never_moves_back(
    client, topics, producer: AIOKafkaProducer
) -> None:
    ada = await enrol(client, "ada@example.org", channel="sms", phone="+447700900123")
    await publish(producer, topics, issued(ada["id"]))
    await status_becomes(client, ada["id"], "invited")
    first_try = deferred("n-sms", ada["id"], 1, channel="sms", reason="timeout")
    await publish(
        producer,
        topics,
        first_try,
        deferred("n-sms", ada["id"], 2, channel="sms", reason="429 too many requests"),
        sent("n-sms", ada["id"], channel="sms", attempts=3, provider_id="SM123"),
        delivered("n-sms", ada["id"]),
        # Late and repeated news of the same message: nothing moves back.
        sent("n-sms", ada["id"], channel="sms", attempts=3, provider_id="SM123"),
        first_try,
        failed("n-sms", ada["id"], channel="sms", status="undelivered"),
        # The welcome, once the account is open: listed, and it never moves the enrolment.
        sent("n-welcome", ada["id"], kind="welcome"),
        failed("n-welcome", ada["id"], kind="welcome"),
    )
    items = await notifications(client, ada["id"], **{"n-sms": "delivered", "n-welcome": "failed"})
    sms, welcome = items
    assert {k: sms[k] for k in ("kind", "channel", "status", "attempts", "provider_id")} == {
        "kind": "invitation",
        "channel": "sms",
        "status": "delivered",
        "attempts": 3,
        "provider_id": "SM123",
    }
    assert sms["last_error"] == "429 too many requests"
    assert sms["invitation_id"] == f"inv-{ada['id']}"
    assert datetime.fromisoformat(sms["created_at"]) == first_try.time
    assert sms["sent_at"] and sms["delivered_at"]
    assert (sms["failed_at"], sms["next_attempt_at"]) == (None, None)
    assert (welcome["kind"], welcome["status"], welcome["last_error"]) == (
        "welcome",
        "failed",
        "550 no such mailbox",
    )
    enrolment = (await client.get(f"/v1/enrolments/{ada['id']}")).json()
    assert (enrolment["status"], enrolment["failure_reason"]) == ("invited", None)
    assert enrolment["emailed_at"], "the link's message was sent"

    # Another tenant's person, or nobody, is not found.
    other = await client.get(f"/v1/enrolments/{ada['id']}/notifications", headers=OTHER)
    assert other.status_code == 404
    assert (await client.get("/v1/enrolments/nobody/notifications")).status_code == 404


async def test_a_failed_link_fails_the_enrolment_until_a_newer_link_is_sent(
    client, topics, producer: AIOKafkaProducer
) -> None:
    bob = await enrol(client, "bob@example.org")
    first_link = datetime.now(UTC) - timedelta(minutes=10)
    await publish(producer, topics, issued(bob["id"], at=first_link))
    await status_becomes(client, bob["id"], "invited")
    # The first link's message is being retried when the admin resends.
    await publish(producer, topics, deferred("n-1", bob["id"], 1))
    await notifications(client, bob["id"], **{"n-1": "retrying"})
    await publish(producer, topics, issued(bob["id"], 2, reason="resend", resend_count=1))
    await eventually(lambda: _send_count(client, bob["id"], 2), timeout_s=30)
    # n-1 carried the first link (first heard of before the resend): its failure changes
    # nobody; the resend's own message failing does.
    await publish(producer, topics, failed("n-1", bob["id"]))
    await notifications(client, bob["id"], **{"n-1": "failed"})
    assert (await client.get(f"/v1/enrolments/{bob['id']}")).json()["status"] == "invited"
    await publish(producer, topics, failed("n-3", bob["id"], kind="resend", reason="552 full"))
    failed_now = await status_becomes(client, bob["id"], "failed")
    assert failed_now["failure_reason"] == "552 full"
    assert (await client.get("/v1/funnel", params={"course": "ielts"})).json()["failed"] == 1

    # A reminder (or credentials) is a newer link: invited again.
    reminder = issued(bob["id"], 3, reason="reminder", resend_count=1, reminder_count=1)
    await publish(producer, topics, reminder)
    assert (await status_becomes(client, bob["id"], "invited"))["failure_reason"] is None


async def test_a_failure_heard_of_before_its_link_fails_the_enrolment_once_the_link_comes(
    client, topics, producer: AIOKafkaProducer
) -> None:
    """The two events travel on different topics: either may come first."""
    cy = await enrol(client, "cy@example.org")
    link_time = datetime.now(UTC) - timedelta(seconds=5)
    await publish(producer, topics, failed("n-cy", cy["id"], kind="credentials", reason="bad"))
    await notifications(client, cy["id"], **{"n-cy": "failed"})
    assert (await client.get(f"/v1/enrolments/{cy['id']}")).json()["status"] == "enrolled"
    await publish(producer, topics, issued(cy["id"], reason="credentials", at=link_time))
    failed_now = await status_becomes(client, cy["id"], "failed")
    assert failed_now["failure_reason"] == "bad"


async def _send_count(client, enrolment_id: str, expected: int) -> bool:
    response = await client.get("/v1/invitations", params={"limit": 1000})
    counts = {i["enrolment_id"]: i["send_count"] for i in response.json()["items"]}
    return counts.get(enrolment_id) == expected
