"""The scheduled reminders as the service runs them: its periodic job finds the people due
and asks for their reminders, once, and never for someone who registered."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from onboarding_devtools.testing import query

from .helpers import (
    enrol,
    enrolment_events,
    invitation_becomes,
    issued,
    of_type,
    publish,
    registered,
)

pytestmark = pytest.mark.integration

PERIOD_HOURS = 0.0005  # 1.8 seconds


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"reminder_sweep_interval_s": 0.2}


async def test_the_job_reminds_whoever_is_due_and_never_the_registered(
    client, kafka, topics, producer: AIOKafkaProducer, database: str
) -> None:
    await client.put("/v1/settings", json={"reminder_after_hours": PERIOD_HOURS})
    slow = (await enrol(client, "slow@example.org"))["id"]
    fast = (await enrol(client, "fast@example.org"))["id"]
    (tenant,) = await query(database, "SELECT id FROM tenants WHERE name = 'acme'")
    now = datetime.now(UTC)
    await publish(
        producer,
        topics,
        issued(slow, at=now),
        issued(fast, at=now),
        registered(fast, "fast@example.org", tenant["id"]),
    )
    await invitation_becomes(client, slow, send_count=1)

    events = await enrolment_events(
        kafka, topics, lambda es: bool(of_type(es, "reminder_requested"))
    )
    (reminder,) = of_type(events, "reminder_requested")
    assert reminder["subject"] == slow and reminder["data"]["scheduled"] is True
    (row,) = await query(
        database, "SELECT reminder_requested_at FROM enrolments WHERE id = $1", slow
    )
    assert row["reminder_requested_at"] - now >= timedelta(hours=PERIOD_HOURS)

    # Several periods later: no one else, nor `slow` again within the hour.
    await asyncio.sleep(4 * PERIOD_HOURS * 3600)
    events = await enrolment_events(kafka, topics, lambda es: len(es) >= 3)
    assert [e["subject"] for e in of_type(events, "reminder_requested")] == [slow]
