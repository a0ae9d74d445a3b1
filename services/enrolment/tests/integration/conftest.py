"""The enrolment service in-process on a real PostgreSQL and Kafka, with two tenants that
each have the courses `ielts` and `toefl`."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from enrolment.app import create_app
from enrolment.invitations import Invitations
from enrolment.settings import EnrolmentSettings
from enrolment.tenants import ensure_tenant
from fastapi import FastAPI
from onboarding_devtools.testing import running
from onboarding_kit.kafka import TopicNames

from .helpers import KEY, OTHER_KEY


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings of the service under test other than its defaults: a module overrides this
    fixture to run with, say, small limits."""
    return {}


@pytest.fixture
def invitations() -> Invitations | None:
    """The invitation service the app asks to resend; None: the HTTP client its settings
    name. A module overrides this fixture to put a stand-in there."""
    return None


@pytest.fixture
def app(
    database: str,
    kafka: str,
    topic_prefix: str,
    settings_overrides: dict[str, Any],
    invitations: Invitations | None,
) -> FastAPI:
    return create_app(
        EnrolmentSettings(
            database_url=database,
            kafka_bootstrap_servers=kafka,
            kafka_topic_prefix=topic_prefix,
            **settings_overrides,
        ),
        invitations=invitations,
    )


@pytest.fixture
async def client(app: FastAPI, database: str) -> AsyncIterator[httpx.AsyncClient]:
    await ensure_tenant(database, "acme", KEY)
    await ensure_tenant(database, "globex", OTHER_KEY)
    async with running(app) as client:
        for key in (OTHER_KEY, KEY):
            client.headers["Authorization"] = f"Bearer {key}"
            for course in ("ielts", "toefl"):
                created = await client.post("/v1/courses", json={"code": course})
                assert created.status_code == 201, created.text
        yield client


@pytest.fixture
def topics(topic_prefix: str) -> TopicNames:
    return TopicNames(topic_prefix)
