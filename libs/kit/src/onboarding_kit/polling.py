"""How a consumer polls Kafka for its next batch, in place of FastStream's own poll.

FastStream's batch subscriber waits `batch_timeout_ms` for records and, when none came,
sleeps as long again before the next poll: an event arriving during that sleep waits up to
the whole of it, at every hop of the flow. Here an empty poll is followed by the next poll
at once (the poll itself waits, woken by the broker's fetch as soon as a record arrives).

Under a steady flow (the two batches before this one came within `STEADY_WINDOW_S`), a
batch smaller than a quarter of the batch size waits `gather_s` for more records, so that one
transaction, one inbox insert and one offset commit serve more events. At idle (a single
enrolment's two or three events at one consumer included) a batch goes at once. Every
record gathered is part of the batch FastStream hands over, acknowledges and, on failure,
rewinds.
"""

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord

POLL_TIMEOUT_MS = 500  # an idle poll's wait: bounds only how soon a stop is seen
GATHER_S = 0.010
STEADY_WINDOW_S = 0.050


@dataclass
class BatchPoller:
    """`get_msg` for a FastStream batch subscriber (see the module's docstring)."""

    batch_size: int
    gather_s: float = GATHER_S
    poll_timeout_ms: int = POLL_TIMEOUT_MS
    # When the two batches before came: a steady flow when both are recent.
    _arrivals: deque[float] = field(default_factory=lambda: deque(maxlen=2), init=False)

    def install(self, subscriber: Any) -> None:
        subscriber.get_msg = self.poll

    async def poll(self, consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[bytes, bytes], ...]:
        records = _flat(
            await consumer.getmany(timeout_ms=self.poll_timeout_ms, max_records=self.batch_size)
        )
        if not records:
            return records
        now = time.monotonic()
        steady = len(self._arrivals) == 2 and now - self._arrivals[0] < STEADY_WINDOW_S
        self._arrivals.append(now)
        if not steady or len(records) * 4 >= self.batch_size:
            return records
        await asyncio.sleep(self.gather_s)
        room = self.batch_size - len(records)
        return records + _flat(await consumer.getmany(timeout_ms=0, max_records=room))


def _flat(
    by_partition: dict[Any, list[ConsumerRecord[bytes, bytes]]],
) -> tuple[ConsumerRecord[bytes, bytes], ...]:
    return tuple(itertools.chain.from_iterable(by_partition.values()))
