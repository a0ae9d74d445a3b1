"""Every admin endpoint of the enrolment service, in-process, on a real PostgreSQL and Kafka."""

import base64
import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from enrolment.app import EnrolmentSettings, create_app
from enrolment.tenants import ensure_tenant
from onboarding_contracts import NotificationFailed, RegistrationCompleted, Topic
from onboarding_contracts.events import NotificationFailedData, RegistrationCompletedData
from onboarding_kit.kafka import TopicNames
from onboarding_kit.testing import eventually, query, read_topic, running

pytestmark = pytest.mark.integration

KEY = "onb_endpoints-test-key-00000000000000"
OTHER_KEY = "onb_endpoints-other-key-0000000000000"
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}

EXPORT_HEADER = [
    "id", "email", "name", "external_id", "role", "course", "cohort", "phone", "channel",
    "status", "import_id", "invited_at", "emailed_at", "registered_at", "activated_at",
    "created_at",
]  # fmt: skip


@pytest.fixture
async def client(database: str, kafka: str, topic_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    await ensure_tenant(database, "acme", KEY)
    await ensure_tenant(database, "globex", OTHER_KEY)
    app = create_app(
        EnrolmentSettings(
            database_url=database, kafka_bootstrap_servers=kafka, kafka_topic_prefix=topic_prefix
        )
    )
    async with running(app) as client:
        for key in (OTHER_KEY, KEY):
            client.headers["Authorization"] = f"Bearer {key}"
            for course in ("ielts", "toefl"):
                created = await client.post("/v1/courses", json={"code": course})
                assert created.status_code == 201, created.text
        yield client


@pytest.fixture
def topics(topic_prefix: str) -> TopicNames:
    return TopicNames(topic_prefix)


async def enrol(client: httpx.AsyncClient, email: str, name: str = "", **fields: Any) -> dict:
    body = {"email": email, "name": name or email.split("@")[0], "course": "ielts", **fields}
    response = await client.post("/v1/enrolments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def set_policy(client: httpx.AsyncClient, policy: str) -> None:
    response = await client.put("/v1/settings", json={"invite_policy": policy})
    assert response.status_code == 200, response.text


def post_csv(client: httpx.AsyncClient, body: str, course: str = "ielts", **params: str) -> Any:
    return client.post(
        "/v1/imports",
        params={"course": course, **params},
        content=body.encode(),
        headers={"content-type": "text/csv"},
    )


async def enrolment_events(
    kafka: str, topics: TopicNames, until: Callable[[list[dict]], bool]
) -> list[dict]:
    """Every event on the (prefixed) enrolment topic, decoded, once `until` holds."""
    records = await read_topic(
        kafka,
        [topics.name(Topic.ENROLMENT)],
        until=lambda rs: until([json.loads(r.value) for r in rs]),
    )
    return [json.loads(r.value) for r in records]


def of_type(events: list[dict], suffix: str) -> list[dict]:
    return [e for e in events if e["type"] == f"onboarding.enrolment.{suffix}"]


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


async def list_all(client: httpx.AsyncClient, **params: Any) -> list[dict]:
    response = await client.get("/v1/enrolments", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]


# --- courses, cohorts, settings ----------------------------------------------------------


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
    assert unknown.json()["detail"]["field"] == "course"
    assert "nope" in unknown.json()["detail"]["reason"]

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
    assert theirs.status_code == 422 and theirs.json()["detail"]["field"] == "course"
    assert (await client.get("/v1/cohorts", headers=OTHER)).json() == []


async def test_the_invite_policy_decides_whether_an_import_invites(client, kafka, topics) -> None:
    assert (await client.get("/v1/settings")).json() == {"invite_policy": "auto"}
    assert (await client.put("/v1/settings", json={"invite_policy": "later"})).status_code == 422
    changed = await client.put("/v1/settings", json={"invite_policy": "manual"})
    assert changed.status_code == 200 and changed.json() == {"invite_policy": "manual"}
    assert (await client.get("/v1/settings")).json() == {"invite_policy": "manual"}
    # The setting is the tenant's own.
    assert (await client.get("/v1/settings", headers=OTHER)).json() == {"invite_policy": "auto"}

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


# --- inviting by hand --------------------------------------------------------------------


async def test_inviting_one_enrolment_by_hand(client, kafka, topics) -> None:
    await set_policy(client, "manual")
    person = await enrol(client, "ada@example.org", "Ada Lovelace", phone="+44 20 7946 0000")
    assert person["status"] == "enrolled"

    invited = await client.post(
        f"/v1/enrolments/{person['id']}/invite", headers={"X-Correlation-Id": "corr-invite"}
    )
    assert invited.status_code == 202, invited.text
    assert invited.json()["id"] == person["id"]
    events = await enrolment_events(
        kafka, topics, lambda es: bool(of_type(es, "invitation_requested"))
    )
    (requested,) = of_type(events, "invitation_requested")
    assert requested["subject"] == person["id"]
    assert requested["correlationid"] == "corr-invite"
    assert {k: requested["data"][k] for k in ("enrolment_id", "email", "name", "course")} == {
        "enrolment_id": person["id"],
        "email": "ada@example.org",
        "name": "Ada Lovelace",
        "course": "ielts",
    }
    assert requested["data"]["phone"] == "+44 20 7946 0000"

    again = await client.post(f"/v1/enrolments/{person['id']}/invite")
    assert again.status_code == 409, again.text
    assert (await client.post("/v1/enrolments/no-such-id/invite")).status_code == 404
    theirs = await client.post(f"/v1/enrolments/{person['id']}/invite", headers=OTHER)
    assert theirs.status_code == 404

    cancelled = await enrol(client, "gone@example.org")
    assert (await client.post(f"/v1/enrolments/{cancelled['id']}/cancel")).status_code == 200
    refused = await client.post(f"/v1/enrolments/{cancelled['id']}/invite")
    assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]


async def test_inviting_a_course_requests_only_the_enrolled_not_yet_invited(
    client, kafka, topics, database
) -> None:
    await set_policy(client, "manual")
    by_hand = await enrol(client, "hand@example.org")
    waiting = [await enrol(client, f"w{n}@example.org") for n in range(3)]
    cancelled = await enrol(client, "cancelled@example.org")
    other_course = await enrol(client, "toefl@example.org", course="toefl")
    theirs = (
        await client.post(
            "/v1/enrolments",
            json={"email": "theirs@example.org", "name": "T", "course": "ielts"},
            headers=OTHER,
        )
    ).json()
    assert (await client.post(f"/v1/enrolments/{by_hand['id']}/invite")).status_code == 202
    assert (await client.post(f"/v1/enrolments/{cancelled['id']}/cancel")).status_code == 200

    response = await client.post("/v1/enrolments:invite", json={"course": "ielts"})
    assert response.status_code == 202, response.text
    assert response.json() == {"requested": 3}
    assert (await client.post("/v1/enrolments:invite", json={"course": "ielts"})).json() == {
        "requested": 0
    }

    expected = {by_hand["id"], *(w["id"] for w in waiting)}
    events = await enrolment_events(
        kafka, topics, lambda es: len(of_type(es, "invitation_requested")) >= 4
    )
    assert {e["subject"] for e in of_type(events, "invitation_requested")} == expected
    rows = await query(
        database,
        "SELECT e.id FROM enrolments e JOIN tenants t ON t.id = e.tenant_id "
        "WHERE t.name = 'acme' AND invitation_requested_at IS NOT NULL",
    )
    assert {r["id"] for r in rows} == expected
    assert other_course["id"] not in expected and theirs["id"] not in expected
    # The other course is untouched, and can be invited on its own.
    assert (await client.post("/v1/enrolments:invite", json={"course": "toefl"})).json() == {
        "requested": 1
    }


async def test_a_bulk_invite_passes_by_people_already_invited_on_enrolment(client) -> None:
    everyone = await client.post("/v1/enrolments:invite", json={})
    assert everyone.status_code == 422, "a bulk invite names what it is about"
    await enrol(client, "auto@example.org")  # the tenant policy: auto, so already requested
    await enrol(client, "hand@example.org", invite="manual")
    response = await client.post("/v1/enrolments:invite", json={"course": "ielts"})
    assert response.json() == {"requested": 1}


# --- changing and cancelling -------------------------------------------------------------


async def test_an_enrolment_can_be_changed_but_never_its_email(client) -> None:
    for cohort in ("spring", "autumn"):
        await client.post("/v1/cohorts", json={"course": "ielts", "code": cohort})
    person = await enrol(client, "ada@example.org", "Ada", external_id="S-1", cohort="spring")
    url = f"/v1/enrolments/{person['id']}"

    changed = await client.patch(
        url,
        json={
            "name": "  Ada   King ",
            "external_id": " S-2 ",
            "phone": "+44 1",
            "role": "Mentor",
            "cohort": "autumn",
        },
    )
    assert changed.status_code == 200, changed.text
    expected = {
        "name": "Ada King",
        "external_id": "S-2",
        "phone": "+44 1",
        "role": "mentor",
        "cohort": "autumn",
        "email": "ada@example.org",
    }
    assert {k: changed.json()[k] for k in expected} == expected
    stored = (await client.get(url)).json()
    assert {k: stored[k] for k in expected} == expected

    for body, field in [
        ({"email": "eve@example.org"}, "email"),
        ({"name": "Ada", "email": "eve@example.org"}, "email"),
        ({"role": "wizard"}, "role"),
        ({"cohort": "winter"}, "cohort"),
        ({"name": "   "}, "name"),
        ({"status": "active"}, "status"),
    ]:
        refused = await client.patch(url, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["detail"]["field"] == field, body
    after = (await client.get(url)).json()
    assert {k: after[k] for k in expected} == expected, "a refused change changed nothing"
    assert after["status"] == "enrolled"

    cleared = await client.patch(url, json={"cohort": None, "phone": None})
    assert cleared.status_code == 200
    assert (cleared.json()["cohort"], cleared.json()["phone"]) == (None, None)
    assert (await client.patch("/v1/enrolments/nope", json={"name": "X"})).status_code == 404
    assert (await client.patch(url, json={"name": "X"}, headers=OTHER)).status_code == 404
    assert (await client.get(url)).json()["name"] == "Ada King"


async def test_an_sms_enrolment_keeps_its_phone(client) -> None:
    person = await enrol(client, "sms@example.org", channel="sms", phone="+44 7700 900000")
    refused = await client.patch(f"/v1/enrolments/{person['id']}", json={"phone": None})
    assert refused.status_code == 422
    assert refused.json()["detail"]["field"] == "phone"


async def test_cancelling_an_enrolment_publishes_it_once(client, kafka, topics) -> None:
    person = await enrol(client, "ada@example.org")
    cancelled = await client.post(
        f"/v1/enrolments/{person['id']}/cancel", headers={"X-Correlation-Id": "corr-cancel"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_at"]
    assert (await client.get(f"/v1/enrolments/{person['id']}")).json()["status"] == "cancelled"

    again = await client.post(f"/v1/enrolments/{person['id']}/cancel")
    assert again.status_code == 409
    assert (await client.post("/v1/enrolments/nope/cancel")).status_code == 404
    theirs = await client.post(f"/v1/enrolments/{person['id']}/cancel", headers=OTHER)
    assert theirs.status_code == 404

    events = await enrolment_events(kafka, topics, lambda es: bool(of_type(es, "cancelled")))
    (event,) = of_type(events, "cancelled")
    assert event["subject"] == person["id"] and event["correlationid"] == "corr-cancel"
    assert event["data"] == {
        "enrolment_id": person["id"],
        "email": "ada@example.org",
        "course": "ielts",
    }
    assert (await client.get("/v1/funnel")).json()["cancelled"] == 1


# --- listing and exporting ---------------------------------------------------------------


async def test_listing_filters_enrolments(client) -> None:
    await client.post("/v1/cohorts", json={"course": "ielts", "code": "spring"})
    ada = await enrol(client, "ada@example.org", "Ada Lovelace", external_id="UOL-7")
    bob = await enrol(client, "bob@example.org", "Bob Marley", role="mentor", cohort="spring")
    cy = await enrol(client, "cy@lovelace.org", "Cy Young", external_id="x_1", course="toefl")
    dee = await enrol(client, "dee@example.org", "Dee 100%", role="teacher")
    imported = await post_csv(
        client, "email,id,name\neve@example.org,E-1,Eve Adams\n", course="toefl"
    )
    assert imported.status_code == 201, imported.text
    eve_id = (await list_all(client, import_id=imported.json()["id"]))[0]["id"]
    await client.post(f"/v1/enrolments/{dee['id']}/cancel")
    await client.post(
        "/v1/enrolments",
        json={"email": "ada2@example.org", "name": "Ada Elsewhere", "course": "ielts"},
        headers=OTHER,
    )

    async def ids(**params: Any) -> list[str]:
        return [e["id"] for e in await list_all(client, **params)]

    assert await ids() == [ada["id"], bob["id"], cy["id"], dee["id"], eve_id]
    assert await ids(status="cancelled") == [dee["id"]]
    assert await ids(status="enrolled") == [ada["id"], bob["id"], cy["id"], eve_id]
    assert await ids(role="mentor") == [bob["id"]]
    assert await ids(role="teacher", status="enrolled") == []
    assert await ids(course="toefl") == [cy["id"], eve_id]
    assert await ids(cohort="spring") == [bob["id"]]
    assert await ids(import_id=imported.json()["id"]) == [eve_id]
    assert await ids(course="ielts", role="learner") == [ada["id"]]
    # `q`: any part of the name, email or external id, whatever the case.
    assert await ids(q="LOVELACE") == [ada["id"], cy["id"]]  # a name, an email
    assert await ids(q="uol-") == [ada["id"]]  # an external id
    assert await ids(q="BOB@EXAMPLE") == [bob["id"]]
    assert await ids(q="adams") == [eve_id]
    assert await ids(q="  marley ") == [bob["id"]]
    # LIKE's wildcards are matched as themselves.
    assert await ids(q="%") == [dee["id"]]
    assert await ids(q="x_") == [cy["id"]]
    assert await ids(q="nobody") == []


async def test_walking_the_pages_returns_everyone_once_in_creation_order(client) -> None:
    created = [(await enrol(client, f"p{n:02}@example.org"))["id"] for n in range(10)]
    await client.post(
        "/v1/enrolments",
        json={"email": "theirs@example.org", "name": "T", "course": "ielts"},
        headers=OTHER,
    )
    seen: list[str] = []
    sizes = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/v1/enrolments", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [e["id"] for e in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert sizes == [3, 3, 3, 1]

    # A cursor keeps its place under a filter too.
    first = (await client.get("/v1/enrolments", params={"limit": 4, "q": "p0"})).json()
    rest = (
        await client.get(
            "/v1/enrolments", params={"limit": 10, "q": "p0", "cursor": first["next_cursor"]}
        )
    ).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == created
    assert rest["next_cursor"] is None

    for garbage in ("garbage", "!!!", "bm90IGpzb24", base64.urlsafe_b64encode(b"[1, 2]").decode()):
        refused = await client.get("/v1/enrolments", params={"cursor": garbage})
        assert refused.status_code == 422, (garbage, refused.text)
        assert refused.json()["detail"]["field"] == "cursor"
    for limit in (0, 1001):
        assert (await client.get("/v1/enrolments", params={"limit": limit})).status_code == 422


async def test_a_well_formed_cursor_with_no_timestamp_in_it_is_refused(client) -> None:
    forged = base64.urlsafe_b64encode(json.dumps(["yesterday", "x"]).encode()).decode()
    refused = await client.get("/v1/enrolments", params={"cursor": forged})
    assert refused.status_code == 422
    assert refused.json()["detail"]["field"] == "cursor"


async def test_the_export_is_the_same_selection_as_csv_with_formulas_defused(client) -> None:
    names = ['=HYPERLINK("http://x")', "+1", "-1", "@x", "Plain Name"]
    for n, name in enumerate(names):
        await enrol(client, f"p{n}@example.org", name)
    await enrol(client, "t@example.org", "In Toefl", course="toefl", external_id="=1+1")

    response = await client.get("/v1/enrolments.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = parse_csv(response.text)
    assert rows[0] == EXPORT_HEADER
    records = [dict(zip(EXPORT_HEADER, row, strict=True)) for row in rows[1:]]
    assert [r["name"] for r in records] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-1",
        "'@x",
        "Plain Name",
        "In Toefl",
    ]
    toefl = records[-1]
    assert (toefl["email"], toefl["course"], toefl["external_id"]) == (
        "t@example.org",
        "toefl",
        "'=1+1",
    )
    assert toefl["status"] == "enrolled" and toefl["cohort"] == "" and toefl["created_at"]

    only_toefl = parse_csv((await client.get("/v1/enrolments.csv?course=toefl")).text)
    assert only_toefl[0] == EXPORT_HEADER
    assert [r[1] for r in only_toefl[1:]] == ["t@example.org"]
    by_text = parse_csv((await client.get("/v1/enrolments.csv", params={"q": "PLAIN"})).text)
    assert [r[1] for r in by_text[1:]] == ["p4@example.org"]
    nobody = parse_csv((await client.get("/v1/enrolments.csv", params={"status": "active"})).text)
    assert nobody == [EXPORT_HEADER]
    theirs = parse_csv((await client.get("/v1/enrolments.csv", headers=OTHER)).text)
    assert theirs == [EXPORT_HEADER]


# --- imports -----------------------------------------------------------------------------


async def test_the_template_imports_cleanly_as_a_multipart_upload_or_a_csv_body(client) -> None:
    template = await client.get("/v1/imports/template.csv", headers={"Authorization": ""})
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(template.text)))
    assert list(rows[0]) == ["email", "id", "name"] and len(rows) >= 1
    emails = sorted(r["email"] for r in rows)

    uploaded = await client.post(
        "/v1/imports",
        params={"course": "ielts"},
        files={"file": ("people.csv", template.content, "text/csv")},
    )
    assert uploaded.status_code == 201, uploaded.text
    report = uploaded.json()
    assert (report["status"], report["total_rows"], report["enrolled"], report["failed"]) == (
        "completed",
        len(rows),
        len(rows),
        0,
    )
    assert report["errors"] == [] and report["course"] == "ielts"
    people = await list_all(client, import_id=report["id"])
    assert sorted(p["email"] for p in people) == emails
    assert {(p["external_id"], p["name"]) for p in people} == {(r["id"], r["name"]) for r in rows}

    as_body = await post_csv(client, template.text, course="toefl")
    assert as_body.status_code == 201
    assert {k: as_body.json()[k] for k in ("status", "enrolled", "failed")} == {
        k: report[k] for k in ("status", "enrolled", "failed")
    }
    # Uploading the same file again: everyone is already enrolled.
    again = await client.post(
        "/v1/imports",
        params={"course": "ielts"},
        files={"file": ("people.csv", template.content, "text/csv")},
    )
    assert again.status_code == 201
    assert (again.json()["status"], again.json()["enrolled"]) == ("failed", 0)
    assert {e["field"] for e in again.json()["errors"]} == {"email"}

    no_file = await client.post(
        "/v1/imports", params={"course": "ielts"}, files={"other": ("x.csv", b"x", "text/csv")}
    )
    assert no_file.status_code == 422


async def test_an_imports_errors_download_lists_each_bad_row(client) -> None:
    body = (
        "email,id,name,role\n"
        "ok@example.org,1,Okay,learner\n"
        "=cmd|' /C calc'!A0,2,Evil,learner\n"
        "nameless@example.org,3,,learner\n"
        "role@example.org,4,Role,wizard\n"
        "ok2@example.org,5,Okay Two,mentor\n"
    )
    imported = await post_csv(client, body)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["enrolled"], report["failed"]) == (2, 3)

    response = await client.get(f"/v1/imports/{report['id']}/errors.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert report["id"] in response.headers["content-disposition"]
    rows = parse_csv(response.text)
    assert rows[0] == ["line", "column", "reason", "row"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("3", "email"), ("4", "name"), ("5", "role")]
    assert rows[1][3] == "'=cmd|' /C calc'!A0,2,Evil,learner"
    assert rows[2][3] == "nameless@example.org,3,,learner"
    assert "wizard" in rows[3][2] and rows[3][3] == "role@example.org,4,Role,wizard"
    assert all(r[2] for r in rows[1:]), "every row says why"

    clean = await post_csv(client, "email,id,name\nclean@example.org,1,Clean\n")
    assert parse_csv((await client.get(f"/v1/imports/{clean.json()['id']}/errors.csv")).text) == [
        ["line", "column", "reason", "row"]
    ]
    for path in (f"/v1/imports/{report['id']}", f"/v1/imports/{report['id']}/errors.csv"):
        assert (await client.get(path, headers=OTHER)).status_code == 404, path
    assert (await client.get("/v1/imports/nope")).status_code == 404
    assert (await client.get("/v1/imports/nope/errors.csv")).status_code == 404


async def test_manual_entry_numbers_lines_from_the_first(client) -> None:
    await client.post("/v1/cohorts", json={"course": "ielts", "code": "spring"})
    lines = (
        "not-an-email,X-1,Xavier\n"
        "ann@example.org,A-1,Ann Smith\n"
        "\n"
        "bob@example.org,B-1,\n"
        "ANN@example.org,A-2,Ann Again\n"
        "cy@example.org,,Cy\n"
    )
    response = await client.post(
        "/v1/enrolments:batch",
        params={"course": "ielts", "cohort": "spring"},
        content=lines.encode(),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (1, "email"),
        (4, "name"),
        (5, "email"),
    ]
    assert "first on line 2" in report["errors"][2]["reason"]
    assert report["errors"][0]["raw"] == "not-an-email,X-1,Xavier"
    assert (report["enrolled"], report["failed"], report["status"]) == (
        2,
        3,
        "completed_with_errors",
    )
    people = await list_all(client, import_id=report["id"])
    assert [(p["email"], p["external_id"], p["cohort"]) for p in people] in (
        [("ann@example.org", "A-1", "spring"), ("cy@example.org", "Cy", "spring")],
        [("cy@example.org", "Cy", "spring"), ("ann@example.org", "A-1", "spring")],
    )
    missing_course = await client.post(
        "/v1/enrolments:batch",
        content=b"a@example.org,1,A\n",
        headers={"content-type": "text/plain"},
    )
    assert missing_course.status_code == 422


# --- people who already have an account --------------------------------------------------


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
        "requested": 0
    }


# --- the funnel --------------------------------------------------------------------------


async def test_the_funnel_of_a_cohort_counts_failed_deliveries(
    client, topics, producer: AIOKafkaProducer
) -> None:
    for cohort in ("spring", "autumn"):
        await client.post("/v1/cohorts", json={"course": "ielts", "code": cohort})
    spring = [await enrol(client, f"s{n}@example.org", cohort="spring") for n in range(3)]
    await enrol(client, "a0@example.org", cohort="autumn")
    await client.post(f"/v1/enrolments/{spring[2]['id']}/cancel")

    failed = NotificationFailed(
        source="/test",
        subject="n-1",
        tenant_id="ignored-by-handlers",
        correlation_id="c",
        data=NotificationFailedData(
            notification_id="n-1",
            invitation_id="inv-1",
            enrolment_id=spring[0]["id"],
            channel="email",
            reason="550 no such mailbox",
            attempts=3,
        ),
    )
    await producer.send_and_wait(topics.name(Topic.NOTIFICATION), failed.to_json(), key=b"n-1")

    async def funnel(**params: str) -> dict:
        response = await client.get("/v1/funnel", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    await eventually(lambda: _holds(funnel(cohort="spring"), lambda f: f["failed"] == 1))
    assert await funnel(cohort="spring") == {
        "enrolled": 3,
        "invited": 0,
        "emailed": 0,
        "registered": 0,
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
