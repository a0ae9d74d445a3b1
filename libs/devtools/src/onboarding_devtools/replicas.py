"""Looking at a stack run with several replicas: which partitions each member of a
service's consumer group holds, and how many events each process has consumed (from its
/metrics), so a test or a benchmark can show the work was shared and taken over."""

import re

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from onboarding_devtools.devstack import StackConfig

# `onboarding_events_consumed_total{...,outcome="applied",...} 12.0`
_CONSUMED = re.compile(r"^onboarding_events_consumed_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$")


async def group_assignment(config: StackConfig, service: str) -> dict[str, int]:
    """How many partitions each member (by client host and id) of `service`'s consumer
    group holds now; empty while the group is rebalancing or has no member."""
    admin = AIOKafkaAdminClient(bootstrap_servers=config.kafka_bootstrap_servers)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([config.topic_prefix + service])
    finally:
        await admin.close()
    (group,) = response.groups
    state, members = group[2], group[5]
    if state != "Stable":
        return {}
    held: dict[str, int] = {}
    for member in members:
        member_id, assignment = member[0], member[-1]
        decoded = ConsumerProtocolMemberAssignment.decode(assignment) if assignment else None
        held[member_id] = len(decoded.partitions()) if decoded else 0
    return held


async def events_consumed(config: StackConfig, name: str) -> int:
    """Events the process `name` (`notification-2`) has applied, by its own /metrics."""
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"{config.url(name)}/metrics")
    response.raise_for_status()
    total = 0.0
    for line in response.text.splitlines():
        found = _CONSUMED.match(line)
        if found and 'outcome="applied"' in found["labels"]:
            total += float(found["value"])
    return int(total)
