"""Courses, cohorts and the invite policy, through the API on a real PostgreSQL and Kafka."""

import pytest

from .helpers import OTHER, enrol, enrolment_events, of_type, post_csv, refused_field

pytestmark = pytest.mark.integration


async def test_courses_are_created_once_and_listed(client) -> None:
    created = await client.post("/v1/courses", json={"code": "b2-eng", "title": "English B2"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["code"], body["title"]) == ("b2-eng", "English B2") and body["created_at"]
    untitled = await client.post("/v1/courses", json={"code": "a1"})
    assert untitled.status_code == 201 and untitled.json()["title"] == "a1"

    duplicate = await client.post("/v1/courses", json={"code": "b2-eng", "title": "Other"})
    assert duplicate.status_code == 409
    assert "b2-eng" in duplicate.json()["detail"]
    assert (await client.post("/v1/courses", json={"code": " padded"})).status_code == 422

    listed = (await client.get("/v1/courses")).json()
    assert [(c["code"], c["title"]) for c in listed] == [
        ("a1", "a1"),
        ("b2-eng", "English B2"),
        ("ielts", "ielts"),
        ("toefl", "toefl"),
    ]
    # The other tenant has its own catalogue: the same code is free there.
    theirs = (await client.get("/v1/courses", headers=OTHER)).json()
    assert [c["code"] for c in theirs] == ["ielts", "toefl"]
    mine_too = await client.post("/v1/courses", json={"code": "b2-eng"}, headers=OTHER)
    assert mine_too.status_code == 201


async def test_cohorts_belong_to_an_existing_course(client) -> None:
    unknown = await client.post("/v1/cohorts", json={"course": "nope", "code": "spring"})
    assert unknown.status_code == 422
    assert refused_field(unknown) == "course"
    assert "nope" in unknown.json()["errors"][0]["reason"]

    created = await client.post(
        "/v1/cohorts", json={"course": "ielts", "code": "spring", "title": "Spring 2026"}
    )
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("course", "code", "title")} == {
        "course": "ielts",
        "code": "spring",
        "title": "Spring 2026",
    }
    duplicate = await client.post("/v1/cohorts", json={"course": "ielts", "code": "spring"})
    assert duplicate.status_code == 409
    # The same code in another course is another cohort.
    assert (
        await client.post("/v1/cohorts", json={"course": "toefl", "code": "spring"})
    ).status_code == 201
    assert (
        await client.post("/v1/cohorts", json={"course": "ielts", "code": "autumn"})
    ).status_code == 201

    ielts = (await client.get("/v1/cohorts", params={"course": "ielts"})).json()
    assert [(c["course"], c["code"]) for c in ielts] == [("ielts", "autumn"), ("ielts", "spring")]
    toefl = (await client.get("/v1/cohorts", params={"course": "toefl"})).json()
    assert [(c["course"], c["code"], c["title"]) for c in toefl] == [("toefl", "spring", "spring")]
    everything = (await client.get("/v1/cohorts")).json()
    assert len(everything) == 3
    # Another tenant cannot add a cohort to this tenant's course, nor see its cohorts.
    assert (await client.post("/v1/courses", json={"code": "mine"})).status_code == 201
    theirs = await client.post("/v1/cohorts", json={"course": "mine", "code": "x"}, headers=OTHER)
    assert theirs.status_code == 422 and refused_field(theirs) == "course"
    assert (await client.get("/v1/cohorts", headers=OTHER)).json() == []


async def test_the_invite_policy_decides_whether_an_import_invites(client, kafka, topics) -> None:
    assert (await client.get("/v1/settings")).json()["invite_policy"] == "auto"
    assert (await client.put("/v1/settings", json={"invite_policy": "later"})).status_code == 422
    changed = await client.put("/v1/settings", json={"invite_policy": "manual"})
    assert changed.status_code == 200 and changed.json()["invite_policy"] == "manual"
    assert (await client.get("/v1/settings")).json()["invite_policy"] == "manual"
    # The setting is the tenant's own.
    assert (await client.get("/v1/settings", headers=OTHER)).json()["invite_policy"] == "auto"

    manual = await post_csv(client, "email,id,name\nm1@example.org,1,M1\nm2@example.org,2,M2\n")
    assert manual.status_code == 201, manual.text
    assert manual.json()["invite_policy"] == "manual"
    auto = await post_csv(
        client, "email,id,name\na1@example.org,1,A1\na2@example.org,2,A2\n", invite="auto"
    )
    assert auto.status_code == 201, auto.text
    assert auto.json()["invite_policy"] == "auto"
    single = await enrol(client, "one@example.org")

    events = await enrolment_events(kafka, topics, lambda es: len(of_type(es, "created")) >= 5)
    invite = {e["data"]["email"]: e["data"]["invite"] for e in of_type(events, "created")}
    assert invite == {
        "m1@example.org": False,
        "m2@example.org": False,
        "a1@example.org": True,
        "a2@example.org": True,
        "one@example.org": False,
    }
    by_email = {e["data"]["email"]: e["data"] for e in of_type(events, "created")}
    assert by_email["m1@example.org"]["import_id"] == manual.json()["id"]
    assert by_email["one@example.org"]["enrolment_id"] == single["id"]
    # Nobody is invited by hand yet.
    assert of_type(events, "invitation_requested") == []
