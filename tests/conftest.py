"""The stack the end-to-end and browser tests run against, and its tenants: the four
services as processes (`onboarding_devtools.testing.stack`), fresh for each test."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from enrolment.tenants import ensure_tenant
from onboarding_devtools.testing.stack import RunningStack, running_stack

COURSES = ("ielts", "toefl")


@pytest.fixture
async def stack(
    new_database, kafka: str, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[RunningStack]:
    async with running_stack(new_database, kafka, topic_prefix, tmp_path) as running:
        yield running


AddTenant = Callable[[str, str], Awaitable[None]]


@pytest.fixture
def add_tenant(stack: RunningStack) -> AddTenant:
    """Create a tenant (name, API key) with the courses the tests enrol into."""

    async def add(name: str, api_key: str) -> None:
        await ensure_tenant(stack.config.database_urls["enrolment"], name, api_key)
        async with stack.admin(api_key) as client:
            for course in COURSES:
                created = await client.post("/v1/courses", json={"code": course})
                assert created.status_code == 201, created.text

    return add
