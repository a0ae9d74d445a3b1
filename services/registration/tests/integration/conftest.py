"""The registration service's store over a real PostgreSQL, its migrations applied; and
the whole service with a real invitation service behind it (`stack`)."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from invitation.app import InvitationSettings
from invitation.app import create_app as create_invitation_app
from onboarding_contracts.events import LinkPolicy
from onboarding_devtools.testing import running
from onboarding_devtools.testing.plugin import NewDatabase
from onboarding_kit.db import KIT_MIGRATIONS, apply_migrations, create_pool
from onboarding_kit.kafka import TopicNames
from onboarding_kit.sealing import Sealer, new_key
from onboarding_kit.uow import UnitOfWork
from registration.app import MIGRATIONS
from registration.app import create_app as create_registration_app
from registration.invitations import InvitationClient
from registration.settings import RegistrationSettings
from registration.store import RegistrationTransaction

from ..links import LINK
from .fakes import SingleUseInvitations
from .stack import INTERNAL_TOKEN, MovableClock, Stack


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh registration database, large enough for every concurrent call."""
    pool = await create_pool(database, size=20)
    async with pool.acquire() as conn:
        await apply_migrations(conn, [("kit", KIT_MIGRATIONS), ("registration", MIGRATIONS)])
    yield pool
    await pool.close()


@pytest.fixture
def uow(pool: asyncpg.Pool) -> UnitOfWork[RegistrationTransaction]:
    return UnitOfWork(lambda: pool, RegistrationTransaction)


@pytest.fixture
async def stack(
    new_database: NewDatabase, kafka: str, topic_prefix: str, producer: AIOKafkaProducer
) -> AsyncIterator[Stack]:
    """The registration service with a real invitation service behind it, whose clock a
    test may move (`stack.invitation_clock.offset`)."""
    invitation_db, registration_db = await new_database(), await new_database()
    key = new_key()
    clock = MovableClock()
    invitation_app = create_invitation_app(
        InvitationSettings(
            database_url=invitation_db,
            kafka_bootstrap_servers=kafka,
            kafka_topic_prefix=topic_prefix,
            invitation_link_key=key,
            internal_api_token=INTERNAL_TOKEN,
        ),
        clock=clock,
    )
    # The registration service reaches the invitation service in-process, over real HTTP
    # semantics (status codes, JSON bodies, the internal token header).
    invitations = InvitationClient(
        "http://invitation", INTERNAL_TOKEN, transport=httpx.ASGITransport(app=invitation_app)
    )
    registration_app = create_registration_app(
        RegistrationSettings(
            database_url=registration_db,
            kafka_bootstrap_servers=kafka,
            kafka_topic_prefix=topic_prefix,
            internal_api_token=INTERNAL_TOKEN,
        ),
        invitations=invitations,
    )
    async with running(invitation_app), running(registration_app) as client:
        yield Stack(
            client,
            registration_app,
            invitation_app,
            clock,
            registration_db,
            invitation_db,
            kafka,
            TopicNames(topic_prefix),
            producer,
            Sealer(key),
        )
    await invitations.close()


@dataclass
class Alone:
    """The registration service over a real PostgreSQL and Kafka, with an invitation
    service in memory whose one link was sent under a given policy."""

    client: httpx.AsyncClient
    app: FastAPI
    database: str
    kafka: str
    topics: TopicNames
    producer: AIOKafkaProducer
    invitations: SingleUseInvitations


StartAlone = Callable[[LinkPolicy], AbstractAsyncContextManager[Alone]]


@pytest.fixture
def alone(
    new_database: NewDatabase, kafka: str, topic_prefix: str, producer: AIOKafkaProducer
) -> StartAlone:
    """`async with alone(policy) as service:` the service, its link sent under `policy`
    (the policy the invitation service hands over with a link's details)."""

    @asynccontextmanager
    async def start(policy: LinkPolicy) -> AsyncIterator[Alone]:
        database = await new_database()
        invitations = SingleUseInvitations(link=LINK.model_copy(update={"link_policy": policy}))
        app = create_registration_app(
            RegistrationSettings(
                database_url=database,
                kafka_bootstrap_servers=kafka,
                kafka_topic_prefix=topic_prefix,
                internal_api_token=INTERNAL_TOKEN,
            ),
            invitations=invitations,
        )
        async with running(app) as client:
            yield Alone(
                client, app, database, kafka, TopicNames(topic_prefix), producer, invitations
            )

    return start
