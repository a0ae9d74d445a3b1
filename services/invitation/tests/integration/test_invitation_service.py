"""The invitation service in-process, over a real PostgreSQL and a real Kafka broker.

EnrolmentCreated events are published to Kafka like the enrolment service would; what the
service stores and publishes is read back from its database and its topic."""

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from onboarding_contracts import InvitationAccepted, Origin, RegistrationCompleted, parse_event
from onboarding_contracts.events import LinkPolicy, RegistrationCompletedData
from onboarding_devtools.testing import eventually, read_topic

from .harness import (
    AUTH,
    INSPECT,
    PROBLEM_JSON,
    REDEEM,
    TOKEN_HEADER,
    Service,
    enrolment_created,
    of_type,
)

pytestmark = pytest.mark.integration


async def test_an_enrolment_is_invited_once_with_a_sealed_link_whose_token_is_never_stored(
    service: Service,
) -> None:
    event = enrolment_created()
    await service.publish(event)
    issued, record = await service.issued_for(event.data.enrolment_id)

    # The sealed link opens, with the key and for this invitation only, to the accept link.
    token = service.token_of(issued)
    assert issued.subject == issued.data.invitation_id
    assert record.key == issued.data.invitation_id.encode()
    assert issued.correlation_id == event.correlation_id
    assert issued.causation_id == event.id
    assert issued.data.email == event.data.email
    assert issued.data.send_count == 1

    [row] = await service.fetch("SELECT * FROM invitations")
    assert row["id"] == issued.data.invitation_id
    assert row["enrolment_id"] == event.data.enrolment_id
    assert row["status"] == "pending"
    assert row["correlation_id"] == event.correlation_id
    assert row["expires_at"] == issued.data.expires_at
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert (row["channel"], row["phone"], row["send_count"]) == ("email", None, 1)
    # One instant, read in Python, for the row and the expiry computed from it.
    assert row["created_at"] == row["updated_at"] == issued.data.expires_at - timedelta(hours=24)
    # The raw token is neither stored nor on the broker: only its hash and the sealed link.
    assert token not in repr(dict(row))
    assert token.encode() not in record.value
    assert all(token.encode() not in value for _, value in record.headers)

    # A redelivery of the same event, another EnrolmentCreated for the same enrolment and
    # one whose tenant invites by hand all change nothing.
    again = enrolment_created(event.data.enrolment_id)
    by_hand = enrolment_created(invite=False)
    for e in (event, again, by_hand):
        await service.publish(e)
    consumer = service.app.state.runtime.consumer
    await eventually(lambda: consumer.stats.duplicates >= 1 and consumer.stats.applied >= 3)
    assert (consumer.stats.applied, consumer.stats.duplicates) == (3, 1)
    assert consumer.stats.dead_lettered == 0

    rows = await service.fetch("SELECT id, enrolment_id FROM invitations")
    assert [(r["id"], r["enrolment_id"]) for r in rows] == [
        (issued.data.invitation_id, event.data.enrolment_id)
    ]
    published = await service.published()
    assert [json.loads(r.value)["id"] for r in published] == [issued.id]


async def test_the_internal_endpoints_judge_and_redeem_a_link(service: Service) -> None:
    event, issued, token = await service.invite()
    body = {"token": token}

    # Only a caller holding the internal token may ask; a non-ASCII one is refused too.
    wrong: list[dict[str, str | bytes]] = [
        {},
        {TOKEN_HEADER: "not-the-internal-token-at-all"},
        {TOKEN_HEADER: "ïntérnal-tökén".encode()},
    ]
    for headers in wrong:
        for path in (INSPECT, REDEEM):
            response = await service.client.post(path, json=body, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.headers["content-type"] == PROBLEM_JSON

    inspected = await service.client.post(INSPECT, json=body, headers=AUTH)
    assert inspected.status_code == 200
    answer = inspected.json()
    assert datetime.fromisoformat(answer.pop("expires_at")) == issued.data.expires_at
    assert answer == {
        "invitation_id": issued.data.invitation_id,
        "tenant_id": event.tenant_id,
        "enrolment_id": event.data.enrolment_id,
        "email": event.data.email,
        "name": event.data.name,
        "course": event.data.course,
        "course_title": None,
        "phone": None,
        "correlation_id": event.correlation_id,
        "link_policy": LinkPolicy().model_dump(mode="json"),
        "purpose": "sign_up",
    }
    # Inspecting changed nothing: the link can still be redeemed, once.
    redeemed = await service.client.post(REDEEM, json=body, headers=AUTH)
    assert redeemed.status_code == 200
    assert redeemed.json()["invitation_id"] == issued.data.invitation_id

    records = await read_topic(
        service.kafka,
        [service.invitation_topic],
        until=lambda rs: bool(of_type(rs, InvitationAccepted.event_type)),
    )
    [accepted_record] = of_type(records, InvitationAccepted.event_type)
    accepted = parse_event(accepted_record.value)
    assert isinstance(accepted, InvitationAccepted)
    assert accepted.subject == issued.data.invitation_id
    assert accepted.data.enrolment_id == event.data.enrolment_id
    assert accepted.correlation_id == event.correlation_id
    [row] = await service.fetch("SELECT status, accepted_at FROM invitations")
    assert row["status"] == "accepted"
    assert row["accepted_at"] == accepted.data.accepted_at

    for path in (REDEEM, INSPECT):
        used = await service.client.post(path, json=body, headers=AUTH)
        assert used.status_code == 410, path
        assert used.headers["content-type"] == PROBLEM_JSON
        assert used.json()["reason"] == "used"
        assert "already been used" in used.json()["message"]

    for path in (INSPECT, REDEEM):
        unknown = await service.client.post(path, json={"token": "no-such-token"}, headers=AUTH)
        assert unknown.status_code == 404, path
        assert unknown.headers["content-type"] == PROBLEM_JSON
        assert unknown.json()["reason"] == "unknown"
        assert "not valid" in unknown.json()["message"]

    # One accept, however often the link was tried afterwards.
    assert len(of_type(await service.published(), InvitationAccepted.event_type)) == 1


async def test_a_link_is_refused_once_it_expired_without_any_sweeper(service: Service) -> None:
    _, issued, token = await service.invite(LinkPolicy(ttl_hours=0.001))  # 3.6 s
    body = {"token": token}
    assert datetime.now(UTC) < issued.data.expires_at
    assert (await service.client.post(INSPECT, json=body, headers=AUTH)).status_code == 200

    wait = (issued.data.expires_at - datetime.now(UTC)) + timedelta(milliseconds=100)
    await asyncio.sleep(max(wait.total_seconds(), 0))

    for path in (INSPECT, REDEEM):
        refused = await service.client.post(path, json=body, headers=AUTH)
        assert refused.status_code == 410, path
        assert refused.json()["reason"] == "expired"
        assert "expired" in refused.json()["message"]
    # Judged at use time: the row itself was never touched.
    [row] = await service.fetch("SELECT status, accepted_at FROM invitations")
    assert (row["status"], row["accepted_at"]) == ("pending", None)
    assert of_type(await service.published(), InvitationAccepted.event_type) == []


async def test_of_concurrent_redeems_of_one_link_exactly_one_succeeds(service: Service) -> None:
    _, issued, token = await service.invite()

    responses = await asyncio.gather(
        *(service.client.post(REDEEM, json={"token": token}, headers=AUTH) for _ in range(10))
    )

    assert sorted(r.status_code for r in responses) == [200] + [410] * 9
    assert {r.json()["reason"] for r in responses if r.status_code == 410} == {"used"}
    [winner] = [r for r in responses if r.status_code == 200]
    assert winner.json()["invitation_id"] == issued.data.invitation_id
    accepted = of_type(await service.published(), InvitationAccepted.event_type)
    assert [r.key for r in accepted] == [issued.data.invitation_id.encode()]


async def test_a_completed_registration_records_the_account_on_its_invitation(
    service: Service,
) -> None:
    event, issued, token = await service.invite()
    redeemed = await service.client.post(
        REDEEM, json={"token": token, "account_id": "acc-1"}, headers=AUTH
    )
    assert redeemed.status_code == 200
    completed = RegistrationCompleted.new(
        Origin("/onboarding/registration", event.tenant_id, event.correlation_id),
        RegistrationCompletedData(
            account_id="acc-1",
            invitation_id=issued.data.invitation_id,
            enrolment_id=event.data.enrolment_id,
            email=event.data.email,
            username="ada",
            first_name="Ada",
            last_name="Lovelace",
        ),
    )
    before = datetime.now(UTC)
    await service.publish(completed)

    async def recorded() -> list[asyncpg.Record]:
        return await service.fetch(
            "SELECT account_id, accepted_by, updated_at FROM invitations WHERE account_id = $1",
            "acc-1",
        )

    [row] = await eventually(recorded)
    assert row["accepted_by"] == "acc-1"
    assert before <= row["updated_at"] <= datetime.now(UTC)
