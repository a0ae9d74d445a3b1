"""The enrolment service in-process, on a real PostgreSQL and Kafka."""

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from onboarding_contracts import AccountActivated, InvitationIssued, Topic
from onboarding_contracts.events import AccountActivatedData, InvitationIssuedData
from onboarding_devtools.testing import event_types, eventually, read_topic
from onboarding_kit.kafka import TopicNames, new_producer
from onboarding_kit.problems import PROBLEM_JSON

from .helpers import KEY, OTHER, post_csv, refused_field

pytestmark = pytest.mark.integration


async def test_enrolling_one_person_stores_them_and_publishes_enrolment_created(
    client, kafka, topic_prefix
) -> None:
    ada = {
        "email": " Ada@Example.org ",
        "name": "Ada  Lovelace",
        "external_id": "S-1",
        "role": "mentor",
        "course": "ielts",
        "cohort": "2026-spring",
    }
    correlated = {"X-Correlation-Id": "corr-1"}
    response = await client.post("/v1/enrolments", json=ada, headers=correlated)
    assert refused_field(response) == "cohort"
    cohort = await client.post("/v1/cohorts", json={"course": "ielts", "code": "2026-spring"})
    assert cohort.status_code == 201
    response = await client.post("/v1/enrolments", json=ada, headers=correlated)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["email"], body["name"], body["status"]) == (
        "ada@example.org",
        "Ada Lovelace",
        "enrolled",
    )
    assert (await client.get(f"/v1/enrolments/{body['id']}")).json()["cohort"] == "2026-spring"

    records = await read_topic(
        kafka, [TopicNames(topic_prefix).name(Topic.ENROLMENT)], until=lambda r: len(r) >= 1
    )
    event = json.loads(records[0].value)
    assert records[0].key == body["id"].encode()
    assert event["type"] == "onboarding.enrolment.created"
    assert event["correlationid"] == "corr-1"
    assert event["data"]["role"] == "mentor" and event["data"]["invite"] is True

    again = await client.post(
        "/v1/enrolments", json={"email": "ada@example.org", "name": "Ada", "course": "ielts"}
    )
    assert again.status_code == 409
    other_course = await client.post(
        "/v1/enrolments", json={"email": "ada@example.org", "name": "Ada", "course": "toefl"}
    )
    assert other_course.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "nope", "name": "A", "course": "ielts"}, "email"),
        ({"email": "a@example.org", "name": "  ", "course": "ielts"}, "name"),
        ({"email": "a@example.org", "name": "A", "course": "ielts", "role": "wizard"}, "role"),
    ],
)
async def test_a_bad_enrolment_is_refused_naming_the_field(client, payload, field) -> None:
    response = await client.post("/v1/enrolments", json=payload)
    assert refused_field(response) == field


async def test_admin_calls_need_the_tenant_key_and_see_only_their_tenant(client) -> None:
    created = (
        await client.post(
            "/v1/enrolments", json={"email": "a@example.org", "name": "A", "course": "ielts"}
        )
    ).json()
    anonymous = await client.get(f"/v1/enrolments/{created['id']}", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    wrong = await client.get(
        f"/v1/enrolments/{created['id']}", headers={"Authorization": "Bearer x"}
    )
    assert wrong.status_code == 401
    basic = await client.get("/v1/funnel", headers={"Authorization": f"Basic {KEY}"})
    assert basic.status_code == 401
    for refused in (anonymous, wrong, basic):
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.json()["status"] == 401 and refused.json()["detail"]
    assert (await client.get(f"/v1/enrolments/{created['id']}", headers=OTHER)).status_code == 404
    assert (await client.get("/v1/funnel", headers=OTHER)).json()["enrolled"] == 0


async def test_an_import_enrols_the_good_rows_and_reports_each_bad_one(client, database) -> None:
    await client.post(
        "/v1/enrolments", json={"email": "old@example.org", "name": "Old", "course": "ielts"}
    )
    csv = (
        "\ufeffName,Email,ID,Role\n"
        "Ann,ann@example.org,1,learner\n"
        "Bob,bob@,2,learner\n"
        ",cy@example.org,3,learner\n"
        "Dee,dee@example.org,4,wizard\n"
        "Ann Two,ANN@example.org,5,learner\n"
        "Old,old@example.org,6,learner\n"
        "Eve,eve@example.org,7,teacher\n"
    )
    await client.post("/v1/cohorts", json={"course": "ielts", "code": "spring"})
    response = await post_csv(client, csv.encode(), cohort="spring")
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["status"], report["total_rows"], report["enrolled"], report["failed"]) == (
        "completed_with_errors",
        7,
        2,
        5,
    )
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (3, "email"),
        (4, "name"),
        (5, "role"),
        (6, "email"),
        (7, "email"),
    ]
    assert "already enrolled in ielts" in report["errors"][-1]["reason"]
    assert (await client.get(f"/v1/imports/{report['id']}")).json() == report

    conn = await asyncpg.connect(database)
    try:
        rows = await conn.fetch(
            "SELECT email, role, cohort FROM enrolments WHERE import_id = $1 ORDER BY email",
            report["id"],
        )
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [
        ("ann@example.org", "learner", "spring"),
        ("eve@example.org", "teacher", "spring"),
    ]


async def test_a_file_that_cannot_be_read_is_refused_whole(client, database) -> None:
    assert (
        await client.post("/v1/imports", params={"course": "ielts"}, content=b"x")
    ).status_code == 415
    missing = await post_csv(client, "email,name\na@example.org,A\n")
    assert missing.status_code == 422 and "id" in missing.json()["detail"]
    assert missing.headers["content-type"] == PROBLEM_JSON
    latin1 = await post_csv(client, "email,id,name\nj@example.org,1,Jos\xe9\n".encode("latin-1"))
    assert latin1.status_code == 422 and "UTF-8" in latin1.json()["detail"]
    empty = await post_csv(client, b"")
    assert empty.status_code == 422
    conn = await asyncpg.connect(database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM enrolments") == 0
    finally:
        await conn.close()


async def test_events_from_the_other_services_move_the_enrolment(
    client, kafka, topic_prefix
) -> None:
    created = (
        await client.post(
            "/v1/enrolments", json={"email": "p@example.org", "name": "P", "course": "ielts"}
        )
    ).json()
    topics = TopicNames(topic_prefix)
    common = {"tenant_id": "ignored-by-handlers", "correlation_id": "c"}
    issued = InvitationIssued(
        source="/test",
        subject="inv-1",
        **common,
        data=InvitationIssuedData(
            invitation_id="inv-1",
            enrolment_id=created["id"],
            email="p@example.org",
            name="P",
            course="ielts",
            expires_at=datetime.now(UTC) + timedelta(days=1),
            send_count=1,
            sealed_link="v1.opaque",
        ),
    )
    activated = AccountActivated(
        source="/test",
        subject="acc-1",
        **common,
        data=AccountActivatedData(
            account_id="acc-1", enrolment_id=created["id"], email="p@example.org"
        ),
    )
    producer = new_producer(kafka, "test")
    await producer.start()
    try:
        await producer.send_and_wait(topics.name(Topic.INVITATION), issued.to_json(), key=b"inv-1")

        async def status() -> str:
            return (await client.get(f"/v1/enrolments/{created['id']}")).json()["status"]

        await eventually(lambda: _is(status, "invited"))
        await producer.send_and_wait(
            topics.name(Topic.REGISTRATION), activated.to_json(), key=b"acc-1"
        )
        await eventually(lambda: _is(status, "active"))
    finally:
        await producer.stop()
    enrolment = (await client.get(f"/v1/enrolments/{created['id']}")).json()
    assert (enrolment["invitation_id"], enrolment["account_id"]) == ("inv-1", "acc-1")
    records = await read_topic(
        kafka,
        [topics.name(Topic.ENROLMENT)],
        until=lambda r: "onboarding.enrolment.activated" in event_types(r),
    )
    assert event_types(records) == [
        "onboarding.enrolment.created",
        "onboarding.enrolment.activated",
    ]
    assert json.loads(records[1].value)["causationid"] == activated.id


async def _is(probe, expected: str) -> bool:
    return await probe() == expected


async def test_readiness_reports_what_the_service_needs_to_do_its_job(client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": True,
        "broker": True,
        "consumer": True,  # within its grace period, or holding partitions
        "outbox": True,
    }
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_the_asyncapi_document_lists_the_events_published_with_their_schemas(client) -> None:
    document = (await client.get("/asyncapi.json")).json()
    assert document["asyncapi"].startswith("3.")
    text = str(document)
    for event_type in (
        "onboarding.enrolment.created",
        "onboarding.enrolment.invitation_requested",
        "onboarding.enrolment.reminder_requested",
        "onboarding.enrolment.activated",
        "onboarding.enrolment.cancelled",
    ):
        assert event_type in text
    assert "onboarding.enrolment.v1" in text
    assert "tenantid" in text and "correlationid" in text, "the envelope's wire names"
