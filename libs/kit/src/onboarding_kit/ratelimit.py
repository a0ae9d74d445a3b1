"""Rate limits kept in the process's memory: a token bucket per key, in bounded memory.

Each key (a client address, the hash of a link...) may spend `limit` requests at once, and
gets them back at `limit` per `period_s`. Memory stays bounded whatever callers send: a
full bucket is the same as no bucket, so a key not seen for a whole period is forgotten;
and past `max_keys` the least recently seen keys are dropped (the price: someone spraying
more keys than that within one period can make a limited key be forgotten early).

The limits are per process (each replica counts its own), and not thread-safe: an asyncio
service calls `hit` from its event loop only, and `hit` never awaits.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was counted


class RateLimiter:
    def __init__(
        self,
        limit: int,
        period_s: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or period_s <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be at least 1, period_s above 0")
        self.limit = limit
        self.period_s = period_s
        self.max_keys = max_keys
        self._per_s = limit / period_s
        self._clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()  # least recent first

    def hit(self, key: Hashable) -> float | None:
        """Count one request of `key`: None when it may go on, otherwise how many seconds
        until it may (a refused request spends nothing)."""
        now = self._clock()
        self._forget_full(now)
        bucket = self._buckets.pop(key, None)
        tokens = float(self.limit) if bucket is None else self._refilled(bucket, now)
        allowed = tokens >= 1
        self._buckets[key] = _Bucket(tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return None if allowed else (1 - tokens) / self._per_s

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._buckets)

    def __contains__(self, key: Hashable) -> bool:
        """Whether `key` is remembered."""
        return key in self._buckets

    def _refilled(self, bucket: _Bucket, now: float) -> float:
        return min(float(self.limit), bucket.tokens + (now - bucket.at) * self._per_s)

    def _forget_full(self, now: float) -> None:
        """Drop full buckets from the front. Buckets are kept least recently seen first, and
        one not seen for a period is full, so every such bucket is at the front."""
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if self._refilled(oldest, now) < self.limit:
                return
            self._buckets.popitem(last=False)
