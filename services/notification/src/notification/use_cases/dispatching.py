"""The sender: a worker that takes due messages from the queue, tries each once, and
records how each try ended.

At most `concurrency` messages are in flight per channel, and a message is taken only when
there is a slot for it, so the messages a crash can send twice (taken, handed over, not
recorded yet) are never more than that. Taking is a short transaction (a lease until
`now + lease`); recording is another: the outcomes that end together are recorded together,
and a message's slot is free only once its outcome is recorded. When recording fails (the
database restarts), the outcomes are kept and recorded again until the database answers, so
a database restart re-sends nothing. A sender killed while sending leaves its messages
leased: once the lease runs out, any sender takes them again.

Messages are taken from every tenant waiting, each as far as its send rate allows
(`domain.pacing`), and a channel that asks to slow down gets fewer slots for a while."""

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from onboarding_kit import tracing
from onboarding_kit.clock import Clock
from onboarding_kit.failures import Failure, classify
from onboarding_kit.uow import UnitOfWork
from onboarding_kit.wakeup import Wakeup

from notification.domain.delivery import Deferred, MessageStatus, Outcome, RetryPolicy
from notification.domain.pacing import Pacing
from notification.store import NotificationTransaction
from notification.store.messages import Message
from notification.store.tenants import TenantMessaging
from notification.use_cases.delivering import Channels, deliver
from notification.use_cases.recording import record_outcomes

log = logging.getLogger(__name__)

CHANNELS = ("email", "sms")
RECORD_RETRY_MAX_S = 5.0
RECORD_BATCH = 200  # outcomes recorded in one transaction at most
RECORD_GATHER_STEP_S = 0.005  # how often a gathering recorder looks for more ended tries


@dataclass
class _Ended:
    """A try that ended, waiting to be recorded; its slot is held until it is."""

    message: Message
    outcome: Outcome
    recorded: asyncio.Future[None]
    traceparent: str | None = None  # of the try: the events about it continue its trace


class DeliveryMetrics(Protocol):
    def notification_outcome(self, channel: str, outcome: str) -> None: ...

    def notification_latency(self, channel: str, seconds: float) -> None: ...


class NoDeliveryMetrics:
    def notification_outcome(self, channel: str, outcome: str) -> None:
        pass

    def notification_latency(self, channel: str, seconds: float) -> None:
        pass


# How a recorded try is counted (onboarding_notifications_total's outcome).
_OUTCOMES = {
    MessageStatus.SENT: "sent",
    MessageStatus.RETRYING: "retried",
    MessageStatus.FAILED: "failed",
}


@dataclass
class SenderConfig:
    concurrency: int = 64  # messages in flight per channel
    lease_s: float = 60.0  # longer than any one try can take
    poll_interval_s: float = 0.5  # how often the queue is looked at without a wake-up
    # How long the outcomes that ended wait for others still being tried, to be recorded
    # with them: one transaction, one relay batch and one batch at each consumer of the
    # events for many messages. Never longer than the tries still going take.
    record_gather_s: float = 0.05


@dataclass
class Dispatcher:
    """The `Worker` that sends messages (see the module's docstring)."""

    uow: UnitOfWork[NotificationTransaction]
    channels: Channels
    pacing: Pacing
    retries: RetryPolicy
    clock: Clock
    wakeup: Wakeup
    config: SenderConfig = field(default_factory=SenderConfig)
    monotonic: Callable[[], float] = time.monotonic
    random: Callable[[], float] = random.random
    metrics: DeliveryMetrics = field(default_factory=NoDeliveryMetrics)
    name: str = "sender"
    in_flight: dict[str, set[asyncio.Task[None]]] = field(
        default_factory=lambda: {c: set() for c in CHANNELS}
    )
    sent: int = 0  # tries recorded, whatever their outcome
    _stopping: bool = False
    _leases_released_at: float = float("-inf")
    _ended: asyncio.Queue[_Ended] = field(default_factory=asyncio.Queue)

    async def run(self) -> None:
        recorder = asyncio.create_task(self._record_ended(), name="sender-recorder")
        try:
            while not self._stopping:
                try:
                    await self._release_expired_leases_now_and_then()
                    taken = await self.take()
                except Exception as error:
                    self._log_failure("the sender cannot reach the queue", error)
                    taken = 0
                if not taken:
                    await self.wakeup.wait(self.config.poll_interval_s)
            tasks = [t for running in self.in_flight.values() for t in running]
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recorder
            await self.wakeup.close()

    async def stop(self) -> None:
        """Take nothing more; `run` returns once what is in flight is recorded."""
        self._stopping = True
        self.wakeup.set()

    def _free(self, channel: str) -> int:
        """Slots free on the channel, counted only once a quarter of them are (or the
        channel is idle): a queue is not looked at for every single slot freed."""
        slots = max(1, int(self.config.concurrency * self.pacing.channel_pace(channel)))
        busy = len(self.in_flight[channel])
        free = slots - busy
        return free if busy == 0 or free >= max(1, slots // 4) else 0

    async def take(self) -> int:
        """Take what may go now on each channel, and start trying it; how many."""
        mono, now = self.monotonic(), self.clock()
        free = {c: self._free(c) for c in CHANNELS if self.pacing.channel_allows(c, mono)}
        free = {c: n for c, n in free.items() if n > 0}
        if not free:
            return 0
        # No transaction: each claim is one statement, atomic by itself.
        async with self.uow.statements() as tx:
            waiting = await tx.messages.waiting()
            channels = {c: n for c, n in free.items() if waiting.get(c)}
            if not channels:
                return 0
            settings = await tx.tenants.of(sorted({t for c in channels for t in waiting[c]}))
            rates = {t: s.messages_per_second for t, s in settings.items()}
            claimed: list[Message] = []
            lease = timedelta(seconds=self.config.lease_s)
            for channel, slots in channels.items():
                quotas = self.pacing.quotas(waiting[channel], rates, slots, mono)
                taken = await tx.messages.claim(quotas, channel, now, lease)
                for tenant, count in Counter(m.tenant_id for m in taken).items():
                    self.pacing.took(tenant, count, mono)
                claimed += taken
        for message in claimed:
            self._start(message, settings[message.tenant_id])
        return len(claimed)

    def _start(self, message: Message, tenant: TenantMessaging) -> None:
        task = asyncio.create_task(self._try(message, tenant), name=f"send {message.id}")
        running = self.in_flight[message.channel]
        running.add(task)
        task.add_done_callback(running.discard)

    async def _try(self, message: Message, tenant: TenantMessaging) -> None:
        span = tracing.start_span(
            f"send {message.channel}",
            parent=message.trace_context,
            kind="client",
            attributes={
                "notification.id": message.id,
                "notification.kind": message.kind,
                "notification.attempt": message.attempts,
            },
        )
        with tracing.current(span):
            outcome = await deliver(message, tenant, self.channels)
        if span is not None:
            span.set_attribute("notification.outcome", type(outcome).__name__.lower())
        tracing.end_span(span)
        if isinstance(outcome, Deferred) and outcome.slow_down:
            self.pacing.slow_down(message.channel, outcome.retry_after, self.monotonic())
        elif not isinstance(outcome, Deferred):
            self.pacing.went_through(message.channel)
        ended = _Ended(
            message,
            outcome,
            asyncio.get_running_loop().create_future(),
            traceparent=tracing.traceparent_of(span) if span is not None else message.trace_context,
        )
        self._ended.put_nowait(ended)
        await ended.recorded

    async def _record_ended(self) -> None:
        """Record the tries that ended, those ended together in one transaction, each
        until the database takes it; then their slots are free."""
        while True:
            batch = await self._ended_together()
            await self._record(batch)
            for ended in batch:
                ended.recorded.set_result(None)
            self.wakeup.set()  # slots are free

    async def _ended_together(self) -> list[_Ended]:
        """The next tries that ended: the first, and those ending after it within
        `record_gather_s` while tries are still going (a try alone at idle is recorded at
        once)."""
        batch = [await self._ended.get()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.record_gather_s
        while True:
            while len(batch) < RECORD_BATCH and not self._ended.empty():
                batch.append(self._ended.get_nowait())
            # A try's task stays in flight until its outcome is recorded.
            still_trying = sum(len(tasks) for tasks in self.in_flight.values()) - len(batch)
            left = deadline - loop.time()
            if len(batch) >= RECORD_BATCH or still_trying <= 0 or left <= 0:
                return batch
            await asyncio.sleep(min(left, RECORD_GATHER_STEP_S))

    async def _record(self, batch: list[_Ended]) -> None:
        pause = 0.2
        while True:
            try:
                causes = {e.message.causation_id: e.traceparent for e in batch}
                async with self.uow() as tx:
                    with tracing.continuing({c: t for c, t in causes.items() if c}):
                        recorded = await record_outcomes(
                            tx,
                            [(ended.message, ended.outcome) for ended in batch],
                            now=self.clock(),
                            retries=self.retries,
                            random=self.random,
                        )
                self.sent += len(batch)
                self._count(recorded)
                return
            except Exception as error:
                self._log_failure("outcomes cannot be recorded yet", error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RECORD_RETRY_MAX_S)

    def _count(self, recorded: list[Message]) -> None:
        for message in recorded:
            outcome = _OUTCOMES.get(message.status)
            if outcome is not None:
                self.metrics.notification_outcome(message.channel, outcome)
            asked = message.content.get("requested_at")
            if message.status is MessageStatus.SENT and message.sent_at and asked:
                waited = message.sent_at - datetime.fromisoformat(asked)
                self.metrics.notification_latency(message.channel, waited.total_seconds())

    async def _release_expired_leases_now_and_then(self) -> None:
        mono = self.monotonic()
        if mono - self._leases_released_at < self.config.lease_s / 4:
            return
        async with self.uow() as tx:
            released = await tx.messages.release_expired_leases(self.clock())
        self._leases_released_at = mono
        if released:
            log.warning("messages taken back from a sender that stopped", extra={"count": released})

    @staticmethod
    def _log_failure(what: str, error: Exception) -> None:
        if classify(error) is Failure.OUTAGE:
            log.warning(what, extra={"error": f"{type(error).__name__}: {error}"})
        else:
            log.exception(what)
