"""Credentials for people who skip the sign-up form (seeds 003, 004): everyone selected who
has not registered gets a CredentialsRequested (by the channel asked for), someone with an
account in the tenant by now is active at once instead, and nobody else is touched."""

import pytest
from aiokafka import AIOKafkaProducer
from onboarding_devtools.testing import eventually, query

from .helpers import (
    OTHER,
    enrol,
    enrolment_events,
    issued,
    of_type,
    publish,
    refused_field,
    registered,
    set_policy,
    status_becomes,
)

pytestmark = pytest.mark.integration


async def test_credentials_reach_the_unregistered_of_a_selection_and_nobody_else(
    client, kafka, topics, database, producer: AIOKafkaProducer
) -> None:
    await set_policy(client, "manual")
    ada = await enrol(client, "ada@example.org")
    bob = await enrol(client, "bob@example.org", phone="+447700900001")
    cy = await enrol(client, "cy@example.org")
    dee = await enrol(client, "dee@example.org")
    eve = await enrol(client, "eve@example.org")
    assert (await client.post(f"/v1/enrolments/{dee['id']}/cancel")).status_code == 200
    await publish(producer, topics, issued(bob["id"]))
    await status_becomes(client, bob["id"], "invited")
    # Eve made an account through another course since she was enrolled here.
    elsewhere = await enrol(client, "eve@example.org", course="toefl")
    (tenant,) = await _tenants(database)
    await publish(producer, topics, registered(elsewhere["id"], "eve@example.org", tenant))

    async def account_known() -> bool:
        found = (await client.get(f"/v1/enrolments/{elsewhere['id']}")).json()
        return found["registered_at"] is not None

    await eventually(account_known)

    by_sms = await client.post(
        "/v1/enrolments:credentials", json={"ids": [cy["id"]], "channel": "SMS"}
    )
    assert by_sms.status_code == 202, by_sms.text
    assert by_sms.json() == {"requested": 0, "activated": 0, "unreachable": 1}

    sent = await client.post("/v1/enrolments:credentials", json={"course": "ielts"})
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"requested": 3, "activated": 1, "unreachable": 0}
    other = await client.post("/v1/enrolments:credentials", json={"course": "ielts"}, headers=OTHER)
    assert other.json() == {"requested": 0, "activated": 0, "unreachable": 0}
    for body, field in [
        ({}, "course"),
        ({"ids": []}, "ids"),
        ({"course": "x", "channel": "fax"}, "channel"),
    ]:
        assert refused_field(await client.post("/v1/enrolments:credentials", json=body)) == field

    events = await enrolment_events(
        kafka,
        topics,
        lambda es: (
            len(of_type(es, "credentials_requested")) >= 3 and bool(of_type(es, "activated"))
        ),
    )
    requested = {e["subject"]: e["data"] for e in of_type(events, "credentials_requested")}
    assert set(requested) == {ada["id"], bob["id"], cy["id"]}
    assert {d["channel"] for d in requested.values()} == {"email"}
    assert requested[bob["id"]]["phone"] == "+447700900001"
    courses = (await client.get("/v1/courses")).json()
    [title] = [c["title"] for c in courses if c["code"] == "ielts"]
    assert requested[ada["id"]]["course_title"] == title
    assert requested[ada["id"]]["link_policy"]["ttl_hours"] == 24
    activated = [e["subject"] for e in of_type(events, "activated")]
    assert activated == [eve["id"]]
    assert (await client.get(f"/v1/enrolments/{eve['id']}")).json()["status"] == "active"
    assert (await client.get(f"/v1/enrolments/{dee['id']}")).json()["status"] == "cancelled"
    # Asked for again, the unregistered get a new link again (it replaces the last one).
    again = await client.post("/v1/enrolments:credentials", json={"ids": [ada["id"]]})
    assert again.json() == {"requested": 1, "activated": 0, "unreachable": 0}


async def _tenants(database: str) -> list[str]:
    rows = await query(database, "SELECT id FROM tenants WHERE name = $1", "acme")
    return [r["id"] for r in rows]
