"""The consumer's poll: no sleep after an empty poll, and small batches gathered into bigger
ones only while events flow steadily."""

import asyncio
from typing import Any

from onboarding_kit.polling import BatchPoller


class FakeConsumer:
    """Hands out the prepared polls in turn and remembers each poll's arguments."""

    def __init__(self, *polls: dict[str, list[int]]) -> None:
        self.polls = list(polls)
        self.calls: list[tuple[int, int]] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[str, list[int]]:
        self.calls.append((timeout_ms, max_records))
        return self.polls.pop(0) if self.polls else {}


def poll(poller: BatchPoller, consumer: FakeConsumer) -> tuple[Any, ...]:
    return asyncio.run(poller.poll(consumer))


def test_at_idle_a_batch_goes_as_polled() -> None:
    poller = BatchPoller(batch_size=100, gather_s=0)
    consumer = FakeConsumer({"a": [1, 2]}, {"a": [3]})

    assert poll(poller, consumer) == (1, 2)
    assert consumer.calls == [(poller.poll_timeout_ms, 100)]


def steady(poller: BatchPoller) -> BatchPoller:
    """`poller` after two batches polled just now."""
    for n in range(2):
        poll(poller, FakeConsumer({"x": [n]}))
    return poller


def test_two_or_three_events_at_idle_go_as_polled() -> None:
    poller = BatchPoller(batch_size=100, gather_s=0)
    poll(poller, FakeConsumer({"x": [0]}))
    poller._arrivals[0] -= 1  # a second ago: not a steady flow
    consumer = FakeConsumer({"a": [1, 2]}, {"a": [3]})
    poll(poller, FakeConsumer({"x": [0]}))

    assert poll(poller, consumer) == (1, 2)
    assert len(consumer.calls) == 1


def test_under_a_steady_flow_a_small_batch_takes_what_arrived_since() -> None:
    poller = steady(BatchPoller(batch_size=100, gather_s=0))
    consumer = FakeConsumer({"a": [1], "b": [10]}, {"a": [2], "c": [20]})

    assert poll(poller, consumer) == (1, 10, 2, 20)  # each partition's records in order
    assert consumer.calls == [(poller.poll_timeout_ms, 100), (0, 98)]


def test_a_batch_of_a_quarter_of_the_size_or_more_goes_at_once() -> None:
    poller = steady(BatchPoller(batch_size=8, gather_s=0))
    consumer = FakeConsumer({"a": [1, 2]}, {"a": [3]})

    assert poll(poller, consumer) == (1, 2)
    assert len(consumer.calls) == 1


def test_an_empty_poll_returns_nothing_and_polls_no_further() -> None:
    poller = steady(BatchPoller(batch_size=100, gather_s=0))
    consumer = FakeConsumer({})

    assert poll(poller, consumer) == ()
    assert len(consumer.calls) == 1
