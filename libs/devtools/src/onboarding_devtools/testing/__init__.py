"""Test helpers for the services' integration tests: real Kafka, real PostgreSQL."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from fastapi import FastAPI
from onboarding_contracts import Envelope, parse_event
from onboarding_kit.runtime import ServiceRuntime


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start a service (pool, migrations, relay, subscribers) and give an HTTP client to it."""
    runtime: ServiceRuntime = app.state.runtime
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client
    finally:
        await runtime.stop()


async def read_topic(
    bootstrap_servers: str,
    topics: list[str],
    *,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout_s: float = 30,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topics` from the beginning, until `until(records)` holds.

    Raises TimeoutError with what was read when it does not hold in time."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not until(records):
                batches = await consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    records.extend(batch)
    except TimeoutError:
        raise TimeoutError(f"read {len(records)} records from {topics}, condition unmet") from None
    finally:
        await consumer.stop()
    return records


Event = TypeVar("Event", bound=Envelope)


async def first_event(
    bootstrap_servers: str,
    topic: str,
    kind: type[Event],
    *,
    where: Callable[[Event], bool],
    timeout_s: float = 30,
) -> tuple[Event, ConsumerRecord[bytes, bytes]]:
    """The first event of this kind on `topic` for which `where` holds, and its record."""

    def match(record: ConsumerRecord[bytes, bytes]) -> Event | None:
        document = json.loads(record.value or b"{}")
        if document.get("type") != kind.event_type:
            return None
        event = parse_event(record.value or b"")
        return event if isinstance(event, kind) and where(event) else None

    records = await read_topic(
        bootstrap_servers,
        [topic],
        until=lambda rs: any(match(r) for r in rs),
        timeout_s=timeout_s,
    )
    record = next(r for r in records if match(r))
    found = match(record)
    assert found is not None
    return found, record


def event_types(records: list[ConsumerRecord[bytes, bytes]]) -> list[str]:
    return [json.loads(r.value)["type"] for r in records]


async def eventually(
    probe: Callable[[], Any], *, timeout_s: float = 30, interval_s: float = 0.1
) -> Any:
    """Call `probe` (sync or async) until it returns something truthy; return that."""
    last: Any = None
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                last = probe()
                if asyncio.iscoroutine(last):
                    last = await last
                if last:
                    return last
                await asyncio.sleep(interval_s)
    except TimeoutError:
        raise AssertionError(f"condition not met within {timeout_s}s (last: {last!r})") from None


async def query(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query on its own connection: for tests looking into a service's tables."""
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
