"""When each generated order was created: one seeded pass at start-up, kept as compact arrays.

Only this (8 bytes an order) and a day -> ids index live in memory; everything else about an
order is produced on demand from (seed, id).
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from dataclasses import dataclass

from orders_connector.sandbox.hashing import key

SECONDS_PER_DAY = 86_400
# `created` entry of an order whose order_created_at is null: it belongs to no day.
NO_DATE = -(1 << 62)
BACKDATED_SHARE = 0.03
_SALT_TIMELINE = 11


@dataclass
class Timeline:
    """Seconds since `origin` (midnight of the first day, API-local) per order id."""

    origin: dt.datetime
    step: float
    created: array[int]
    days: dict[int, array[int]]

    def implied_seconds(self, order_id: int) -> int:
        """When an order with this id would have been created had it not been back-dated."""
        return int((order_id - 0.5) * self.step)


def build_timeline(seed: int, orders: int, start: dt.date, end: dt.date) -> Timeline:
    """Ids ascend with time; ~3% are back-dated 1-10 days, as e-commerce sync does."""
    rng = random.Random(key(seed, _SALT_TIMELINE, 0))
    day_count = (end - start).days + 1
    step = day_count * SECONDS_PER_DAY / max(orders, 1)
    created = array("q", bytes(8 * orders))
    per_day: list[array[int]] = [array("q") for _ in range(day_count)]
    draw = rng.random
    for index in range(orders):
        seconds = int((index + draw()) * step)
        if draw() < BACKDATED_SHARE:
            backdated = seconds - int((1 + 9 * draw()) * SECONDS_PER_DAY)
            # Never before the first day: the configured range holds every generated order.
            if backdated >= 0:
                seconds = backdated
        created[index] = seconds
        # Appended in id order, so every day's ids are already ascending.
        per_day[seconds // SECONDS_PER_DAY].append(index + 1)
    origin = dt.datetime.combine(start, dt.time())
    days = {offset: ids for offset, ids in enumerate(per_day) if ids}
    return Timeline(origin=origin, step=step, created=created, days=days)
