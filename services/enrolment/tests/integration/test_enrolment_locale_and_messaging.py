"""The language of each person's messages, from every way in (the API, a CSV, a change) to
every event that asks for a link and the export; and a tenant's messaging settings,
announced to the notification service whenever they change."""

import pytest

from .helpers import (
    OTHER,
    enrol,
    enrolment_events,
    list_all,
    of_type,
    parse_csv,
    post_csv,
    refused_field,
    set_policy,
)

pytestmark = pytest.mark.integration


async def test_the_locale_travels_in_every_request_for_a_link_and_in_the_export(
    client, kafka, topics
) -> None:
    ada = await enrol(client, "ada@example.org", locale="FR")
    assert ada["locale"] == "fr"
    assert (await enrol(client, "eve@example.org"))["locale"] is None
    imported = await post_csv(
        client,
        "email,id,name,locale\n"
        "bo@example.org,1,Bo,pt-BR\n"
        "cy@example.org,2,Cy,klingon!\n"
        "di@example.org,3,Di,\n",
    )
    report = imported.json()
    assert (report["enrolled"], report["failed"]) == (2, 1)
    [error] = report["errors"]
    assert (error["line"], error["field"]) == (3, "locale")
    by_email = {e["email"]: e for e in await list_all(client, import_id=report["id"])}
    assert (by_email["bo@example.org"]["locale"], by_email["di@example.org"]["locale"]) == (
        "pt-BR",
        None,
    )

    changed = await client.patch(f"/v1/enrolments/{ada['id']}", json={"locale": "de-AT"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["locale"] == "de-AT"
    bad = await client.patch(f"/v1/enrolments/{ada['id']}", json={"locale": "de_AT"})
    assert refused_field(bad) == "locale"
    too_long = {"email": "x@example.org", "name": "X", "course": "ielts", "locale": "x" * 36}
    assert refused_field(await client.post("/v1/enrolments", json=too_long)) == "locale"

    # Invited by hand and sent credentials: the current locale, in each request.
    await set_policy(client, "manual")
    later = await enrol(client, "fay@example.org", locale="es")
    assert (await client.post(f"/v1/enrolments/{later['id']}/invite")).status_code == 202
    patched = await client.patch(f"/v1/enrolments/{later['id']}", json={"locale": None})
    assert patched.json()["locale"] is None
    credentials = await client.post("/v1/enrolments:credentials", json={"ids": [ada["id"]]})
    assert credentials.json()["requested"] == 1

    events = await enrolment_events(
        kafka,
        topics,
        lambda es: (
            bool(of_type(es, "invitation_requested")) and bool(of_type(es, "credentials_requested"))
        ),
    )
    created = {e["data"]["email"]: e["data"].get("locale") for e in of_type(events, "created")}
    assert {k: created[k] for k in ("ada@example.org", "eve@example.org", "bo@example.org")} == {
        "ada@example.org": "fr",
        "eve@example.org": None,
        "bo@example.org": "pt-BR",
    }
    [requested] = of_type(events, "invitation_requested")
    assert requested["data"]["locale"] == "es"
    [credentialed] = of_type(events, "credentials_requested")
    assert credentialed["data"]["locale"] == "de-AT"

    exported = parse_csv((await client.get("/v1/enrolments.csv")).text)
    locale_at = exported[0].index("locale")
    assert {row[1]: row[locale_at] for row in exported[1:]}["ada@example.org"] == "de-AT"


async def test_a_change_of_the_messaging_settings_is_announced_with_all_three(
    client, kafka, topics
) -> None:
    put = await client.put(
        "/v1/settings", json={"sender_name": " Acme Learning ", "messages_per_second": 20}
    )
    assert put.status_code == 200, put.text
    assert {k: put.json()[k] for k in ("sender_name", "message_intro", "messages_per_second")} == {
        "sender_name": "Acme Learning",
        "message_intro": None,
        "messages_per_second": 20.0,
    }
    # Changes to other settings, or to the same values, announce nothing.
    assert (await client.put("/v1/settings", json={"max_resends": 5})).status_code == 200
    assert (await client.put("/v1/settings", json={"messages_per_second": 20})).status_code == 200
    intro = "Welcome to Acme.\nSee you in class."
    second = await client.put("/v1/settings", json={"message_intro": intro})
    assert second.status_code == 200, second.text
    other = await client.get("/v1/settings", headers=OTHER)
    assert other.json()["sender_name"] is None, "another tenant's settings are its own"

    for body, field in [
        ({"sender_name": 'Acme" <evil@example.org>'}, "sender_name"),
        ({"sender_name": "Acme\r\nBcc: someone@example.org"}, "sender_name"),
        ({"sender_name": "x" * 101}, "sender_name"),
        ({"message_intro": "x" * 501}, "message_intro"),
        ({"messages_per_second": 0}, "messages_per_second"),
        ({"messages_per_second": 1001}, "messages_per_second"),
        ({"messages_per_second": "fast"}, "messages_per_second"),
    ]:
        assert refused_field(await client.put("/v1/settings", json=body)) == field, body

    events = await enrolment_events(
        kafka, topics, lambda es: len(of_type(es, "messaging_settings_changed")) >= 2
    )
    changes = of_type(events, "messaging_settings_changed")
    tenant_id = changes[0]["tenantid"]
    assert [e["subject"] for e in changes] == [tenant_id, tenant_id]
    assert [e["data"] for e in changes] == [
        {
            "tenant_id": tenant_id,
            "sender_name": "Acme Learning",
            "message_intro": None,
            "messages_per_second": 20.0,
        },
        {
            "tenant_id": tenant_id,
            "sender_name": "Acme Learning",
            "message_intro": intro,
            "messages_per_second": 20.0,
        },
    ]
