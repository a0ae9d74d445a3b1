"""Tenants that activate accounts by hand, and tenants whose usernames are email
addresses, over a real PostgreSQL and Kafka (the link's policy comes from an invitation
service in memory, as the real one hands it over with the link's details)."""

import uuid

import pytest
from aiokafka import ConsumerRecord
from onboarding_contracts import (
    AccountActivated,
    ActivationApproved,
    RegistrationCompleted,
    Topic,
    parse_event,
)
from onboarding_contracts.events import ActivationApprovedData, LinkPolicy
from onboarding_devtools.testing import eventually, query, read_topic

from ..links import LINK
from .conftest import Alone, StartAlone
from .stack import HIDDEN, PASSWORD

pytestmark = pytest.mark.integration


async def events_of(service: Alone, account_id: str, count: int) -> list:
    def mine(records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        return [r for r in records if r.key == account_id.encode()]

    records = await read_topic(
        service.kafka,
        [service.topics.name(Topic.REGISTRATION)],
        until=lambda rs: len(mine(rs)) >= count,
    )
    return [parse_event(r.value) for r in sorted(mine(records), key=lambda r: r.offset)]


async def approve(service: Alone, account_id: str) -> ActivationApproved:
    """An administrator's approval, as the enrolment service publishes it."""
    approved = ActivationApproved(
        source="/onboarding/enrolment",
        subject=LINK.enrolment_id,
        tenant_id=LINK.tenant_id,
        correlation_id=f"corr-{uuid.uuid4().hex[:8]}",
        data=ActivationApprovedData(enrolment_id=LINK.enrolment_id, account_id=account_id),
    )
    await service.producer.send_and_wait(
        service.topics.name(Topic.ENROLMENT),
        value=approved.to_json(),
        key=LINK.enrolment_id.encode(),
    )
    return approved


async def test_an_account_waits_for_its_approval_then_is_activated(alone: StartAlone) -> None:
    async with alone(LinkPolicy(activation="admin")) as service:
        page = await service.client.get("/join", params={"token": "tok"})
        form = {
            **dict(HIDDEN.findall(page.text)),
            "first_name": "Ada",
            "middle_name": "Augusta",
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0958",
            "username": "countess",
            "password": PASSWORD,
        }
        welcome = await service.client.post("/join", data=form)
        assert welcome.status_code == 201
        assert "An administrator will activate it" in welcome.text
        assert "Your account is ready" not in welcome.text

        [account] = await query(service.database, "SELECT * FROM accounts")
        assert account["status"] == "pending_activation"
        assert account["activated_at"] is None
        assert (account["middle_name"], account["phone"]) == ("Augusta", "+442079460958")
        account_id = account["id"]
        [completed] = await events_of(service, account_id, 1)
        assert isinstance(completed, RegistrationCompleted)
        assert completed.data.awaiting_activation is True
        assert (completed.data.middle_name, completed.data.phone) == ("Augusta", "+442079460958")

        approved = await approve(service, account_id)

        async def active() -> bool:
            rows = await query(service.database, "SELECT status FROM accounts")
            return [r["status"] for r in rows] == ["active"]

        await eventually(active, timeout_s=30)
        completed_again, activated = await events_of(service, account_id, 2)
        assert completed_again.id == completed.id, "RegistrationCompleted was published once"
        assert isinstance(activated, AccountActivated)
        assert activated.causation_id == approved.id
        assert activated.correlation_id == approved.correlation_id
        assert (activated.data.username, activated.data.first_name) == ("countess", "Ada")
        assert activated.data.email == LINK.email
        assert activated.data.invitation_id == LINK.invitation_id, "the account row keeps it"

        # The same approval delivered again, and a second one, announce nothing more.
        await service.producer.send_and_wait(
            service.topics.name(Topic.ENROLMENT), value=approved.to_json(), key=b"enr-1"
        )
        second = await approve(service, account_id)
        consumer = service.app.state.runtime.consumer

        async def both_seen() -> bool:
            # The inbox holds each event applied; the repeat of the first is a duplicate.
            ids = {r["event_id"] for r in await query(service.database, "SELECT * FROM inbox")}
            return {approved.id, second.id} <= ids and consumer.stats.duplicates >= 1

        await eventually(both_seen, timeout_s=30)
        assert len(await events_of(service, account_id, 2)) == 2


async def test_with_usernames_from_email_the_username_is_the_address(alone: StartAlone) -> None:
    async with alone(LinkPolicy(username_source="email")) as service:
        page = await service.client.get("/join", params={"token": "tok"})
        assert page.status_code == 200
        assert 'id="username"' not in page.text
        assert f"Your username is your email address: <strong>{LINK.email}</strong>" in page.text

        created = await service.client.post(
            "/v1/registrations",
            json={
                "token": "tok",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "password": PASSWORD,
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["username"] == LINK.email
        [account] = await query(service.database, "SELECT username, status FROM accounts")
        assert (account["username"], account["status"]) == (LINK.email, "active")
        completed, activated = await events_of(service, created.json()["account_id"], 2)
        assert completed.data.username == activated.data.username == LINK.email
