"""Day windows over `order_created_at`, in the API's local time.

The server's window semantics are unknown (is `__end` inclusive? are datetimes accepted?), so a
window asks the server for a range that surely covers its day and then keeps only the orders
whose own `order_created_at` falls on that day. No order is counted in two windows, and none is
lost at a boundary, whatever the server does with `__end`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from orders_connector.settings import WindowEnd

API_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, order=True)
class DayWindow:
    """One API-local calendar day of `order_created_at`."""

    day: dt.date

    @classmethod
    def parse(cls, key: str) -> DayWindow:
        """A window from a partition key such as '2025-11-01'."""
        try:
            return cls(dt.date.fromisoformat(key))
        except ValueError as exc:
            raise ValueError(f"not a day window key (YYYY-MM-DD): {key!r}") from exc

    @property
    def key(self) -> str:
        return self.day.isoformat()

    def query_params(self, window_end: WindowEnd) -> dict[str, str]:
        """`order_created_at__start/__end` that cover this day under the given semantics."""
        end = self.day if window_end == "inclusive" else self.day + dt.timedelta(days=1)
        return {
            "order_created_at__start": self.day.isoformat(),
            "order_created_at__end": end.isoformat(),
        }

    def holds(self, order_created_at: object) -> bool:
        """Whether an order's raw `order_created_at` string falls on this window's day."""
        return local_day_of(order_created_at) == self.day


def local_day_of(order_created_at: object) -> dt.date | None:
    """The API-local day of a raw `YYYY-MM-DD HH:MM:SS` string; None when it is unreadable."""
    if not isinstance(order_created_at, str) or len(order_created_at) < 10:
        return None
    try:
        return dt.date.fromisoformat(order_created_at[:10])
    except ValueError:
        return None


def split_days(start: dt.date, end: dt.date) -> list[DayWindow]:
    """Every day window from `start` to `end`, both inclusive."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return list(iter_days(start, end))


def iter_days(start: dt.date, end: dt.date) -> Iterator[DayWindow]:
    day = start
    while day <= end:
        yield DayWindow(day)
        day += dt.timedelta(days=1)


def today_in(tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """The API-local calendar date at `now` (default: the current instant)."""
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(tz).date()
