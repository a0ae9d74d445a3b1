"""Two processes each of invitation and notification, in their consumer groups: both take
a share of an import's events, and when one notification process is stopped (SIGTERM) in
the middle, the other takes its partitions over and every person still gets one email."""

import secrets
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from onboarding_devtools.devstack import (
    SERVICES,
    StackConfig,
    replica_name,
    start_processes,
    stop_processes,
    wait_ready,
)
from onboarding_devtools.replicas import events_consumed, group_assignment
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.mail import read_email, recipients
from onboarding_devtools.testing.stack import (
    TEST_RATE_LIMITS,
    TEST_SCHEDULES,
    RunningStack,
    free_ports,
)
from onboarding_kit.sealing import new_key

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-replicas-key-00000000000000"
PEOPLE = 400
REPLICAS = 2


@dataclass(frozen=True)
class ReplicatedStack:
    running: RunningStack
    processes: dict[str, subprocess.Popen[bytes]]


@pytest.fixture
async def replicated(
    new_database, kafka: str, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[ReplicatedStack]:
    names = [
        *SERVICES,
        *(replica_name(s, n) for s in ("invitation", "notification") for n in (2,)),
    ]
    *ports, smtp_port, sms_port = free_ports(len(names) + 2)
    config = StackConfig(
        run_dir=tmp_path,
        database_urls={service: await new_database() for service in SERVICES},
        kafka_bootstrap_servers=kafka,
        invitation_link_key=new_key(),
        internal_api_token=secrets.token_urlsafe(24),
        ports=dict(zip(names, ports, strict=True)),
        smtp_port=smtp_port,
        sms_port=sms_port,
        topic_prefix=topic_prefix,
        extra_env=TEST_RATE_LIMITS | TEST_SCHEDULES,
        replicas=REPLICAS,
    )
    processes = start_processes(config)
    try:
        await wait_ready(config, processes, timeout_s=90)
        yield ReplicatedStack(RunningStack(config), processes)
    finally:
        stop_processes(processes)


@pytest.fixture
def stack(replicated: ReplicatedStack) -> RunningStack:
    """The `add_tenant` fixture's stack: this one."""
    return replicated.running


async def test_replicas_share_the_work_and_one_takes_over_from_a_stopped_one(
    replicated: ReplicatedStack, add_tenant
) -> None:
    stack = replicated.running
    config = stack.config
    await add_tenant("replicas", TENANT_KEY)
    for service in ("invitation", "notification"):  # each replica holds partitions
        await eventually(lambda s=service: _each_holding(config, s, REPLICAS), timeout_s=40)
    partitions = sum((await group_assignment(config, "notification")).values())

    csv = "email,id,name\n" + "".join(f"p{n}@example.org,S{n},Person {n}\n" for n in range(PEOPLE))
    async with stack.admin(TENANT_KEY) as client:
        imported = await client.post(
            "/v1/imports",
            params={"course": "ielts"},
            content=csv,
            headers={"content-type": "text/csv"},
        )
    assert imported.status_code == 201, imported.text
    assert imported.json()["enrolled"] == PEOPLE

    # Both notification processes consumed a share before one of them stops.
    await eventually(
        lambda: _all_consumed(config, ("notification", replica_name("notification", 2))),
        timeout_s=60,
    )
    stopping = replicated.processes[replica_name("notification", 2)]
    stopping.send_signal(signal.SIGTERM)
    # uvicorn ends by the signal it was sent, once its shutdown is complete.
    assert stopping.wait(timeout=30) in (0, -signal.SIGTERM)
    log = (config.run_dir / "logs" / f"{replica_name('notification', 2)}.log").read_text()
    assert "Application shutdown complete" in log

    await eventually(lambda: len(stack.mail()) >= PEOPLE, timeout_s=60)
    # The survivor holds every partition of the group.
    await eventually(lambda: _each_holding(config, "notification", 1), timeout_s=30)
    assert list((await group_assignment(config, "notification")).values()) == [partitions]

    sent = Counter(a for path in stack.mail() for a in recipients(read_email(path)))
    assert sent == Counter({f"p{n}@example.org": 1 for n in range(PEOPLE)})


async def _each_holding(config: StackConfig, service: str, members: int) -> bool:
    """The group is stable with this many members, each holding partitions."""
    held = await group_assignment(config, service)
    return len(held) == members and all(held.values())


async def _all_consumed(config: StackConfig, names: tuple[str, ...]) -> bool:
    return all([await events_consumed(config, name) > 0 for name in names])
