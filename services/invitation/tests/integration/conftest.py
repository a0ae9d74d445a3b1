"""The running invitation service (`start_service`, `service`) over a real PostgreSQL and
a real Kafka broker."""

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from invitation.app import create_app
from invitation.settings import InvitationSettings
from onboarding_devtools.testing import running
from onboarding_kit.kafka import TopicNames
from onboarding_kit.sealing import Sealer, new_key

from .harness import INTERNAL_TOKEN, REGISTRATION_URL, MovableClock, Service


@pytest.fixture
def start_service(database: str, kafka: str, topic_prefix: str, producer: AIOKafkaProducer):
    """`async with start_service(sweep_every_s=...) as service`: the sweeper runs only when
    a test asks for it (by default once an hour, so never during a test)."""

    @contextlib.asynccontextmanager
    async def start(sweep_every_s: float = 3600) -> AsyncIterator[Service]:
        key = new_key()
        clock = MovableClock()
        app = create_app(
            InvitationSettings(
                database_url=database,
                kafka_bootstrap_servers=kafka,
                kafka_topic_prefix=topic_prefix,
                registration_public_url=REGISTRATION_URL,
                invitation_link_key=key,
                internal_api_token=INTERNAL_TOKEN,
                expiry_sweep_interval_s=sweep_every_s,
            ),
            clock=clock,
        )
        async with running(app) as client:
            yield Service(
                app, client, database, kafka, TopicNames(topic_prefix), producer, Sealer(key), clock
            )

    return start


@pytest.fixture
async def service(start_service) -> AsyncIterator[Service]:
    async with start_service() as service:
        yield service
