"""pytest fixtures for the real infrastructure.

Where PostgreSQL and Kafka come from, in order:
1. the environment: `TEST_DATABASE_URL` (a server URL whose user may create databases) and
   `KAFKA_BOOTSTRAP_SERVERS`; `make test` sets them after starting the local stack;
2. a Docker engine, when one answers: testcontainers;
3. otherwise the local scripts under `deploy/local/`, started here and stopped at the end.

Each test gets fresh databases and its own topic prefix, so tests never see each other's
rows or events.
"""

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from onboarding_kit.kafka import new_producer

REPO_ROOT = Path(__file__).resolve().parents[5]
LOCAL_PG_URL = "postgresql://postgres@127.0.0.1:55432/postgres"
LOCAL_KAFKA = "127.0.0.1:9092"


@dataclass(frozen=True)
class Infrastructure:
    postgres_url: str  # a maintenance database on a server where we may create databases
    kafka_bootstrap_servers: str


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False)  # noqa: S607
    return probe.returncode == 0


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    env_pg = os.environ.get("TEST_DATABASE_URL")
    env_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if env_pg and env_kafka:
        yield Infrastructure(env_pg, env_kafka)
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with (
            PostgresContainer("postgres:16", driver=None) as pg,
            KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka,
        ):
            yield Infrastructure(pg.get_connection_url(), kafka.get_bootstrap_server())
        return
    scripts = REPO_ROOT / "deploy" / "local"
    started = []
    for script in ("postgres.sh", "kafka.sh"):
        path = str(scripts / script)
        if subprocess.run([path, "status"], capture_output=True, check=False).returncode != 0:  # noqa: S603
            subprocess.run([path, "start"], check=True)  # noqa: S603
            started.append(path)
    try:
        yield Infrastructure(LOCAL_PG_URL, LOCAL_KAFKA)
    finally:
        for path in reversed(started):  # leave running what was running before
            subprocess.run([path, "stop"], check=False)  # noqa: S603


NewDatabase = Callable[[], Awaitable[str]]


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
async def new_database(infrastructure: Infrastructure) -> AsyncIterator[NewDatabase]:
    """Create empty databases on demand; each is dropped after the test."""
    created: list[str] = []

    async def create() -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(infrastructure.postgres_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        return _with_database(infrastructure.postgres_url, name)

    yield create
    conn = await asyncpg.connect(infrastructure.postgres_url)
    try:
        for name in created:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def database(new_database: NewDatabase) -> str:
    return await new_database()


@pytest.fixture
def kafka(infrastructure: Infrastructure) -> str:
    return infrastructure.kafka_bootstrap_servers


@pytest.fixture
async def producer(kafka: str) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer for tests that publish events themselves."""
    producer = new_producer(kafka, client_id="test")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture(autouse=True, scope="session")
def _few_partitions() -> Iterator[None]:
    """Services started by tests create their topics with two partitions, not the
    production default: enough to exercise keying, and light on the broker."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAFKA_PARTITIONS", "2")
        yield


@pytest.fixture
async def topic_prefix(kafka: str) -> AsyncIterator[str]:
    """A prefix of this test's own; its topics are deleted afterwards, so a long-lived
    broker does not fill up with test topics."""
    prefix = f"test.{uuid.uuid4().hex[:8]}."
    yield prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
