"""The limiter holds its long-run pace when the event loop is late, never outrunning a throttle."""

from __future__ import annotations

import httpx
import pytest

from orders_connector.transport import AdaptiveLimiter


class FakeTime:
    """A clock and a sleep: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 500.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.anyio
async def test_a_slot_missed_while_busy_is_used_late_so_the_pace_holds() -> None:
    time = FakeTime()
    limiter = AdaptiveLimiter(requests_per_minute=600, clock=time.clock)  # a slot every 0.1 s
    await limiter.acquire(time.sleep)

    time.now += 0.35  # the loop was busy: three slots went by unused
    waits = [await limiter.acquire(time.sleep) for _ in range(5)]

    # The missed slots go at once, then the pace resumes from where it was.
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.05, 0.1])
    assert time.now == pytest.approx(500.0 + 0.5)


@pytest.mark.anyio
async def test_catching_up_is_bounded_so_no_window_gets_more_than_the_pace_allows() -> None:
    time = FakeTime()
    limiter = AdaptiveLimiter(requests_per_minute=600, catch_up_seconds=0.5, clock=time.clock)
    await limiter.acquire(time.sleep)

    time.now += 30.0  # idle for a long time
    started = time.now
    starts = []
    for _ in range(20):
        await limiter.acquire(time.sleep)
        starts.append(time.now)

    at_once = sum(1 for at in starts if at < started + 1e-9)
    assert at_once == 6  # half a second's worth of slots, plus the current one
    # Over any span the count stays within pace x (span + catch-up) + 1.
    assert len(starts) <= 10 * ((starts[-1] - started) + 0.5) + 1


@pytest.mark.anyio
async def test_no_slot_from_before_a_pause_is_caught_up() -> None:
    time = FakeTime()
    limiter = AdaptiveLimiter(requests_per_minute=600, clock=time.clock)
    await limiter.acquire(time.sleep)

    limiter.pause(2.0)
    waits = [await limiter.acquire(time.sleep) for _ in range(3)]

    assert waits == pytest.approx([2.0, 0.1, 0.1])


@pytest.mark.parametrize(
    ("limit", "per_minute"),
    [(60, 57.0), (600, 581.0), (3000, 2913.0), (10_000, 9714.0)],
)
def test_the_reserve_is_a_few_percent_and_covers_catching_up(limit: int, per_minute: float) -> None:
    limiter = AdaptiveLimiter(catch_up_seconds=0.5)
    limiter.observe(httpx.Response(200, headers={"X-RateLimit-Limit": str(limit)}))

    assert limiter.rate_per_second == pytest.approx(per_minute / 60)
    # The most a fixed window can then see: the probe, a window of pace, the catch-up.
    assert 1 + limiter.rate_per_second * (60 + 0.5) + 1 < limit
