"""Two processes each of invitation and notification, in their consumer groups: both take
a share of an import's events, and when one notification process is stopped (SIGTERM) in
the middle, the other takes its partitions over and every person still gets one email."""

import signal
from collections import Counter
from pathlib import Path

import pytest
from onboarding_devtools.devstack import (
    StackConfig,
    replica_name,
)
from onboarding_devtools.replicas import events_consumed, group_assignment
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.mail import read_email, recipients
from onboarding_devtools.testing.stack import RunningStack, running_stack

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-replicas-key-00000000000000"
PEOPLE = 400
REPLICAS = 2


@pytest.fixture
async def stack(new_database, kafka: str, topic_prefix: str, tmp_path: Path):
    """A stack with two processes each of invitation and notification (also the
    `add_tenant` fixture's stack)."""
    async with running_stack(
        new_database, kafka, topic_prefix, tmp_path, replicas=REPLICAS
    ) as running:
        yield running


async def test_replicas_share_the_work_and_one_takes_over_from_a_stopped_one(
    stack: RunningStack, add_tenant
) -> None:
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
    stopping = stack.processes[replica_name("notification", 2)]
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
