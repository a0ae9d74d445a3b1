"""Reminders by hand (one person, a course) and by the tenant's schedule: who is reminded,
who is passed by and why, and the ReminderRequested each one is."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from enrolment.bootstrap import EnrolmentDependencies
from enrolment.domain.selection import Selection
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.reminding import remind_due, remind_selection
from fastapi import FastAPI
from onboarding_devtools.testing import eventually, query

from .helpers import (
    OTHER,
    enrol,
    enrolment_events,
    expired,
    invitation_becomes,
    issued,
    of_type,
    publish,
    refused_field,
    registered,
    status_becomes,
)

pytestmark = pytest.mark.integration


async def tenant_id(database: str, name: str = "acme") -> str:
    (row,) = await query(database, "SELECT id FROM tenants WHERE name = $1", name)
    found: str = row["id"]
    return found


async def people(client: Any, topics: Any, producer: AIOKafkaProducer, database: str) -> dict:
    """Someone at each point of the way, in ielts: invited, expired, registered (not yet
    active), cancelled, never invited; and one invited in toefl."""
    found = {
        name: (await enrol(client, f"{name}@example.org", **fields))["id"]
        for name, fields in [
            ("invited", {}),
            ("expired", {}),
            ("registered", {}),
            ("cancelled", {}),
            ("never", {"invite": "manual"}),
            ("toefl", {"course": "toefl"}),
        ]
    }
    sent = [issued(found[n]) for n in ("invited", "expired", "registered", "cancelled", "toefl")]
    await publish(producer, topics, *sent, expired(found["expired"]))
    acme = await tenant_id(database)
    await publish(producer, topics, registered(found["registered"], "registered@example.org", acme))
    await status_becomes(client, found["expired"], "expired")
    for name in ("invited", "cancelled", "toefl"):
        await status_becomes(client, found[name], "invited")

    async def has_registered() -> bool:
        enrolment = (await client.get(f"/v1/enrolments/{found['registered']}")).json()
        return enrolment["registered_at"] is not None

    await eventually(has_registered)
    assert (await client.post(f"/v1/enrolments/{found['cancelled']}/cancel")).status_code == 200
    return found


async def test_reminding_by_hand_one_person_or_a_course(
    client, kafka, topics, producer: AIOKafkaProducer, database: str
) -> None:
    await client.put("/v1/settings", json={"invitation_ttl_hours": 12})
    who = await people(client, topics, producer, database)

    for name, reason in [
        ("never", "not_invited"),
        ("registered", "registered"),
        ("cancelled", "cancelled"),
    ]:
        refused = await client.post(f"/v1/enrolments/{who[name]}/remind")
        assert refused.status_code == 409, (name, refused.text)
        assert refused.json()["reason"] == reason and refused.json()["detail"]
    assert (await client.post("/v1/enrolments/nobody/remind")).status_code == 404
    theirs = await client.post(f"/v1/enrolments/{who['invited']}/remind", headers=OTHER)
    assert theirs.status_code == 404

    one = await client.post(
        f"/v1/enrolments/{who['invited']}/remind", headers={"X-Correlation-Id": "corr-remind"}
    )
    assert one.status_code == 202, one.text
    assert one.json()["reminder_requested_at"] is not None
    again = await client.post(f"/v1/enrolments/{who['invited']}/remind")
    assert again.status_code == 409 and again.json()["reason"] == "too_soon"

    # The course: the expired person only (the invited one was reminded moments ago).
    course = await client.post("/v1/enrolments:remind", json={"course": "ielts"})
    assert course.status_code == 202, course.text
    assert course.json() == {"requested": 1, "skipped": 4}
    assert (await client.post("/v1/enrolments:remind", json={"course": "ielts"})).json() == {
        "requested": 0,
        "skipped": 5,
    }
    assert (
        await client.post("/v1/enrolments:remind", json={"course": "ielts"}, headers=OTHER)
    ).json() == {"requested": 0, "skipped": 0}
    for body, field in [
        ({"cohort": "spring"}, "course"),
        ({"course": "nope"}, "course"),
        ({"course": ""}, "course"),
    ]:
        assert refused_field(await client.post("/v1/enrolments:remind", json=body)) == field

    events = await enrolment_events(
        kafka, topics, lambda es: len(of_type(es, "reminder_requested")) >= 2
    )
    # Keyed by enrolment, the two may be on different partitions: read in either order.
    reminders = {e["subject"]: e for e in of_type(events, "reminder_requested")}
    assert set(reminders) == {who["invited"], who["expired"]}
    assert reminders[who["invited"]]["correlationid"] == "corr-remind"
    assert reminders[who["invited"]]["data"] == {
        "enrolment_id": who["invited"],
        "course": "ielts",
        "scheduled": False,
        "link_policy": {
            "ttl_hours": 12.0,
            "max_resends": 3,
            "self_service_resend": False,
            "activation": "auto",
            "username_source": "chosen",
        },
    }


async def test_a_large_course_is_reminded_a_batch_per_transaction(
    app: FastAPI, client, kafka, topics, producer: AIOKafkaProducer, database: str
) -> None:
    invited = [(await enrol(client, f"p{n}@example.org"))["id"] for n in range(5)]
    await publish(producer, topics, *(issued(e) for e in invited))
    for enrolment_id in invited:
        await status_becomes(client, enrolment_id, "invited")
    deps: EnrolmentDependencies = app.state.dependencies
    caller = Caller(await tenant_id(database), "corr-batch")
    reminded = await remind_selection(
        deps.uow, deps.clock, caller, Selection(course="ielts"), batch_size=2
    )
    assert (reminded.requested, reminded.skipped) == (5, 0)
    rows = await query(database, "SELECT reminder_requested_at FROM enrolments")
    assert all(r["reminder_requested_at"] is not None for r in rows)
    events = await enrolment_events(
        kafka, topics, lambda es: len(of_type(es, "reminder_requested")) >= 5
    )
    assert sorted(e["subject"] for e in of_type(events, "reminder_requested")) == sorted(invited)


async def test_the_schedule_reminds_each_person_once_per_period_up_to_the_maximum(
    app: FastAPI, client, kafka, topics, producer: AIOKafkaProducer, database: str
) -> None:
    deps: EnrolmentDependencies = app.state.dependencies
    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=2)
    acme = await tenant_id(database)
    changed = await client.put(
        "/v1/settings", json={"reminder_after_hours": 1, "max_reminders": 2, "max_resends": 1}
    )
    assert changed.status_code == 200
    due = (await enrol(client, "due@example.org"))["id"]
    fresh = (await enrol(client, "fresh@example.org"))["id"]
    done = (await enrol(client, "done@example.org"))["id"]
    theirs = (
        await client.post(
            "/v1/enrolments",
            json={"email": "theirs@example.org", "name": "T", "course": "ielts"},
            headers=OTHER,
        )
    ).json()["id"]
    await publish(
        producer,
        topics,
        issued(due, at=long_ago),
        issued(fresh, at=now),
        issued(done, at=long_ago),
        issued(theirs, at=long_ago),  # a tenant without a schedule
        registered(done, "done@example.org", acme),
    )
    for enrolment_id in (due, fresh, done):
        await invitation_becomes(client, enrolment_id, send_count=1)
    await eventually(lambda: query(database, _KNOWN, theirs))
    await eventually(
        lambda: query(database, "SELECT 1 FROM enrolments WHERE registered_at IS NOT NULL")
    )

    async def run(at: datetime) -> list[str]:
        before = {r["id"] for r in await query(database, _REMINDED_AT, at)}
        async with deps.uow() as tx:
            count = await remind_due(tx, clock=lambda: at, new_id=deps.new_id)
        after = {r["id"] for r in await query(database, _REMINDED_AT, at)}
        assert count == len(after - before)
        return sorted(after - before)

    assert await run(now) == [due]
    assert await run(now + timedelta(minutes=30)) == [], "once per period"
    # A period later: `due` again (no link came of the first reminder yet), and `fresh`.
    assert await run(now + timedelta(minutes=61)) == sorted([due, fresh])
    # The reminders go out: `due` has had two, the tenant's most.
    await publish(producer, topics, issued(due, 2, reason="reminder", reminder_count=2, at=now))
    await invitation_becomes(client, due, reminder_count=2)
    assert await run(now + timedelta(hours=5)) == [fresh]
    assert done not in await run(now + timedelta(days=3)), "never after registering"

    events = await enrolment_events(
        kafka, topics, lambda es: len(of_type(es, "reminder_requested")) >= 4
    )
    scheduled = of_type(events, "reminder_requested")
    assert {e["subject"] for e in scheduled} == {due, fresh}
    assert all(e["data"]["scheduled"] is True for e in scheduled)
    assert all(e["tenantid"] == acme for e in scheduled)
    assert scheduled[0]["data"]["link_policy"]["max_resends"] == 1


_REMINDED_AT = "SELECT id FROM enrolments WHERE reminder_requested_at = $1"
_KNOWN = "SELECT 1 FROM invitations WHERE enrolment_id = $1"


def test_the_schedule_is_a_periodic_job_of_the_service(app: FastAPI) -> None:
    (job,) = [j for j in app.state.runtime.jobs if j.name == "scheduled-reminders"]
    assert job.every_s == 60
