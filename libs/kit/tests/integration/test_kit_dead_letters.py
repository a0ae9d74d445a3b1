"""Dead letters: listed for the consumer that parked them, replayed once the cause is fixed,
applied once however often the replay is asked for."""

import httpx
import pytest
from fastapi import FastAPI
from onboarding_contracts import Topic
from onboarding_devtools.testing import eventually, read_topic
from onboarding_kit.clock import utcnow
from onboarding_kit.consumer import Subscriptions
from onboarding_kit.dead_letters import DeadLetters
from onboarding_kit.ops import OPS_TOKEN_HEADER, ops_router
from onboarding_kit.problems import install_problems
from onboarding_kit.uow import Transaction

from .test_kit_consumer import effects, start_consumer
from .test_kit_outbox import enrolment_created

pytestmark = pytest.mark.integration

TOKEN = "ops-token-for-the-tests"


async def lenient_effect(tx: Transaction, event) -> None:
    """The handler once its bug is fixed: it applies what the old one refused."""
    await tx.conn.execute("INSERT INTO effects (event_id) VALUES ($1)", event.id)


async def test_a_parked_event_is_listed_shown_and_replayed_once_when_fixed(
    pool, producer, topics, kafka
) -> None:
    poison = enrolment_created("parked")
    poison = poison.model_copy(update={"data": poison.data.model_copy(update={"name": "poison"})})
    await producer.send_and_wait(topics.name(Topic.ENROLMENT), poison.to_json(), key=b"parked")
    broker, consumer = await start_consumer(
        pool, producer, topics, kafka, max_attempts=2, retry_backoff_s=0.01
    )
    try:
        await eventually(lambda: consumer.stats.dead_lettered == 1, timeout_s=60)
    finally:
        await broker.stop()
    await read_topic(kafka, [topics.dead_letter(Topic.ENROLMENT)], until=lambda r: len(r) >= 1)

    app = FastAPI()
    install_problems(app)
    letters = DeadLetters(
        bootstrap_servers=kafka, topics=topics, consumer="test-consumer", pool=pool
    )
    app.include_router(
        ops_router(
            token=TOKEN, dead_letters=lambda: letters, consumer=lambda: consumer, clock=utcnow
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as ops:
        assert (await ops.get("/internal/v1/dead-letters")).status_code == 401
        ops.headers[OPS_TOKEN_HEADER] = TOKEN
        [listed] = (await ops.get("/internal/v1/dead-letters")).json()
        assert listed["event_id"] == poison.id
        assert listed["error"] == "cannot apply parked"
        assert listed["replayed_at"] is None
        shown = (await ops.get(f"/internal/v1/dead-letters/{listed['id']}")).json()
        assert shown["event"] == poison.to_json().decode()

        # Still broken: the replay fails, and the event is parked again.
        again = (await ops.post(f"/internal/v1/dead-letters/{listed['id']}/replay")).json()
        assert again == {"id": listed["id"], "applied": False}
        assert await effects(pool) == []

        # Fixed: the replay applies it, once.
        consumer.subscriptions = Subscriptions(
            Transaction, {"onboarding.enrolment.created": lenient_effect}
        )
        replayed = (await ops.post(f"/internal/v1/dead-letters/{listed['id']}/replay")).json()
        assert replayed == {"id": listed["id"], "applied": True}
        assert await effects(pool) == [poison.id]
        refused = await ops.post(f"/internal/v1/dead-letters/{listed['id']}/replay")
        assert refused.status_code == 409
        assert await effects(pool) == [poison.id]
        relisted = (await ops.get("/internal/v1/dead-letters")).json()
        assert any(d["replayed_at"] for d in relisted)


async def test_an_unknown_or_malformed_id_is_not_found(pool, topics, kafka) -> None:
    app = FastAPI()
    install_problems(app)
    letters = DeadLetters(bootstrap_servers=kafka, topics=topics, consumer="c", pool=pool)
    app.include_router(
        ops_router(token=TOKEN, dead_letters=lambda: letters, consumer=lambda: None, clock=utcnow)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://ops", headers={OPS_TOKEN_HEADER: TOKEN}
    ) as ops:
        missing = await ops.get(
            f"/internal/v1/dead-letters/{topics.dead_letter(Topic.ENROLMENT)}:0:99"
        )
        assert missing.status_code == 404
        assert (await ops.get("/internal/v1/dead-letters/nope")).status_code == 422
