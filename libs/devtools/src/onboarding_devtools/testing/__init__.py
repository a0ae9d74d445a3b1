"""Test helpers for the services' integration tests: real Kafka, real PostgreSQL."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from fastapi import FastAPI
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
