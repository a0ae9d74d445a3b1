"""Inviting by hand, changing and cancelling enrolments, through the API."""

import pytest
from onboarding_devtools.testing import query

from .helpers import OTHER, enrol, enrolment_events, of_type, refused_field, set_policy

pytestmark = pytest.mark.integration


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
    assert response.json() == {"requested": 3, "activated": 0}
    assert (await client.post("/v1/enrolments:invite", json={"course": "ielts"})).json() == {
        "requested": 0,
        "activated": 0,
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
        "requested": 1,
        "activated": 0,
    }


async def test_a_bulk_invite_passes_by_people_already_invited_on_enrolment(client) -> None:
    everyone = await client.post("/v1/enrolments:invite", json={})
    assert everyone.status_code == 422, "a bulk invite names what it is about"
    await enrol(client, "auto@example.org")  # the tenant policy: auto, so already requested
    await enrol(client, "hand@example.org", invite="manual")
    response = await client.post("/v1/enrolments:invite", json={"course": "ielts"})
    assert response.json() == {"requested": 1, "activated": 0}


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
        assert refused_field(refused) == field, body
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
    assert refused_field(refused) == "phone"


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
