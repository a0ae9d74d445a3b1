"""The notification service in-process, against real Kafka, PostgreSQL and an SMTP sink."""

import pytest
from onboarding_contracts import (
    NotificationDeferred,
    NotificationFailed,
    Topic,
)
from onboarding_devtools.smtp_sink import Faults
from onboarding_devtools.testing import eventually, running
from onboarding_devtools.testing.mail import Sink, parts, recipients
from onboarding_kit.runtime import runtime_of
from onboarding_kit.sealing import new_key

from .conftest import Service

pytestmark = pytest.mark.integration


# --- tests ------------------------------------------------------------------------------


async def test_an_issued_invitation_is_emailed_and_reported_sent(
    service: Service, sink: Sink, invitations
) -> None:
    await sink.start()
    app = service.app()
    event = invitations.issued("inv-1", email="ann@example.org")
    link = invitations.link_of(event)
    async with running(app) as client:
        await service.publish(event)
        emails = await eventually(sink.emails, timeout_s=20)
        (notification,) = await service.notifications(1)
        rows = await service.messages(app)

        async def metrics_once_published() -> str:
            # The relay counts a milestone once the broker has acknowledged it.
            text = (await client.get("/metrics")).text
            return text if 'stage="emailed"' in text else ""

        metrics = await eventually(metrics_once_published, timeout_s=10)

    assert (
        'onboarding_notifications_total{channel="email",outcome="sent",service="notification"} 1.0'
        in metrics
    )
    latency = 'onboarding_enrolment_to_notification_seconds_count{channel="email",'
    assert f'{latency}service="notification"}} 1.0' in metrics
    # FastStream's figures for the subscriber, in the same registry.
    received = [
        line
        for line in metrics.splitlines()
        if line.startswith("faststream_received_messages_total{")
        and 'app_name="notification"' in line
    ]
    assert received and sum(float(line.rsplit(" ", 1)[1]) for line in received) >= 1
    # Counted once NotificationSent left the outbox: the person's first link reached them.
    assert (
        'onboarding_people_total{service="notification",stage="emailed",tenant="tenant-1"} 1.0'
        in metrics
    )
    assert len(emails) == 1
    email = emails[0]
    assert recipients(email) == ["ann@example.org"]
    text, html = parts(email)
    assert link in text
    assert f'href="{link}"' in html
    assert event.data.sealed_link not in text + html, "the sealed form never reaches the person"
    assert email["X-Notification-Kind"] == "invitation"

    assert notification.correlation_id == event.correlation_id
    assert notification.causation_id == event.id
    assert notification.tenant_id == event.tenant_id
    data = notification.data
    assert (data.enrolment_id, data.invitation_id, data.channel) == (
        event.data.enrolment_id,
        "inv-1",
        "email",
    )
    assert (data.kind, data.attempts) == ("invitation", 1)
    assert email["X-Notification-Id"] == data.notification_id

    [row] = rows
    assert (row["status"], row["recipient"], row["send_count"], row["attempts"]) == (
        "sent",
        "ann@example.org",
        1,
        1,
    )
    assert row["sent_at"] is not None and row["lease_until"] is None
    assert link not in str(row["content"]), "the link rests sealed"


async def test_one_email_per_link_a_republish_sends_nothing_a_resend_sends_again(
    service: Service, sink: Sink, invitations
) -> None:
    await sink.start()
    app = service.app()
    first = invitations.issued("inv-2", send_count=1)
    again = invitations.republished(first)
    resend = invitations.issued("inv-2", send_count=2, reason="resend")
    async with running(app):
        consumer = runtime_of(app).consumer
        assert consumer is not None
        await service.publish(first)
        await eventually(sink.emails, timeout_s=20)
        # The same link again (new event id, so the inbox does not catch it), then a resend.
        await service.publish(again, resend)
        await eventually(lambda: consumer.stats.applied >= 3, timeout_s=20)
        sent = await service.notifications(2)
        emails = sink.emails()
        rows = await service.messages(app)

    assert consumer.stats.duplicates == 0, "the republish passed the inbox; the queue stopped it"
    assert len(emails) == 2
    bodies = sorted(parts(e)[0] for e in emails)
    assert sum(invitations.link_of(first) in body for body in bodies) == 1
    assert sum(invitations.link_of(resend) in body for body in bodies) == 1
    assert sorted(e["X-Notification-Kind"] for e in emails) == ["invitation", "resend"]
    assert [(r["send_count"], r["status"], r["kind"]) for r in rows] == [
        (1, "sent", "invitation"),
        (2, "sent", "resend"),
    ]
    assert sorted(e.causation_id for e in sent) == sorted([first.id, resend.id])


async def test_while_the_mail_server_is_down_each_message_waits_and_goes_once_it_is_back(
    service: Service, sink: Sink, invitations
) -> None:
    # One attempt for the consumer: were the outage blamed on the event, it would be parked.
    app = service.app(consumer_max_attempts=1)
    event = invitations.issued("inv-3", email="bo@example.org", name="Bo Chen")
    async with running(app):
        consumer = runtime_of(app).consumer
        assert consumer is not None
        await service.publish(event)
        deferred = await service.notifications(2, NotificationDeferred)
        assert sink.emails() == []
        await sink.start()
        emails = await eventually(sink.emails, timeout_s=20)
        (sent,) = await service.notifications(1)
        with pytest.raises(TimeoutError):
            await service.dead_letters(1, timeout_s=1.0)

    assert len(emails) == 1
    assert recipients(emails[0]) == ["bo@example.org"]
    assert invitations.link_of(event) in parts(emails[0])[0]
    assert [d.data.attempts for d in deferred[:2]] == [1, 2]
    assert "unreachable" in deferred[0].data.reason
    assert deferred[0].data.next_attempt_at > deferred[0].time
    assert sent.data.attempts == len(deferred) + 1
    assert consumer.stats.dead_lettered == 0


async def test_a_link_that_cannot_be_unsealed_is_dead_lettered_and_the_next_is_delivered(
    service: Service, sink: Sink, invitations
) -> None:
    await sink.start()
    app = service.app(consumer_max_attempts=2)
    foreign = invitations.issued("inv-bad", email="eve@example.org", key=new_key())
    good = invitations.issued("inv-good", email="dan@example.org")
    async with running(app):
        await service.publish(foreign, good)
        dead = await service.dead_letters(1)
        emails = await eventually(sink.emails, timeout_s=20)
        await service.notifications(1)
        rows = await service.messages(app)

    assert len(dead) == 1
    assert dead[0].value == foreign.to_json()
    assert dead[0].key == b"inv-bad"
    headers = dict(dead[0].headers)
    assert headers["dlt.error.type"] == b"SealError"
    assert headers["dlt.attempts"] == b"2"
    assert headers["dlt.original.topic"] == service.topics.name(Topic.INVITATION).encode()

    assert len(emails) == 1
    assert recipients(emails[0]) == ["dan@example.org"]
    assert invitations.link_of(good) in parts(emails[0])[0]
    assert [(r["invitation_id"], r["status"]) for r in rows] == [("inv-good", "sent")]


async def test_a_server_that_defers_30_percent_and_closes_now_and_then_emails_everyone_once(
    service: Service, sink: Sink, invitations
) -> None:
    await sink.start(Faults(defer_rate=0.3, close_rate=0.03, seed=7))
    app = service.app(send_concurrency=8)
    people = [
        invitations.issued(f"inv-busy-{n:03d}", email=f"p{n:03d}@example.org") for n in range(80)
    ]
    async with running(app):
        await service.publish(*people)
        sent = await service.notifications(80, timeout_s=60)
        rows = await service.messages(app)
        deferred = await service.notifications(1, NotificationDeferred)
        with pytest.raises(TimeoutError):
            await service.notifications(1, NotificationFailed, timeout_s=0.5)
        with pytest.raises(TimeoutError):
            await service.dead_letters(1, timeout_s=0.5)

    emails = sink.emails()
    by_recipient = sorted(address for e in emails for address in recipients(e))
    assert by_recipient == [f"p{n:03d}@example.org" for n in range(80)], "everyone, once"
    assert {r["status"] for r in rows} == {"sent"}
    assert len({e.data.notification_id for e in sent}) == 80
    assert any(r["attempts"] > 1 for r in rows), "the server's 451s and 421s were retried"
    assert {e.data.attempts for e in sent} != {1}
    assert deferred and deferred[0].data.reason.startswith(("451", "421"))
