"""One sync of a set of day windows: extract -> land raw -> normalize.

This is the whole product's path, callable from any orchestrator. Dagster assets call
`land_windows` and `normalize` as two steps so the UI shows raw and normalized tables apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orders_connector.extract import WindowExtract, extract_spans
from orders_connector.settings import ApiSettings, ItemsMode
from orders_connector.warehouse import NormalizeResult, Warehouse, WindowLanding
from orders_connector.windows import DayWindow

log = logging.getLogger("orders_connector.sync")


@dataclass
class WindowReport:
    """What one window's extraction fetched and landed."""

    day: dt.date
    orders: int
    items: int
    meta_total: int
    fetched_ids: int
    pages: int
    requests: int
    retries: int
    throttled: int
    drift_rereads: int
    rejected: int
    seconds: float
    items_source: str


@dataclass
class LandReport:
    """Totals of one `land_windows` call, per window and overall."""

    windows: list[WindowReport] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, attr: str) -> int:
        return sum(int(getattr(w, attr)) for w in self.windows)

    @property
    def orders(self) -> int:
        return self.total("orders")

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds if self.seconds > 0 else 0.0


def window_report(extract: WindowExtract) -> WindowReport:
    """A window's figures without its payloads (which a long backfill must not keep)."""
    return WindowReport(
        day=extract.window.day,
        orders=len(extract.orders),
        items=count_items(extract.orders),
        meta_total=extract.meta_total,
        fetched_ids=extract.fetched_ids,
        pages=extract.pages,
        requests=extract.requests,
        retries=extract.retries,
        throttled=extract.throttled,
        drift_rereads=extract.drift_rereads,
        rejected=len(extract.rejected),
        seconds=extract.seconds,
        items_source=extract.items_source,
    )


def window_stats(report: WindowReport) -> dict[str, object]:
    """The per-window figures stored in `sync_windows` beside the raw rows."""
    stats = dataclasses.asdict(report)
    del stats["day"], stats["rejected"]  # the key, and counted by the warehouse itself
    return stats


def count_items(payloads: Sequence[Mapping[str, Any]]) -> int:
    return sum(len(items) for p in payloads if isinstance(items := p.get("items"), list))


def land_windows(
    settings: ApiSettings,
    warehouse: Warehouse,
    windows: Sequence[DayWindow],
    *,
    items_mode: ItemsMode = "auto",
    on_window: Callable[[WindowReport], None] | None = None,
) -> LandReport:
    """Fetch every window from the API and replace its raw rows; each window lands whole, with
    the windows read by the same search in one transaction."""
    report = LandReport()
    started = dt.datetime.now(dt.UTC)

    def sink(batch: list[WindowExtract]) -> None:
        reports = [window_report(extract) for extract in batch]
        # The windows of one search land in one transaction: one commit per span, not per day.
        warehouse.land_windows(
            [
                WindowLanding(
                    day=extract.window.day,
                    payloads=extract.orders,
                    fetched_at=extract.fetched_at,
                    stats=window_stats(window),
                    rejected=[
                        (entry["payload"], str(entry["reason"])) for entry in extract.rejected
                    ],
                )
                for extract, window in zip(batch, reports, strict=True)
            ]
        )
        for window in reports:
            report.windows.append(window)
            log.debug("window %s landed: %s", window.day, window)
            if on_window is not None:
                on_window(window)

    extract_spans(
        settings,
        # In day order, so adjacent windows can be read by one search whatever order they came in.
        sorted(windows),
        sink,
        window_end=settings.window_end,
        items_mode=items_mode,
        max_drift_rereads=settings.max_drift_rereads,
    )
    report.windows.sort(key=lambda w: w.day)
    report.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return report


def normalize(
    warehouse: Warehouse, windows: Sequence[DayWindow], *, source: str = "sync"
) -> NormalizeResult:
    """Rebuild the normalized tables' rows for these windows from their raw rows."""
    return warehouse.normalize_windows([w.day for w in windows], source=source)
