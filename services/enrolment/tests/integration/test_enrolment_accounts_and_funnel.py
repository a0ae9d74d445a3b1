"""People who already have an account, and the funnel, with events from the other services."""

from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from onboarding_contracts import RegistrationCompleted, Topic
from onboarding_contracts.events import RegistrationCompletedData
from onboarding_devtools.testing import eventually, query

from .helpers import (
    OTHER,
    enrol,
    enrolment_events,
    failed,
    issued,
    list_all,
    of_type,
    post_csv,
    publish,
    set_policy,
    status_becomes,
)

pytestmark = pytest.mark.integration


async def test_someone_with_an_account_is_active_at_once_in_a_new_course(
    client, kafka, topics, database, producer: AIOKafkaProducer
) -> None:
    first = await enrol(client, "ada@example.org", "Ada")
    (tenant,) = await query(database, "SELECT id FROM tenants WHERE name = $1", "acme")
    completed = RegistrationCompleted(
        source="/test",
        subject="acc-1",
        tenant_id=tenant["id"],
        correlation_id="corr-reg",
        data=RegistrationCompletedData(
            account_id="acc-1",
            invitation_id="inv-1",
            enrolment_id=first["id"],
            email="ada@example.org",
            username="ada",
            first_name="Ada",
            last_name="Lovelace",
        ),
    )
    await producer.send_and_wait(topics.name(Topic.REGISTRATION), completed.to_json(), key=b"acc-1")
    await eventually(
        lambda: query(database, "SELECT account_id FROM accounts WHERE email = 'ada@example.org'")
    )
    registered = (await client.get(f"/v1/enrolments/{first['id']}")).json()
    assert registered["account_id"] == "acc-1" and registered["registered_at"]

    second = await enrol(client, "Ada@Example.org", "Ada", course="toefl")
    assert second["status"] == "active"
    assert second["account_id"] == "acc-1" and second["activated_at"]
    # Through an import too; and in another tenant, the same address is a stranger.
    await client.post("/v1/courses", json={"code": "c"})
    imported = await post_csv(client, "email,id,name\nADA@example.org,1,Ada\n", course="c")
    (via_import,) = await list_all(client, import_id=imported.json()["id"])
    assert (via_import["status"], via_import["account_id"]) == ("active", "acc-1")
    stranger = await client.post(
        "/v1/enrolments",
        json={"email": "ada@example.org", "name": "Ada", "course": "ielts"},
        headers=OTHER,
    )
    assert stranger.json()["status"] == "enrolled"

    events = await enrolment_events(
        kafka,
        topics,
        lambda es: {e["subject"] for e in of_type(es, "activated")} >= {second["id"]},
    )
    mine = [e for e in events if e["subject"] == second["id"]]
    assert [e["type"] for e in mine] == [
        "onboarding.enrolment.created",
        "onboarding.enrolment.activated",
    ]
    created, activated = mine
    assert created["data"]["invite"] is False
    assert activated["causationid"] == created["id"]
    assert {k: activated["data"][k] for k in ("account_id", "email", "course")} == {
        "account_id": "acc-1",
        "email": "ada@example.org",
        "course": "toefl",
    }
    # Nobody asks to invite her: a bulk invite of the course passes her by.
    await set_policy(client, "manual")
    assert (await client.post("/v1/enrolments:invite", json={"course": "toefl"})).json() == {
        "requested": 0,
        "activated": 0,
    }


async def test_the_funnel_of_a_cohort_counts_failed_deliveries(
    client, topics, producer: AIOKafkaProducer
) -> None:
    for cohort in ("spring", "autumn"):
        await client.post("/v1/cohorts", json={"course": "ielts", "code": cohort})
    spring = [await enrol(client, f"s{n}@example.org", cohort="spring") for n in range(3)]
    await enrol(client, "a0@example.org", cohort="autumn")
    await client.post(f"/v1/enrolments/{spring[2]['id']}/cancel")
    await publish(producer, topics, issued(spring[0]["id"]), issued(spring[1]["id"]))
    await status_becomes(client, spring[1]["id"], "invited")
    await publish(producer, topics, failed("n-1", spring[0]["id"]))

    async def funnel(**params: str) -> dict:
        response = await client.get("/v1/funnel", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    await eventually(lambda: _holds(funnel(cohort="spring"), lambda f: f["failed"] == 1))
    assert await funnel(cohort="spring") == {
        "enrolled": 3,
        "invited": 2,
        "emailed": 0,
        "registered": 0,
        "pending_activation": 0,
        "active": 0,
        "expired": 0,
        "failed": 1,
        "cancelled": 1,
    }
    assert (await funnel(cohort="autumn"))["failed"] == 0
    assert (await funnel(cohort="autumn"))["enrolled"] == 1
    assert (await funnel(course="ielts"))["enrolled"] == 4
    assert (await funnel(course="toefl"))["enrolled"] == 0
    assert (await client.get("/v1/funnel", headers=OTHER)).json()["failed"] == 0


async def _holds(value: Any, check: Callable[[Any], bool]) -> bool:
    return check(await value)


async def test_someone_with_an_account_by_invitation_time_is_activated_not_invited(
    client, kafka, topics, database, producer: AIOKafkaProducer
) -> None:
    """Seed 002: an invitation is "only sent if no existing user account", judged when the
    admin invites, not only at enrolment."""
    await set_policy(client, "manual")
    waiting = {p: await enrol(client, f"{p}@example.org") for p in ("ada", "bob", "cy")}
    elsewhere = {p: await enrol(client, f"{p}@example.org", course="toefl") for p in ("ada", "bob")}
    (tenant,) = await query(database, "SELECT id FROM tenants WHERE name = $1", "acme")
    for n, person in enumerate(("ada", "bob")):
        completed = RegistrationCompleted(
            source="/test",
            subject=f"acc-{person}",
            tenant_id=tenant["id"],
            correlation_id="corr-reg",
            data=RegistrationCompletedData(
                account_id=f"acc-{person}",
                invitation_id=f"inv-{n}",
                enrolment_id=elsewhere[person]["id"],
                email=f"{person}@example.org",
                username=person,
                first_name=person,
                last_name="Doe",
            ),
        )
        await producer.send_and_wait(
            topics.name(Topic.REGISTRATION), completed.to_json(), key=completed.subject.encode()
        )
    await eventually(
        lambda: _holds(query(database, "SELECT * FROM accounts"), lambda r: len(r) == 2)
    )

    one = await client.post(f"/v1/enrolments/{waiting['ada']['id']}/invite")
    assert one.status_code == 202, one.text
    assert (one.json()["status"], one.json()["account_id"]) == ("active", "acc-ada")
    assert one.json()["activated_at"]
    course = await client.post("/v1/enrolments:invite", json={"course": "ielts"})
    assert course.json() == {"requested": 1, "activated": 1}
    (bob,) = await list_all(client, q="bob", course="ielts")
    assert (bob["status"], bob["account_id"]) == ("active", "acc-bob")

    events = await enrolment_events(
        kafka,
        topics,
        lambda es: len(of_type(es, "activated")) >= 2 and bool(of_type(es, "invitation_requested")),
    )
    activated = {e["subject"]: e["data"] for e in of_type(events, "activated")}
    assert activated[waiting["ada"]["id"]]["account_id"] == "acc-ada"
    assert activated[waiting["bob"]["id"]]["course"] == "ielts"
    requested = [e["subject"] for e in of_type(events, "invitation_requested")]
    assert requested == [waiting["cy"]["id"]]
