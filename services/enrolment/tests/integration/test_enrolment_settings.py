"""A tenant's settings through the API, and the link rules every request for a link
carries to the invitation service."""

import pytest

from .helpers import (
    OTHER,
    enrol,
    enrolment_events,
    of_type,
    post_csv,
    refused_field,
    set_policy,
)

pytestmark = pytest.mark.integration

DEFAULTS = {
    "invite_policy": "auto",
    "invitation_ttl_hours": 24.0,
    "max_resends": 3,
    "self_service_resend": False,
    "reminder_after_hours": None,
    "max_reminders": 2,
    "activation": "auto",
    "username_source": "chosen",
    "sender_name": None,
    "message_intro": None,
    "messages_per_second": None,
}


async def test_settings_change_only_where_told_and_are_the_tenants_own(client) -> None:
    assert (await client.get("/v1/settings")).json() == DEFAULTS
    changed = await client.put(
        "/v1/settings",
        json={"invitation_ttl_hours": 48, "self_service_resend": True, "reminder_after_hours": 72},
    )
    assert changed.status_code == 200, changed.text
    expected = {
        **DEFAULTS,
        "invitation_ttl_hours": 48.0,
        "self_service_resend": True,
        "reminder_after_hours": 72.0,
    }
    assert changed.json() == expected
    assert (await client.get("/v1/settings")).json() == expected
    off = await client.put("/v1/settings", json={"reminder_after_hours": None, "max_resends": 0})
    assert off.json() == {**expected, "reminder_after_hours": None, "max_resends": 0}
    assert (await client.put("/v1/settings", json={})).json() == off.json()
    assert (await client.get("/v1/settings", headers=OTHER)).json() == DEFAULTS

    for body, field in [
        ({"invitation_ttl_hours": 0}, "invitation_ttl_hours"),
        ({"invitation_ttl_hours": 721}, "invitation_ttl_hours"),
        ({"invitation_ttl_hours": None}, "invitation_ttl_hours"),
        ({"max_resends": 11}, "max_resends"),
        ({"max_resends": -1}, "max_resends"),
        ({"max_reminders": 11}, "max_reminders"),
        ({"reminder_after_hours": 0}, "reminder_after_hours"),
        ({"reminder_after_hours": 1000}, "reminder_after_hours"),
        ({"self_service_resend": None}, "self_service_resend"),
        ({"self_service_resend": "yes"}, "self_service_resend"),
        ({"max_reminders": False}, "max_reminders"),
        ({"invitation_ttl_hours": True}, "invitation_ttl_hours"),
        ({"invite_policy": None}, "invite_policy"),
        ({"activation": "sometimes"}, "activation"),
        ({"activation": None}, "activation"),
        ({"username_source": "sso"}, "username_source"),
        ({"username_source": None}, "username_source"),
        ({"colour": "blue"}, "colour"),
    ]:
        refused = await client.put("/v1/settings", json={"max_reminders": 5, **body})
        assert refused_field(refused) == field, body
    assert (await client.get("/v1/settings")).json() == off.json(), "a refusal changes nothing"

    admin = await client.put("/v1/settings", json={"activation": "admin"})
    assert admin.json() == {**off.json(), "activation": "admin"}
    sso = await client.put("/v1/settings", json={"username_source": "email"})
    assert sso.json() == {**off.json(), "activation": "admin", "username_source": "email"}
    assert (await client.get("/v1/settings")).json() == sso.json()
    assert (await client.get("/v1/settings", headers=OTHER)).json() == DEFAULTS


async def test_every_request_for_a_link_carries_the_tenants_link_rules(
    client, kafka, topics
) -> None:
    await client.put(
        "/v1/settings",
        json={
            "invitation_ttl_hours": 2,
            "max_resends": 1,
            "self_service_resend": True,
            "activation": "admin",
            "username_source": "email",
        },
    )
    titled = await client.post("/v1/courses", json={"code": "bio", "title": "Biology 101"})
    assert titled.status_code == 201, titled.text
    await enrol(client, "auto@example.org", course="bio")
    imported = await post_csv(client, "email,id,name\nrow@example.org,1,Row\n", course="bio")
    assert imported.status_code == 201, imported.text
    await set_policy(client, "manual")
    by_hand = await enrol(client, "hand@example.org", course="bio")
    untitled = await enrol(client, "plain@example.org")  # ielts: created without a title
    assert (await client.post(f"/v1/enrolments/{by_hand['id']}/invite")).status_code == 202
    assert (await client.post(f"/v1/enrolments/{untitled['id']}/invite")).status_code == 202

    events = await enrolment_events(
        kafka, topics, lambda es: len(of_type(es, "invitation_requested")) >= 2
    )
    rules = {
        "ttl_hours": 2.0,
        "max_resends": 1,
        "self_service_resend": True,
        "activation": "admin",
        "username_source": "email",
    }
    created = [e["data"] for e in of_type(events, "created")]
    assert len(created) == 4
    assert all(data["link_policy"] == rules for data in created)
    titles = {data["email"]: data["course_title"] for data in created}
    assert titles == {
        "auto@example.org": "Biology 101",
        "row@example.org": "Biology 101",  # the import read it once, for every row
        "hand@example.org": "Biology 101",
        "plain@example.org": "ielts",  # a course without a title is named by its code
    }
    requested = {e["subject"]: e["data"] for e in of_type(events, "invitation_requested")}
    assert requested[by_hand["id"]]["link_policy"] == rules
    assert requested[by_hand["id"]]["course_title"] == "Biology 101"
    assert requested[untitled["id"]]["course_title"] == "ielts"
