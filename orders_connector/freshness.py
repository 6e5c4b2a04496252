"""Which windows a daily run re-syncs so that statuses stay true.

The API has no updated-since filter: a status change is only seen by reading the order's creation
window again. Most changes happen in an order's first days, so the last `lookback_days` windows are
always re-read. Beyond them, only windows that still hold open orders (a non-terminal status, see
`enums.TERMINAL_STATUSES`) can change; those are re-read oldest-synced first within a daily request
budget, so the whole open backlog is revisited every `bound_days` days.

Cost per day = (requests of the lookback windows) + min(budget, requests of the open backlog),
where one window costs its pages (+ one items call per order when items are not embedded).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

from orders_connector.enums import TERMINAL_STATUSES
from orders_connector.warehouse import Warehouse
from orders_connector.windows import DayWindow, split_days

DEFAULT_LOOKBACK_DAYS = 7
DEFAULT_REFRESH_BUDGET = 200

Reason = Literal["lookback", "open_orders"]


@dataclass(frozen=True)
class PlannedWindow:
    """A window the daily run re-syncs, and why."""

    window: DayWindow
    reason: Reason
    open_orders: int
    last_synced: dt.datetime | None
    estimated_requests: int


@dataclass
class RefreshPlan:
    """The windows of one daily run and what they are expected to cost."""

    as_of: dt.date
    lookback_days: int
    budget: int
    windows: list[PlannedWindow] = field(default_factory=list)
    open_windows_total: int = 0
    open_orders_total: int = 0
    backlog_requests: int = 0

    @property
    def lookback(self) -> list[PlannedWindow]:
        return [w for w in self.windows if w.reason == "lookback"]

    @property
    def refresh(self) -> list[PlannedWindow]:
        return [w for w in self.windows if w.reason == "open_orders"]

    @property
    def estimated_requests(self) -> int:
        return sum(w.estimated_requests for w in self.windows)

    @property
    def bound_days(self) -> int:
        """Days within which every open window beyond the lookback is re-read at least once."""
        if self.backlog_requests == 0:
            return 1
        return max(1, math.ceil(self.backlog_requests / self.budget))


def seed_terminal_statuses(warehouse: Warehouse) -> None:
    warehouse.execute("ddl_freshness")
    for kind, codes in TERMINAL_STATUSES.items():
        for code in sorted(codes):
            warehouse.execute("freshness_seed_terminal", {"kind": kind, "code": code})


def lookback_windows(as_of: dt.date, lookback_days: int, start: dt.date) -> list[DayWindow]:
    """The last `lookback_days` windows up to `as_of`, never before the first partition."""
    first = max(start, as_of - dt.timedelta(days=lookback_days - 1))
    return split_days(first, as_of) if first <= as_of else []


def plan_refresh(
    warehouse: Warehouse,
    *,
    as_of: dt.date,
    start: dt.date,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    budget: int = DEFAULT_REFRESH_BUDGET,
) -> RefreshPlan:
    """Lookback windows, then open windows oldest-synced first while the budget lasts."""
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    if budget < 1:
        raise ValueError("the refresh budget must be at least one request")
    seed_terminal_statuses(warehouse)
    plan = RefreshPlan(as_of=as_of, lookback_days=lookback_days, budget=budget)
    recent = lookback_windows(as_of, lookback_days, start)
    known_costs = dict(
        warehouse.fetch(
            "freshness_window_requests",
            {"start": recent[0].day, "end": recent[-1].day}
            if recent
            else {"start": as_of, "end": as_of},
        )
    )
    for window in recent:
        plan.windows.append(
            PlannedWindow(window, "lookback", 0, None, int(known_costs.get(window.day, 1)))
        )
    lookback_start = recent[0].day if recent else as_of + dt.timedelta(days=1)
    rows = warehouse.fetch("freshness_window_costs", {"lookback_start": lookback_start})
    candidates = [
        (day, synced_at, int(open_orders), int(cost))
        for day, synced_at, open_orders, cost in rows
        if open_orders > 0 and day >= start
    ]
    plan.open_windows_total = len(candidates)
    plan.open_orders_total = sum(c[2] for c in candidates)
    plan.backlog_requests = sum(c[3] for c in candidates)
    # Oldest-synced first keeps the revisit interval bounded (round robin); among windows synced at
    # the same time, the one holding the most open orders goes first.
    candidates.sort(key=lambda c: (c[1], -c[2], c[0]))
    spent = 0
    for day, synced_at, open_orders, cost in candidates:
        # Always take the first one, so a window costing more than the budget is not starved.
        if spent and spent + cost > budget:
            break
        plan.windows.append(
            PlannedWindow(DayWindow(day), "open_orders", open_orders, synced_at, cost)
        )
        spent += cost
    return plan
