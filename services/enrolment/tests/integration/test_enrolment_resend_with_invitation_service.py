"""The real invitation service (in-process, reached over HTTP through an ASGI transport),
both on a real PostgreSQL and Kafka: a resend the enrolment service asks for and the
invitation service judges, what it answers being what the admin sees; and what the
enrolment service's events tell the invitation service to hand registration with a link."""

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from enrolment.invitations import InvitationClient
from fastapi import FastAPI
from invitation.app import InvitationSettings
from invitation.app import create_app as create_invitation_app
from onboarding_contracts import InvitationIssued, Topic
from onboarding_contracts.events import link_context_of
from onboarding_contracts.internal.invitations import INSPECT_PATH, PREFIX, TOKEN_HEADER
from onboarding_devtools.testing import first_event, running
from onboarding_kit.kafka import TopicNames
from onboarding_kit.sealing import new_key

from .helpers import enrol, invitation_becomes, invitations_of

pytestmark = pytest.mark.integration

INTERNAL_TOKEN = "internal-token-for-the-tests-0123456789"


@pytest.fixture
async def invitation_service(new_database, kafka: str, topic_prefix: str) -> AsyncIterator[FastAPI]:
    app = create_invitation_app(
        InvitationSettings(
            database_url=await new_database(),
            kafka_bootstrap_servers=kafka,
            kafka_topic_prefix=topic_prefix,
            invitation_link_key=new_key(),
            internal_api_token=INTERNAL_TOKEN,
        )
    )
    async with running(app):
        yield app


@pytest.fixture
async def invitations(invitation_service: FastAPI) -> AsyncIterator[InvitationClient]:
    client = InvitationClient(
        "http://invitation", INTERNAL_TOKEN, transport=httpx.ASGITransport(app=invitation_service)
    )
    yield client
    await client.close()


async def test_resends_up_to_the_tenants_limit_then_the_reason_why_not(client) -> None:
    await client.put("/v1/settings", json={"max_resends": 2})
    person = (await enrol(client, "often@example.org"))["id"]
    first = await invitation_becomes(client, person, status="pending", send_count=1)

    for resends in (1, 2):
        resent = await client.post(f"/v1/enrolments/{person}/resend")
        assert resent.status_code == 200, resent.text
        body = resent.json()
        assert (body["send_count"], body["resend_count"]) == (resends + 1, resends)
        assert body["invitation_id"] == first["invitation_id"]
        assert body["last_sent_at"] >= first["last_sent_at"]
    (shown,) = await invitations_of(client)
    assert (shown["send_count"], shown["resend_count"]) == (3, 2)

    refused = await client.post(f"/v1/enrolments/{person}/resend")
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "limit_reached"
    assert refused.json()["detail"] == refused.json()["message"]
    # The InvitationIssued of each resend arrives and changes nothing more.
    await invitation_becomes(client, person, send_count=3, resend_count=2)

    cancelled = await client.post(f"/v1/enrolments/{person}/cancel")
    assert cancelled.status_code == 200
    assert (await client.post(f"/v1/enrolments/{person}/resend")).json()["reason"] == "cancelled"
    await invitation_becomes(client, person, status="revoked")


async def test_the_link_carries_the_course_title_and_the_tenants_whole_policy(
    client, kafka: str, topics: TopicNames, invitation_service: FastAPI
) -> None:
    await client.put(
        "/v1/settings",
        json={"activation": "admin", "username_source": "email", "invitation_ttl_hours": 3},
    )
    await client.post("/v1/courses", json={"code": "bio", "title": "Biology 101"})
    person = await enrol(client, "titled@example.org", course="bio", phone="+447700900123")

    issued, _ = await first_event(
        kafka,
        topics.name(Topic.INVITATION),
        InvitationIssued,
        where=lambda e: e.data.enrolment_id == person["id"],
    )
    sealer = invitation_service.state.dependencies.links.sealer
    link = sealer.unseal(issued.data.sealed_link, context=link_context_of(issued))
    [token] = parse_qs(urlsplit(link).query)["token"]
    transport = httpx.ASGITransport(app=invitation_service)
    async with httpx.AsyncClient(transport=transport, base_url="http://invitation") as internal:
        inspected = await internal.post(
            PREFIX + INSPECT_PATH, json={"token": token}, headers={TOKEN_HEADER: INTERNAL_TOKEN}
        )
    assert inspected.status_code == 200, inspected.text
    details = inspected.json()
    assert (details["course"], details["course_title"]) == ("bio", "Biology 101")
    assert details["phone"] == "+447700900123"
    assert details["link_policy"] == {
        "ttl_hours": 3.0,
        "max_resends": 3,
        "self_service_resend": False,
        "activation": "admin",
        "username_source": "email",
    }
