"""A tenant that approves accounts by hand (seed 003, `activation: admin`): a registration
awaiting approval makes the enrolment pending_activation; an admin's activation (one, or a
selection) emits ActivationApproved; AccountActivated then makes it active as ever."""

import pytest
from aiokafka import AIOKafkaProducer
from onboarding_devtools.testing import eventually, query

from .helpers import (
    OTHER,
    account_activated,
    enrol,
    enrolment_events,
    issued,
    list_all,
    of_type,
    publish,
    refused_field,
    registered,
    status_becomes,
)

pytestmark = pytest.mark.integration


async def _tenant_id(database: str) -> str:
    (tenant,) = await query(database, "SELECT id FROM tenants WHERE name = $1", "acme")
    tenant_id: str = tenant["id"]
    return tenant_id


async def _waiting(client, topics, producer, tenant_id: str, *emails: str, course: str = "ielts"):
    """Enrol, invite and register these people with an approval awaited; their
    enrolments, once each is pending_activation."""
    people = [await enrol(client, email, course=course) for email in emails]
    for person in people:
        await publish(producer, topics, issued(person["id"]))
        await status_becomes(client, person["id"], "invited")
        await publish(
            producer,
            topics,
            registered(person["id"], person["email"], tenant_id, awaiting_activation=True),
        )
    return [await status_becomes(client, p["id"], "pending_activation") for p in people]


async def test_an_admin_activates_one_person_waiting_and_only_them(
    client, kafka, topics, database, producer: AIOKafkaProducer
) -> None:
    await client.put("/v1/settings", json={"activation": "admin"})
    tenant_id = await _tenant_id(database)
    (ada,) = await _waiting(client, topics, producer, tenant_id, "ada@example.org")
    assert ada["account_id"] == f"acc-{ada['id']}" and ada["registered_at"]
    assert ada["activated_at"] is None
    invited = await enrol(client, "bob@example.org")

    (listed,) = await list_all(client, status="pending_activation")
    assert listed["id"] == ada["id"]
    funnel = (await client.get("/v1/funnel", params={"course": "ielts"})).json()
    assert (funnel["registered"], funnel["pending_activation"], funnel["active"]) == (1, 1, 0)

    refused = await client.post(f"/v1/enrolments/{invited['id']}/activate")
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "not_registered" and refused.json()["detail"]
    assert (await client.post("/v1/enrolments/nobody/activate")).status_code == 404
    theirs = await client.post(f"/v1/enrolments/{ada['id']}/activate", headers=OTHER)
    assert theirs.status_code == 404

    one = await client.post(
        f"/v1/enrolments/{ada['id']}/activate", headers={"X-Correlation-Id": "corr-approve"}
    )
    assert one.status_code == 202, one.text
    assert one.json()["status"] == "pending_activation", "until the account is active"

    events = await enrolment_events(
        kafka, topics, lambda es: bool(of_type(es, "activation_approved"))
    )
    (approved,) = of_type(events, "activation_approved")
    assert approved["subject"] == ada["id"]
    assert approved["correlationid"] == "corr-approve"
    assert approved["data"] == {"enrolment_id": ada["id"], "account_id": ada["account_id"]}

    # The registration service activates the account: active, and EnrolmentActivated.
    await publish(producer, topics, account_activated(ada["id"], ada["email"], tenant_id))
    active = await status_becomes(client, ada["id"], "active")
    assert active["activated_at"]
    events = await enrolment_events(kafka, topics, lambda es: bool(of_type(es, "activated")))
    (activated,) = of_type(events, "activated")
    assert activated["data"]["account_id"] == ada["account_id"]
    again = await client.post(f"/v1/enrolments/{ada['id']}/activate")
    assert again.status_code == 409 and again.json()["reason"] == "active"
    funnel = (await client.get("/v1/funnel", params={"course": "ielts"})).json()
    assert (funnel["pending_activation"], funnel["active"]) == (0, 1)


async def test_an_admin_activates_a_selection_of_people_waiting(
    client, kafka, topics, database, producer: AIOKafkaProducer
) -> None:
    await client.put("/v1/settings", json={"activation": "admin"})
    tenant_id = await _tenant_id(database)
    ielts = await _waiting(client, topics, producer, tenant_id, "a@example.org", "b@example.org")
    (toefl,) = await _waiting(client, topics, producer, tenant_id, "c@example.org", course="toefl")
    cancelled, kept = ielts
    assert (await client.post(f"/v1/enrolments/{cancelled['id']}/cancel")).status_code == 200
    refused = await client.post(f"/v1/enrolments/{cancelled['id']}/activate")
    assert refused.status_code == 409 and refused.json()["reason"] == "cancelled"
    await enrol(client, "d@example.org")  # enrolled only: passed by

    course = await client.post("/v1/enrolments:activate", json={"course": "ielts"})
    assert course.status_code == 202, course.text
    assert course.json() == {"requested": 1}
    other = await client.post("/v1/enrolments:activate", json={"course": "ielts"}, headers=OTHER)
    assert other.json() == {"requested": 0}
    by_id = await client.post("/v1/enrolments:activate", json={"ids": [toefl["id"], "nobody"]})
    assert by_id.status_code == 202 and by_id.json() == {"requested": 1}
    for body, field in [({}, "course"), ({"ids": []}, "ids"), ({"course": ""}, "course")]:
        assert refused_field(await client.post("/v1/enrolments:activate", json=body)) == field

    events = await enrolment_events(
        kafka, topics, lambda es: len(of_type(es, "activation_approved")) >= 2
    )
    approved = {
        e["subject"]: e["data"]["account_id"] for e in of_type(events, "activation_approved")
    }
    assert approved == {kept["id"]: kept["account_id"], toefl["id"]: toefl["account_id"]}


async def test_a_tenant_that_activates_by_itself_never_waits(
    client, topics, database, producer: AIOKafkaProducer
) -> None:
    """Without an approval awaited, the registration leaves the status to AccountActivated."""
    tenant_id = await _tenant_id(database)
    person = await enrol(client, "auto@example.org")
    await publish(producer, topics, issued(person["id"]))
    await status_becomes(client, person["id"], "invited")
    await publish(producer, topics, registered(person["id"], person["email"], tenant_id))

    async def registered_at() -> str | None:
        found: dict = (await client.get(f"/v1/enrolments/{person['id']}")).json()
        return found["registered_at"]

    await eventually(registered_at)
    assert (await client.get(f"/v1/enrolments/{person['id']}")).json()["status"] == "invited"
    await publish(producer, topics, account_activated(person["id"], person["email"], tenant_id))
    await status_becomes(client, person["id"], "active")
