"""Operating the stack through what an operator has: a real Prometheus scraping the four
services (with the repository's recording and alert rules), and the `onboard` CLI.

- a large import is counted alike by the business counters in Prometheus and by the
  funnel, and every consumer lag and outbox drains back to nothing;
- a consumer that stops keeping up fires ConsumerLagGrowing, which clears once it has
  caught up; a frozen process is seen down, and catches up once let go;
- an event a consumer cannot apply is parked, shown as a dead letter by Prometheus and by
  `onboard flow`, and once its cause is fixed `onboard dlq replay` applies it, once;
  bytes that are no event are parked by each consumer of their topic, and a replay of
  them is refused.
"""

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from enrolment.tenants import ensure_tenant
from onboarding_contracts import InvitationIssued, Origin, Topic
from onboarding_contracts.events import InvitationIssuedData
from onboarding_contracts.events.invitation import sealed_link_context
from onboarding_devtools.devstack import SERVICES
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.stack import RunningStack
from onboarding_kit.kafka import TopicNames, new_producer
from onboarding_kit.ops import OPS_TOKEN_HEADER
from onboarding_kit.sealing import Sealer, new_key

from .operations_support import (
    StackPrometheus,
    frozen,
    onboard,
    people_csv,
    prometheus_scraping,
    restarted,
    service_pid,
)

pytestmark = pytest.mark.e2e

TENANT = "ops"
TENANT_KEY = "onb_e2e-operations-key-0000000000000000"
COURSE = "ielts"
# The funnel's figure for each stage onboarding_people_total counts.
FUNNEL_OF_STAGE = {
    "enrolled": "enrolled",
    "invited": "invited",
    "emailed": "emailed",
    "registered": "registered",
    "activated": "active",
    "expired": "expired",
    "failed": "failed",
}
# Each group's lag, by the service whose group it is (a group is named <prefix><service>).
LAG_BY_SERVICE = (
    "max by (service) (label_replace(group_topic:onboarding_consumer_lag:sum, "
    '"service", "$1", "group", ".*(enrolment|invitation|notification|registration)"))'
)
OUTBOX_BY_SERVICE = "max by (service) (onboarding_outbox_depth)"
# A gauge a service samples every 5 s, as Prometheus scrapes it every 5 s: a change is
# there by then.
SAMPLED_AND_SCRAPED_S = 12


@pytest.fixture
async def tenant_id(stack: RunningStack, add_tenant: Any) -> str:
    await add_tenant(TENANT, TENANT_KEY)
    return await ensure_tenant(stack.config.database_urls["enrolment"], TENANT, TENANT_KEY)


@pytest.fixture
def prometheus(stack: RunningStack, tmp_path: Path) -> Iterator[StackPrometheus]:
    with prometheus_scraping(stack, tmp_path / "operations") as running:
        yield running


async def import_people(stack: RunningStack, tag: str, rows: int) -> str:
    """Import `rows` new people into the course; the import's id."""
    async with stack.admin(TENANT_KEY) as client:
        imported = await client.post(
            "/v1/imports",
            params={"course": COURSE},
            content=people_csv(tag, rows),
            headers={"content-type": "text/csv"},
            timeout=300,
        )
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["enrolled"], report["failed"]) == (rows, 0), report
    return str(report["id"])


async def funnel(stack: RunningStack) -> dict[str, int]:
    """The whole tenant's funnel, from the enrolment API."""
    async with stack.admin(TENANT_KEY) as client:
        answer = await client.get("/v1/funnel")
    assert answer.status_code == 200, answer.text
    figures: dict[str, int] = answer.json()
    return figures


async def everyone_emailed(stack: RunningStack, people: int, timeout_s: float) -> dict[str, int]:
    async def emailed() -> dict[str, int]:
        figures = await funnel(stack)
        return figures if figures["emailed"] == people else {}

    found: dict[str, int] = await eventually(emailed, timeout_s=timeout_s, interval_s=1)
    return found


async def drained(prometheus: StackPrometheus) -> dict[str, dict[str, float]]:
    """Every service's consumer lag and outbox depth as Prometheus has them, once each of
    the four is there and at 0."""
    lag = await prometheus.values(LAG_BY_SERVICE, by="service")
    outbox = await prometheus.values(OUTBOX_BY_SERVICE, by="service")
    settled = {"lag": lag, "outbox": outbox}
    everyone = all(set(figures) == set(SERVICES) for figures in settled.values())
    nothing_left = all(v == 0 for figures in settled.values() for v in figures.values())
    return settled if everyone and nothing_left else {}


async def lag_seen_at_zero(prometheus: StackPrometheus, service: str) -> bool:
    """Whether Prometheus has recorded the lag of `service`'s group, on each of its topics,
    at 0."""
    recorded = await prometheus.values(
        f'group_topic:onboarding_consumer_lag:sum{{group=~".*{service}"}}', by="topic"
    )
    return bool(recorded) and not any(recorded.values())


# --- 1. a large import, counted ---------------------------------------------------------

LARGE_IMPORT = 20_000


@pytest.mark.timeout(900)
async def test_a_large_import_is_counted_alike_in_prometheus_and_in_the_funnel(
    stack: RunningStack, tenant_id: str, prometheus: StackPrometheus
) -> None:
    started = time.monotonic()
    await import_people(stack, "large", LARGE_IMPORT)
    figures = await everyone_emailed(stack, LARGE_IMPORT, timeout_s=600)
    took_s = time.monotonic() - started
    print(f"{LARGE_IMPORT:,} people imported and emailed in {took_s:.0f} s")

    assert figures == {
        "enrolled": LARGE_IMPORT,
        "invited": LARGE_IMPORT,
        "emailed": LARGE_IMPORT,
        "registered": 0,
        "pending_activation": 0,
        "active": 0,
        "expired": 0,
        "failed": 0,
        "cancelled": 0,
    }
    people = f'sum by (stage) (onboarding_people_total{{tenant="{tenant_id}"}})'

    async def counted_alike() -> dict[str, float]:
        by_stage = await prometheus.values(people, by="stage")
        alike = all(
            by_stage.get(stage, 0) == figures[FUNNEL_OF_STAGE[stage]] for stage in FUNNEL_OF_STAGE
        )
        return by_stage if alike else {}

    by_stage = await eventually(counted_alike, timeout_s=60, interval_s=1)
    assert by_stage == {stage: LARGE_IMPORT for stage in ("enrolled", "invited", "emailed")}

    await eventually(lambda: drained(prometheus), timeout_s=90, interval_s=1)
    # Drained from a backlog that Prometheus saw: the import filled outboxes and topics.
    for gauge in ("onboarding_outbox_depth", "group_topic:onboarding_consumer_lag:sum"):
        (peak,) = await prometheus.query(f"max(max_over_time({gauge}[30m]))")
        assert float(peak["value"][1]) > 0, gauge


# --- 2. a consumer falling behind -------------------------------------------------------

BEHIND = 5_000


@pytest.mark.timeout(600)
async def test_a_frozen_notification_process_fires_lag_growing_and_catches_up_once_let_go(
    stack: RunningStack, tenant_id: str, prometheus: StackPrometheus, topic_prefix: str
) -> None:
    """SIGSTOP on the notification process during an import: it answers no scrape
    (ServiceDown), and the other services, which sample its group's lag from its commits,
    show the backlog growing (ConsumerLagGrowing, within its window). Let go (SIGCONT), it
    catches up and both clear."""
    pid = service_pid(stack, "notification")
    await eventually(lambda: prometheus.values('up{job="onboarding"}', by="service"), timeout_s=30)
    # A group's lag can be told by others once it has committed: a first few people go
    # through, and the other services are seen sampling the group at 0.
    await import_people(stack, "warm-up", 5)
    await everyone_emailed(stack, 5, timeout_s=60)
    sampled_by_others = (
        'max by (service) (onboarding_consumer_lag{service!="notification",'
        f'group="{topic_prefix}notification"}})'
    )

    async def others_see_it_at_zero() -> bool:
        seen = await prometheus.values(sampled_by_others, by="service")
        return len(seen) >= 2 and not any(seen.values())

    await eventually(others_see_it_at_zero, timeout_s=90, interval_s=2)
    invitations = TopicNames(topic_prefix).name(Topic.INVITATION)
    with frozen(pid):
        started = time.monotonic()
        await import_people(stack, "frozen", BEHIND)
        (alert,) = await eventually(
            lambda: prometheus.firing("ServiceDown", service="notification"),
            timeout_s=150,
            interval_s=2,
        )
        assert alert["severity"] == "critical"
        (lagging,) = await eventually(
            lambda: prometheus.firing(
                "ConsumerLagGrowing", group=f"{topic_prefix}notification", topic=invitations
            ),
            timeout_s=210,
            interval_s=2,
        )
        print(f"ConsumerLagGrowing firing {time.monotonic() - started:.0f} s after the import")
        assert lagging["severity"] == "warning"
        # Nobody is emailed while the sender is frozen.
        assert (await funnel(stack))["emailed"] == 5, "only the warm-up went"
        assert await prometheus.values('up{job="onboarding"} == 1', by="service") == {
            "enrolment": 1,
            "invitation": 1,
            "registration": 1,
        }

    await everyone_emailed(stack, BEHIND + 5, timeout_s=180)

    async def recovered() -> bool:
        up = await prometheus.values('up{service="notification"}', by="service")
        quiet = not await prometheus.firing("ServiceDown")
        return (
            up == {"notification": 1}
            and quiet
            and not await prometheus.firing("ConsumerLagGrowing")
        )

    await eventually(recovered, timeout_s=60, interval_s=2)
    await eventually(lambda: drained(prometheus), timeout_s=90, interval_s=1)


# --- 3. a poison event, parked and replayed ---------------------------------------------

PARKED_EMAIL = "parked.person@example.org"


async def enrol_uninvited(stack: RunningStack) -> str:
    async with stack.admin(TENANT_KEY) as client:
        created = await client.post(
            "/v1/enrolments",
            json={
                "email": PARKED_EMAIL,
                "name": "Parked Person",
                "course": COURSE,
                "invite": "manual",
            },
        )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "enrolled"
    return str(created.json()["id"])


def invitation_sealed_with(
    sealer: Sealer, tenant_id: str, enrolment_id: str, link: str
) -> InvitationIssued:
    """The invitation service's announcement of a link for the enrolment, sealed with the
    key ring `sealer` holds."""
    invitation_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    context = sealed_link_context(
        tenant_id=tenant_id,
        invitation_id=invitation_id,
        send_count=1,
        email=PARKED_EMAIL,
        phone=None,
    )
    return InvitationIssued.new(
        Origin("/onboarding/invitation", tenant_id, str(uuid.uuid4())),
        InvitationIssuedData(
            invitation_id=invitation_id,
            enrolment_id=enrolment_id,
            email=PARKED_EMAIL,
            name="Parked Person",
            course=COURSE,
            expires_at=now + timedelta(hours=24),
            send_count=1,
            requested_at=now,
            sealed_link=sealer.seal(link, context=context),
        ),
    )


async def publish(stack: RunningStack, event: InvitationIssued) -> None:
    producer = new_producer(stack.config.kafka_bootstrap_servers, client_id="operations-test")
    await producer.start()
    try:
        await producer.send_and_wait(
            TopicNames(stack.config.topic_prefix).name(Topic.INVITATION),
            event.to_json(),
            key=event.subject.encode(),
        )
    finally:
        await producer.stop()


async def parked_letters(stack: RunningStack, service: str) -> list[dict[str, Any]]:
    """The dead letters `service` lists on its operations API."""
    async with httpx.AsyncClient(
        base_url=stack.url(service),
        headers={OPS_TOKEN_HEADER: stack.config.ops_api_token},
        timeout=60,
    ) as ops:
        answer = await ops.get("/internal/v1/dead-letters")
    assert answer.status_code == 200, answer.text
    letters: list[dict[str, Any]] = answer.json()
    return letters


def dead_letters_waiting(topic: str) -> str:
    return f'onboarding_dead_letter_messages{{service="notification",topic="{topic}"}}'


async def waiting_by_service(prometheus: StackPrometheus) -> dict[str, float]:
    """The dead letters each service counts as waiting, over its dead-letter topics."""
    return await prometheus.values(
        "max by (service) (onboarding_dead_letter_messages)", by="service"
    )


def waiting_line(flow_output: str) -> str:
    """The line of `onboard flow` that says which dead letters wait."""
    (line,) = [
        line.strip() for line in flow_output.splitlines() if line.startswith("dead letters waiting")
    ]
    return line


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """A directory without a .run/env: the CLI reads the stack from its environment."""
    where = tmp_path / "operator"
    where.mkdir()
    return where


@pytest.mark.timeout(600)
async def test_an_event_parked_for_a_key_not_given_yet_is_replayed_once_the_key_is_given(
    stack: RunningStack, tenant_id: str, prometheus: StackPrometheus, cwd: Path
) -> None:
    """Keys rotated in the wrong order: a link sealed with a key the notification service
    does not hold yet cannot be opened, so its invitation is parked; given the key (a
    restart with the new key ring), the dead letter is replayed and the person emailed."""
    rotated_key = new_key()
    enrolment_id = await enrol_uninvited(stack)
    link = f"{stack.url('registration')}/join?token=rotated-key-link"
    event = invitation_sealed_with(Sealer(f"k2:{rotated_key}"), tenant_id, enrolment_id, link)
    dead_letter_topic = TopicNames(stack.config.topic_prefix).dead_letter(Topic.INVITATION)

    await publish(stack, event)

    waiting = await eventually(
        lambda: prometheus.values(f"{dead_letters_waiting(dead_letter_topic)} > 0", by="topic"),
        timeout_s=90,
        interval_s=1,
    )
    assert waiting == {dead_letter_topic: 1}
    (letter,) = await parked_letters(stack, "notification")
    assert letter["event_id"] == event.id
    assert letter["event_type"] == "onboarding.invitation.issued"
    assert letter["error_type"] == "SealError"
    assert "'k2'" in letter["error"]
    assert letter["replayed_at"] is None
    for service in ("enrolment", "invitation", "registration"):
        assert await parked_letters(stack, service) == []
    flow = await onboard(stack, TENANT_KEY, "flow", "--once", "--interval", "0", cwd=cwd)
    assert flow.returncode == 0, flow.stderr
    assert f"notification {dead_letter_topic} 1" in waiting_line(flow.stdout), flow.stdout
    listed = await onboard(stack, TENANT_KEY, "dlq", "list", cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    assert letter["id"] in listed.stdout and "1 not replayed" in listed.stdout
    assert stack.mail_to(PARKED_EMAIL) == []
    figures = await funnel(stack)
    assert (figures["invited"], figures["emailed"]) == (1, 0)  # the enrolment took the event

    ring = f"k2:{rotated_key},k1:{stack.config.invitation_link_key}"
    async with restarted(stack, "notification", INVITATION_LINK_KEY=ring):
        replayed = await onboard(stack, TENANT_KEY, "dlq", "replay", letter["id"], cwd=cwd)
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert "applied" in replayed.stdout

        await eventually(lambda: stack.mail_to(PARKED_EMAIL), timeout_s=60)
        assert stack.link_for(PARKED_EMAIL) == link
        await everyone_emailed(stack, 1, timeout_s=60)
        await eventually(
            lambda: prometheus.values(
                f"{dead_letters_waiting(dead_letter_topic)} == 0", by="topic"
            ),
            timeout_s=60,
            interval_s=1,
        )
        again = await onboard(stack, TENANT_KEY, "dlq", "replay", letter["id"], cwd=cwd)
        assert again.returncode == 1
        assert "already replayed" in again.stdout + again.stderr
        (relisted,) = await parked_letters(stack, "notification")
        assert relisted["replayed_at"] is not None
        messages = await asyncpg.connect(stack.config.database_urls["notification"])
        try:
            sent = await messages.fetchval(
                "SELECT count(*) FROM messages WHERE enrolment_id = $1", enrolment_id
            )
        finally:
            await messages.close()
        assert sent == 1
        assert len(stack.mail_to(PARKED_EMAIL)) == 1

        # Replayed, the letter waits nowhere: no service counts it any more.
        await asyncio.sleep(SAMPLED_AND_SCRAPED_S)
        assert await waiting_by_service(prometheus) == dict.fromkeys(SERVICES, 0)
        flow = await onboard(stack, TENANT_KEY, "flow", "--once", "--interval", "0", cwd=cwd)
        assert waiting_line(flow.stdout) == "dead letters waiting: none", flow.stdout


@pytest.mark.timeout(300)
async def test_a_record_that_is_no_event_is_parked_by_each_consumer_and_cannot_be_replayed(
    stack: RunningStack, tenant_id: str, prometheus: StackPrometheus, cwd: Path
) -> None:
    """Bytes on the invitations topic that are no event: each consumer of the topic (the
    enrolment and notification services) parks them once, never retried; a replay is
    refused, since they can never decode, and they stay waiting."""
    topics = TopicNames(stack.config.topic_prefix)
    dead_letter_topic = topics.dead_letter(Topic.INVITATION)
    producer = new_producer(stack.config.kafka_bootstrap_servers, client_id="operations-test")
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.name(Topic.INVITATION), b'{"type": "onboarding.invitation.issued", ', key=b"x"
        )
    finally:
        await producer.stop()

    await eventually(
        lambda: prometheus.values(f"{dead_letters_waiting(dead_letter_topic)} > 0", by="topic"),
        timeout_s=90,
        interval_s=1,
    )
    parked = {service: await parked_letters(stack, service) for service in SERVICES}
    assert {service: len(letters) for service, letters in parked.items()} == {
        "enrolment": 1,
        "invitation": 0,
        "notification": 1,
        "registration": 0,
    }
    (letter,) = parked["notification"]
    assert (letter["topic"], letter["attempts"], letter["event_type"]) == (
        dead_letter_topic,
        1,  # never retried: it can never decode
        None,  # nor be read
    )
    listed = await onboard(stack, TENANT_KEY, "dlq", "list", cwd=cwd)
    assert "2 dead letters, 2 not replayed" in listed.stdout, listed.stdout

    refused = await onboard(stack, TENANT_KEY, "dlq", "replay", letter["id"], cwd=cwd)

    assert refused.returncode == 1
    assert "cannot be decoded" in refused.stdout + refused.stderr
    (still,) = await parked_letters(stack, "notification")
    assert still["replayed_at"] is None
    # Each service counts the letter it parked as waiting, and only that one.
    await asyncio.sleep(SAMPLED_AND_SCRAPED_S)
    assert await waiting_by_service(prometheus) == {
        "enrolment": 1,
        "invitation": 0,
        "notification": 1,
        "registration": 0,
    }
    flow = await onboard(stack, TENANT_KEY, "flow", "--once", "--interval", "0", cwd=cwd)
    assert waiting_line(flow.stdout).startswith(
        f"dead letters waiting: 2 (enrolment {dead_letter_topic} 1, "
        f"notification {dead_letter_topic} 1)"
    ), flow.stdout
