"""The registration service in-process, wired to a real invitation service (also in-process,
over HTTP through an ASGI transport), both over a real PostgreSQL and a real Kafka broker.

Invitation links come the real way: an EnrolmentCreated is published, the invitation service
issues the link, and the test unseals it from the InvitationIssued event."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from onboarding_contracts import EnrolmentCreated, InvitationIssued, Topic
from onboarding_contracts.events import EnrolmentCreatedData, LinkPolicy, link_context_of
from onboarding_devtools.testing import first_event, query
from onboarding_kit.kafka import TopicNames
from onboarding_kit.sealing import Sealer
from registration.bootstrap import RegistrationDependencies
from registration.csrf import FormName

INTERNAL_TOKEN = "internal-token-for-the-tests-0123456789"
PASSWORD = "correct horse battery staple"
TENANT = "tenant-1"
HIDDEN = re.compile(r'<input type="hidden" name="(token|csrf_token)" value="([^"]*)">')


@dataclass
class Invited:
    event: EnrolmentCreated
    invitation_id: str
    token: str


@dataclass
class MovableClock:
    """The invitation service's clock: the real time, moved on by `offset`."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Stack:
    """The registration service (`client`) with the invitation service behind it."""

    client: httpx.AsyncClient
    registration_app: FastAPI
    invitation_app: FastAPI
    invitation_clock: MovableClock
    registration_db: str
    invitation_db: str
    kafka: str
    topics: TopicNames
    producer: AIOKafkaProducer
    sealer: Sealer

    async def invite(
        self, name: str = "Ada Lovelace", link_policy: LinkPolicy | None = None
    ) -> Invited:
        """Enrol someone, as the enrolment service would, and open the link they were sent."""
        enrolment_id = f"enr-{uuid.uuid4().hex[:10]}"
        event = EnrolmentCreated(
            source="/test",
            subject=enrolment_id,
            tenant_id=TENANT,
            correlation_id=f"corr-{uuid.uuid4().hex[:10]}",
            data=EnrolmentCreatedData(
                enrolment_id=enrolment_id,
                email=f"{enrolment_id}@example.org",
                name=name,
                external_id=enrolment_id,
                role="learner",
                course="Analytical Engines 101",
                link_policy=link_policy,
            ),
        )
        await self.producer.send_and_wait(
            self.topics.name(Topic.ENROLMENT), value=event.to_json(), key=enrolment_id.encode()
        )
        issued = await self.link_sent(enrolment_id, send_count=1)
        return Invited(event, issued.data.invitation_id, self.token_of(issued))

    async def link_sent(self, enrolment_id: str, *, send_count: int) -> InvitationIssued:
        """The InvitationIssued of the `send_count`th link sent for this enrolment."""
        issued, _ = await first_event(
            self.kafka,
            self.topics.name(Topic.INVITATION),
            InvitationIssued,
            where=lambda e: (e.data.enrolment_id, e.data.send_count) == (enrolment_id, send_count),
        )
        return issued

    def token_of(self, issued: InvitationIssued) -> str:
        link = self.sealer.unseal(issued.data.sealed_link, context=link_context_of(issued))
        [token] = parse_qs(urlsplit(link).query)["token"]
        return token

    async def register(self, token: str, **fields: str) -> httpx.Response:
        body = {
            "token": token,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "username": f"ada-{uuid.uuid4().hex[:6]}",
            "password": PASSWORD,
            **fields,
        }
        return await self.client.post("/v1/registrations", json=body)

    async def join_form(self, token: str) -> dict[str, str]:
        """The hidden fields of the join page this link opens (its token and CSRF token),
        as a browser sends them back with the form."""
        page = await self.client.get("/join", params={"token": token})
        assert page.status_code == 200, page.text
        return dict(HIDDEN.findall(page.text))

    async def accounts(self) -> list[asyncpg.Record]:
        return await query(self.registration_db, "SELECT * FROM accounts ORDER BY created_at")


def csrf_for(stack: Stack, token: str, form: FormName = "new-link") -> str:
    """The CSRF token the service's page of this link would carry in `form`."""
    deps = stack.registration_app.state.dependencies
    assert isinstance(deps, RegistrationDependencies)
    return deps.csrf.issue(form, token)
