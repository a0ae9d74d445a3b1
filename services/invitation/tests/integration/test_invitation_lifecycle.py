"""The invitation lifecycle in the running service, over a real PostgreSQL and Kafka:
resends replace the link at once and stop at the limit (also under 50 concurrent calls),
the sweeper expires and announces, reminders come at most once an hour, and a person may
ask for a new link only as the tenant allows."""

import asyncio
from datetime import timedelta

import pytest
from onboarding_contracts import (
    InvitationExpired,
    InvitationIssued,
    Origin,
    ReminderRequested,
)
from onboarding_contracts.events import LinkPolicy, ReminderRequestedData
from onboarding_devtools.testing import eventually

from .harness import AUTH, Service

pytestmark = pytest.mark.integration


async def test_a_resend_kills_every_earlier_link_at_once_and_stops_at_the_limit(
    service: Service,
) -> None:
    enrolment, first, token = await service.invite(course_title="Engines", locale="pt-BR")
    assert (first.data.locale, first.data.course_title) == ("pt-BR", "Engines")
    tokens = [token]
    for n in (1, 2, 3):
        resent = await service.resend(enrolment)
        assert resent.status_code == 200, resent.text
        state = resent.json()
        assert (state["status"], state["send_count"], state["resend_count"]) == (
            "pending",
            n + 1,
            n,
        )
        assert state["invitation_id"] == first.data.invitation_id
        # The moment it answered, every earlier link is refused as replaced.
        for old in tokens:
            refused = await service.inspect(old)
            assert (refused.status_code, refused.json()["reason"]) == (410, "replaced")
            assert "most recent" in refused.json()["message"]
            assert refused.json()["new_link_allowed"] is False
        issued, _ = await service.issued_for(enrolment.data.enrolment_id, send_count=n + 1)
        assert (issued.data.reason, issued.data.resend_count) == ("resend", n)
        assert (issued.data.locale, issued.data.course_title) == ("pt-BR", "Engines")
        assert issued.correlation_id == enrolment.correlation_id
        tokens.append(service.token_of(issued))
        assert (await service.inspect(tokens[-1])).status_code == 200

    fourth = await service.resend(enrolment)
    assert fourth.status_code == 409
    assert fourth.headers["content-type"] == "application/problem+json"
    assert fourth.json()["reason"] == "limit_reached"
    assert "at most 3 times" in fourth.json()["message"]
    assert (await service.inspect(tokens[-1])).status_code == 200, "the refusal changed nothing"

    assert (await service.redeem(tokens[-1])).status_code == 200
    accepted = await service.resend(enrolment, max_resends=10)
    assert (accepted.status_code, accepted.json()["reason"]) == (409, "accepted")
    for old in tokens[:-1]:
        assert (await service.inspect(old)).json()["reason"] == "used"
    [row] = await service.fetch("SELECT count(*) AS n FROM replaced_links")
    assert row["n"] == 3

    missing = await service.client.post(
        "/internal/v1/invitations/resend",
        json={"tenant_id": "another-tenant", "enrolment_id": enrolment.data.enrolment_id},
        headers=AUTH,
    )
    assert (missing.status_code, missing.json()["reason"]) == (409, "not_issued")


async def test_of_50_concurrent_resends_exactly_one_working_link_is_left(
    service: Service,
) -> None:
    enrolment, _, first_token = await service.invite(LinkPolicy(max_resends=10))
    made = service.record_tokens()

    answers = await asyncio.gather(*(service.resend(enrolment, max_resends=10) for _ in range(50)))

    assert sorted(a.status_code for a in answers) == [200] * 10 + [409] * 40
    assert {a.json()["reason"] for a in answers if a.status_code == 409} == {"limit_reached"}
    assert sorted(a.json()["send_count"] for a in answers if a.status_code == 200) == list(
        range(2, 12)
    )
    # Every token the service ever made for this invitation (sent, or tried and refused):
    # exactly one opens, the newest one sent.
    assert len(made.made) == 50
    candidates = [first_token, *made.made]
    inspected = await asyncio.gather(*(service.inspect(t) for t in candidates))
    working = [t for t, a in zip(candidates, inspected, strict=True) if a.status_code == 200]
    assert len(working) == 1
    reasons = sorted(a.json()["reason"] for a in inspected if a.status_code != 200)
    assert reasons == ["replaced"] * 10 + ["unknown"] * 40
    issued = await service.published_events(InvitationIssued)
    assert sorted(e.data.send_count for e in issued) == list(range(1, 12))
    [newest] = [e for e in issued if e.data.send_count == 11]
    assert service.token_of(newest) == working[0]


async def test_the_sweeper_expires_overdue_invitations_and_announces_it(start_service) -> None:
    async with start_service(sweep_every_s=0.2) as service:
        enrolment, issued, token = await service.invite(LinkPolicy(ttl_hours=0.0005))  # 1.8 s
        _, lasting, _ = await service.invite()

        async def expired() -> list[InvitationExpired]:
            found = await service.published_events(InvitationExpired)
            return [e for e in found if e.subject == issued.data.invitation_id]

        [event] = await eventually(expired, timeout_s=20)
        assert event.data.enrolment_id == enrolment.data.enrolment_id
        assert event.data.send_count == 1
        assert event.data.expired_at == issued.data.expires_at
        assert event.correlation_id == enrolment.correlation_id
        rows = await service.fetch("SELECT id, status, expired_at FROM invitations ORDER BY id")
        statuses = {r["id"]: (r["status"], r["expired_at"]) for r in rows}
        assert statuses == {
            issued.data.invitation_id: ("expired", issued.data.expires_at),
            lasting.data.invitation_id: ("pending", None),
        }
        assert service.app.state.runtime.scheduler.runs["expire-invitations"] >= 1
        refused = await service.inspect(token)
        assert (refused.status_code, refused.json()["reason"]) == (410, "expired")
        assert "administrator" in refused.json()["message"]

        # A resend brings an expired invitation back, with a new link.
        assert (await service.resend(enrolment)).status_code == 200
        [row] = await service.fetch(
            "SELECT status, expired_at FROM invitations WHERE id = $1", issued.data.invitation_id
        )
        assert (row["status"], row["expired_at"]) == ("pending", None)
        await asyncio.sleep(0.5)  # a few turns of the sweeper: it is not due any more
        assert len(await expired()) == 1


def reminder(enrolment_id: str, tenant_id: str = "tenant-1") -> ReminderRequested:
    return ReminderRequested.new(
        Origin("/test", tenant_id, "corr-reminder"),
        ReminderRequestedData(enrolment_id=enrolment_id, course="Analytical Engines 101"),
    )


async def test_a_person_is_reminded_with_a_fresh_link_at_most_once_an_hour(
    service: Service,
) -> None:
    enrolment, _, token = await service.invite()
    enrolment_id = enrolment.data.enrolment_id
    consumer = service.app.state.runtime.consumer

    async def remind(applied: int) -> None:
        await service.publish(reminder(enrolment_id))
        await eventually(lambda: consumer.stats.applied >= applied)

    await remind(2)
    issued, _ = await service.issued_for(enrolment_id, send_count=2)
    assert (issued.data.reason, issued.data.reminder_count, issued.data.resend_count) == (
        "reminder",
        1,
        0,
    )
    assert (await service.inspect(token)).json()["reason"] == "replaced"
    reminded = service.token_of(issued)
    assert (await service.inspect(reminded)).status_code == 200

    await remind(3)  # again at once (a double click, or the schedule and an admin): skipped
    service.clock.offset = timedelta(minutes=59)
    await remind(4)  # still within the hour: skipped
    assert [e.data.send_count for e in await service.published_events(InvitationIssued)] == [1, 2]
    assert (await service.inspect(reminded)).status_code == 200

    service.clock.offset = timedelta(minutes=61)
    await remind(5)
    later, _ = await service.issued_for(enrolment_id, send_count=3)
    assert (later.data.reminder_count, later.data.resend_count) == (2, 0)

    newest = service.token_of(later)
    assert (await service.redeem(newest)).status_code == 200
    service.clock.offset = timedelta(hours=3)
    await remind(6)  # never after registering
    await service.publish(reminder("enr-never-invited"))
    await eventually(lambda: consumer.stats.applied >= 7)
    assert consumer.stats.dead_lettered == 0
    assert [e.data.send_count for e in await service.published_events(InvitationIssued)] == [
        1,
        2,
        3,
    ]
    [row] = await service.fetch("SELECT reminder_count, resend_count, send_count FROM invitations")
    assert tuple(row) == (2, 0, 3)


async def test_a_person_may_ask_for_a_new_link_only_as_the_tenant_allows(
    service: Service,
) -> None:
    allowed = LinkPolicy(self_service_resend=True, max_resends=3)
    enrolment, _, old = await service.invite(allowed)
    assert (await service.resend(enrolment, **allowed.model_dump())).status_code == 200

    refused = await service.inspect(old)
    assert refused.json()["reason"] == "replaced"
    assert refused.json()["new_link_allowed"] is True
    assert "new link below" in refused.json()["message"]

    too_soon = await service.new_link(old)
    assert (too_soon.status_code, too_soon.json()["reason"]) == (409, "too_soon")
    assert "10 minutes" in too_soon.json()["message"]

    for n, minutes in ((3, 11), (4, 22)):
        service.clock.offset = timedelta(minutes=minutes)
        sent = await service.new_link(old)
        assert sent.status_code == 202, sent.text
        assert enrolment.data.email not in sent.text
        assert "email address" in sent.json()["message"]
        issued, _ = await service.issued_for(enrolment.data.enrolment_id, send_count=n)
        assert (issued.data.reason, issued.data.resend_count) == ("resend", n - 1)

    service.clock.offset = timedelta(minutes=33)
    limit = await service.new_link(old)
    assert (limit.status_code, limit.json()["reason"]) == (409, "limit_reached")
    assert (await service.inspect(old)).json()["new_link_allowed"] is False, "none left"

    unknown = await service.new_link("no-such-link")
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "unknown")

    # A tenant that does not let people ask: the expired link's page offers nothing.
    _, _, link = await service.invite()
    service.clock.offset = timedelta(hours=25)
    expired = await service.inspect(link)
    assert (expired.json()["reason"], expired.json()["new_link_allowed"]) == ("expired", False)
    not_allowed = await service.new_link(link)
    assert (not_allowed.status_code, not_allowed.json()["reason"]) == (409, "not_allowed")

    # An expired link whose tenant allows it brings a new one; once used, nothing does.
    _, issued, link = await service.invite(allowed)
    service.clock.offset = timedelta(hours=50)
    assert (await service.inspect(link)).json()["new_link_allowed"] is True
    assert (await service.new_link(link)).status_code == 202
    resent, _ = await service.issued_for(issued.data.enrolment_id, send_count=2)
    newest = service.token_of(resent)
    assert (await service.redeem(newest)).status_code == 200
    used = await service.new_link(link)
    assert (used.status_code, used.json()["reason"]) == (410, "used")
