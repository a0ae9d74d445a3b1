"""The invitations admins see (`GET /v1/invitations`), built from the invitation service's
events: each link sent, expired, accepted or revoked, and events that arrive late."""

from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from .helpers import (
    OTHER,
    accepted,
    enrol,
    expired,
    invitation_becomes,
    invitations_of,
    issued,
    post_csv,
    publish,
    refused_field,
    revoked,
    status_becomes,
)

pytestmark = pytest.mark.integration


async def funnel(client: Any, **params: str) -> dict:
    response = await client.get("/v1/funnel", params=params)
    assert response.status_code == 200, response.text
    counts: dict = response.json()
    return counts


async def test_the_view_follows_each_link_and_ignores_late_events(
    client, topics, producer: AIOKafkaProducer
) -> None:
    a = (await enrol(client, "a@example.org"))["id"]
    b = (await enrol(client, "b@example.org"))["id"]
    assert await invitations_of(client) == [], "nobody has an invitation yet"

    await publish(producer, topics, issued(a), issued(b))
    first = await invitation_becomes(client, a, status="pending", send_count=1)
    assert first["invitation_id"] == f"inv-{a}"
    assert (first["resend_count"], first["reminder_count"]) == (0, 0)
    assert first["last_sent_at"] and first["expires_at"] > first["last_sent_at"]
    assert (first["email"], first["course"]) == ("a@example.org", "ielts")
    await status_becomes(client, a, "invited")

    # The link expires: the enrolment, the view and the funnel say so.
    await publish(producer, topics, expired(a, 1))
    await invitation_becomes(client, a, status="expired", send_count=1)
    await status_becomes(client, a, "expired")
    assert (await funnel(client, course="ielts"))["expired"] == 1
    assert [i["enrolment_id"] for i in await invitations_of(client, status="expired")] == [a]

    # A resend: invited again, the view counts it.
    await publish(producer, topics, issued(a, 2, reason="resend", resend_count=1))
    await invitation_becomes(client, a, status="pending", send_count=2, resend_count=1)
    await status_becomes(client, a, "invited")
    assert (await funnel(client, course="ielts"))["expired"] == 0

    # Late: the expiry of link 1 (replaced since) and link 1 again (a redelivery by another
    # route). Neither changes anything; the acceptance after them does.
    await publish(producer, topics, expired(a, 1), issued(a, 1), accepted(a))
    done = await invitation_becomes(client, a, status="accepted")
    assert (done["send_count"], done["resend_count"]) == (2, 1)
    assert (await client.get(f"/v1/enrolments/{a}")).json()["status"] == "invited"

    await publish(producer, topics, revoked(b))
    await invitation_becomes(client, b, status="revoked", send_count=1)


async def test_an_expiry_of_a_link_not_seen_yet_changes_nothing(
    client, topics, producer: AIOKafkaProducer
) -> None:
    c = (await enrol(client, "c@example.org"))["id"]
    await publish(producer, topics, issued(c), expired(c, 2), issued(c, 3, reason="reminder"))
    shown = await invitation_becomes(client, c, send_count=3)
    assert shown["status"] == "pending"
    assert (await client.get(f"/v1/enrolments/{c}")).json()["status"] == "invited"


async def test_the_list_filters_pages_and_is_the_tenants_own(
    client, topics, producer: AIOKafkaProducer
) -> None:
    await client.post("/v1/cohorts", json={"course": "ielts", "code": "spring"})
    ada = (await enrol(client, "Ada@Example.org", cohort="spring"))["id"]
    bob = (await enrol(client, "bob@example.org"))["id"]
    cy = (await enrol(client, "cy@example.org", course="toefl"))["id"]
    imported = await post_csv(client, "email,id,name\ndee@example.org,1,Dee\n", course="toefl")
    import_id = imported.json()["id"]
    dee = (await client.get("/v1/enrolments", params={"import_id": import_id})).json()
    dee_id = dee["items"][0]["id"]
    never = (await enrol(client, "never@example.org"))["id"]
    theirs = await client.post(
        "/v1/enrolments",
        json={"email": "ada@example.org", "name": "Ada", "course": "ielts"},
        headers=OTHER,
    )
    theirs_id = theirs.json()["id"]
    await publish(
        producer,
        topics,
        *(issued(e) for e in (ada, bob, cy, dee_id, theirs_id)),
        expired(bob, 1),
    )
    await invitation_becomes(client, bob, status="expired")
    for enrolment_id in (ada, cy, dee_id):
        await invitation_becomes(client, enrolment_id, status="pending")

    async def ids(**params: Any) -> list[str]:
        return [i["enrolment_id"] for i in await invitations_of(client, **params)]

    assert await ids() == [ada, bob, cy, dee_id], "in enrolment order; `never` has none"
    assert never not in await ids()
    assert await ids(status="expired") == [bob]
    assert await ids(status="pending") == [ada, cy, dee_id]
    assert await ids(status="accepted") == []
    assert await ids(course="toefl") == [cy, dee_id]
    assert await ids(cohort="spring") == [ada]
    assert await ids(import_id=import_id) == [dee_id]
    assert await ids(email=" ADA@example.ORG ") == [ada]
    assert await ids(course="ielts", status="pending") == [ada]
    (shown,) = await invitations_of(client, import_id=import_id)
    assert (shown["import_id"], shown["cohort"], shown["name"]) == (import_id, None, "Dee")

    # Pages of two, walked by their cursors: everyone once, in order.
    walked, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/invitations", params=params)).json()
        walked += [i["enrolment_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [ada, bob, cy, dee_id]

    # The other tenant sees its own only; this tenant never sees theirs.
    mine = await client.get("/v1/invitations", headers=OTHER)
    assert [i["enrolment_id"] for i in mine.json()["items"]] == [theirs_id]
    assert await ids(email="ada@example.org") == [ada]

    for params, field in [
        ({"status": "sent"}, "status"),
        ({"cursor": "garbage"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"email": "a\x00b@example.org"}, "email"),
    ]:
        refused = await client.get("/v1/invitations", params=params)
        assert refused_field(refused) == field, params
    assert (await client.get("/v1/invitations", headers={"Authorization": ""})).status_code == 401
