"""Outages are retried and never dead-lettered; an event's own failures are parked; any
undecodable record is parked once instead of rewinding its batch forever."""

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from onboarding_kit.consumer import EventConsumer, Subscriptions
from onboarding_kit.failures import Failure, classify
from onboarding_kit.kafka import TopicNames
from onboarding_kit.uow import Transaction


def postgres_error(cls: type[asyncpg.PostgresError]) -> asyncpg.PostgresError:
    return cls("simulated")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (postgres_error(asyncpg.DeadlockDetectedError), Failure.OUTAGE),
        (postgres_error(asyncpg.SerializationError), Failure.OUTAGE),
        (postgres_error(asyncpg.AdminShutdownError), Failure.OUTAGE),
        (postgres_error(asyncpg.CannotConnectNowError), Failure.OUTAGE),
        (postgres_error(asyncpg.TooManyConnectionsError), Failure.OUTAGE),
        (postgres_error(asyncpg.ConnectionFailureError), Failure.OUTAGE),
        (ConnectionRefusedError(), Failure.OUTAGE),
        (asyncpg.ConnectionDoesNotExistError("closed"), Failure.OUTAGE),
        (postgres_error(asyncpg.QueryCanceledError), Failure.SLOW),
        (TimeoutError(), Failure.SLOW),
        (postgres_error(asyncpg.UniqueViolationError), Failure.EVENT),
        (postgres_error(asyncpg.CharacterNotInRepertoireError), Failure.EVENT),
        (ValueError("a rule refuses it"), Failure.EVENT),
    ],
)
def test_each_error_is_classified(error: BaseException, expected: Failure) -> None:
    assert classify(error) is expected


def record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="t", partition=0, offset=0, timestamp=0, timestamp_type=0, key=None,
        value=value, checksum=None, serialized_key_size=0, serialized_value_size=len(value),
        headers=[],
    )  # fmt: skip


@pytest.mark.parametrize(
    "value",
    [b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe not utf-8", b"[]", b""],
)
def test_any_undecodable_record_is_set_aside_not_raised(value: bytes) -> None:
    consumer = EventConsumer(
        name="c",
        pool=None,  # type: ignore[arg-type]
        producer=None,  # type: ignore[arg-type]
        topics=TopicNames(),
        subscriptions=Subscriptions(Transaction, {}),
    )
    decoded = consumer._decode(record(value))
    assert decoded.event is None
    assert decoded.error is not None
