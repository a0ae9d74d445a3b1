"""The in-memory rate limiter: bursts up to the limit, refills over the period, keys apart,
memory bounded."""

import pytest
from onboarding_kit.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_limit_is_a_burst_then_the_wait_is_told(clock: Clock) -> None:
    limiter = RateLimiter(10, 60, clock=clock)
    assert [limiter.hit("a") for _ in range(10)] == [None] * 10
    assert limiter.hit("a") == pytest.approx(6.0), "one request back every 6 s"
    clock.now += 3
    assert limiter.hit("a") == pytest.approx(3.0), "a refused request spends nothing"
    clock.now += 3
    assert limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(6.0)


def test_keys_are_counted_apart(clock: Clock) -> None:
    limiter = RateLimiter(2, 60, clock=clock)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [None, None, None]
    assert limiter.hit("a") is not None
    assert limiter.hit("b") is None


def test_a_whole_period_gives_the_whole_burst_back_and_no_more(clock: Clock) -> None:
    limiter = RateLimiter(3, 60, clock=clock)
    for _ in range(3):
        limiter.hit("a")
    clock.now += 600
    assert [limiter.hit("a") for _ in range(4)][-1] is not None, "not 10 periods' worth"


def test_keys_not_seen_for_a_period_are_forgotten(clock: Clock) -> None:
    limiter = RateLimiter(5, 60, clock=clock)
    for key in range(100):
        for _ in range(5):
            limiter.hit(key)
    clock.now += 30
    limiter.hit("recent")
    assert len(limiter) == 101, "half refilled: still remembered"
    clock.now += 30
    limiter.hit("recent")
    assert len(limiter) == 1
    assert "recent" in limiter
    assert 0 not in limiter


def test_memory_is_capped(clock: Clock) -> None:
    limiter = RateLimiter(1, 60, max_keys=50, clock=clock)
    for key in range(1000):
        limiter.hit(key)
    assert len(limiter) == 50
    assert limiter.hit(999) is not None, "the most recent keys are the ones kept"


def test_nonsense_limits_are_refused() -> None:
    for args in ((0, 60), (1, 0)):
        with pytest.raises(ValueError, match="limit"):
            RateLimiter(*args)
