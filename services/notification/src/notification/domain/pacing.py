"""How fast messages go out: a send rate per tenant, and the channel's own pace.

Each tenant has a token bucket (`messages_per_second`, a burst of one second's worth), so
that a tenant's 100,000-person import takes its share and no more: the sender takes from
every tenant with messages waiting, each as far as its bucket allows. A mail server's 421
or a provider's 429 slows the whole channel (its pace halves, and it pauses for the
Retry-After) and recovers a little with every message taken (additive increase,
multiplicative decrease), so a throttling server is slowed down to, not failed."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MIN_PACE = 0.05
PACE_RECOVERY = 0.02  # per message taken


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    tokens: float
    at: float  # when `tokens` was counted (monotonic seconds)

    def available(self, now: float) -> float:
        return min(max(self.rate, 1.0), self.tokens + (now - self.at) * self.rate)

    def take(self, count: int, now: float) -> None:
        self.tokens = self.available(now) - count
        self.at = now


@dataclass
class Pacing:
    default_rate: float
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    pace: dict[str, float] = field(default_factory=dict)  # per channel, 1.0 = full speed
    paused_until: dict[str, float] = field(default_factory=dict)  # per channel

    def quotas(
        self,
        tenants: Iterable[str],
        rates: Mapping[str, float | None],
        free: int,
        now: float,
    ) -> dict[str, int]:
        """How many messages to take now from each tenant waiting, `free` at most in all:
        an even share of `free` each, as far as each one's bucket allows; what a tenant
        cannot use goes to the others."""
        waiting = sorted(set(tenants))
        room = {}
        for tenant in waiting:
            rate = rates.get(tenant) or self.default_rate
            bucket = self.buckets.get(tenant)
            if bucket is None or bucket.rate != rate:
                bucket = self.buckets[tenant] = TokenBucket(rate, max(rate, 1.0), now)
            room[tenant] = int(bucket.available(now))
        quotas = dict.fromkeys(waiting, 0)
        left = free
        while left > 0:
            open_ = [t for t in waiting if room[t] > quotas[t]]
            if not open_:
                break
            share = max(left // len(open_), 1)
            for tenant in open_:
                more = min(share, room[tenant] - quotas[tenant], left)
                quotas[tenant] += more
                left -= more
                if left == 0:
                    break
        return {t: n for t, n in quotas.items() if n > 0}

    def took(self, tenant: str, count: int, now: float) -> None:
        if tenant in self.buckets:
            self.buckets[tenant].take(count, now)

    def channel_allows(self, channel: str, now: float) -> bool:
        return self.paused_until.get(channel, 0.0) <= now

    def channel_pace(self, channel: str) -> float:
        return self.pace.get(channel, 1.0)

    def slow_down(self, channel: str, retry_after: float | None, now: float) -> None:
        """The other end asked to slow down: half the pace, and a pause."""
        self.pace[channel] = max(self.channel_pace(channel) / 2, MIN_PACE)
        self.paused_until[channel] = max(
            self.paused_until.get(channel, 0.0), now + (retry_after or 1.0)
        )

    def went_through(self, channel: str) -> None:
        self.pace[channel] = min(self.channel_pace(channel) + PACE_RECOVERY, 1.0)
