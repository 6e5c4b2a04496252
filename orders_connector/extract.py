"""A day window -> the raw orders created on that day, checked against `meta.total`.

The data is live: orders are created (and back-dated) while a window is paged, so offset pages
can shift under the reader. A window is read page 1 first, then the remaining pages at once;
when the distinct ids do not add up to the latest `meta.total`, or the total moved between
pages, the window is read again (keeping everything seen) a bounded number of times, and then
fails loudly with `DriftError` rather than return a silently incomplete day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from orders_connector.client import OrdersClient
from orders_connector.errors import DriftError
from orders_connector.models import Page
from orders_connector.settings import ApiSettings, ItemsMode, WindowEnd
from orders_connector.transport import AdaptiveLimiter
from orders_connector.windows import DayWindow, local_day_of

log = logging.getLogger("orders_connector")

ItemsSourceUsed = Literal["embedded", "endpoint", "none"]
Payload = dict[str, Any]

# How many orders `auto` asks the items endpoint about before concluding it is empty too.
ITEMS_PROBE_ORDERS = 3


@dataclass
class WindowExtract:
    """One window's orders as received, plus how getting them went."""

    window: DayWindow
    orders: list[Payload]
    meta_total: int
    fetched_ids: int
    pages: int
    requests: int
    retries: int
    throttled: int
    drift_rereads: int
    seconds: float
    items_source: ItemsSourceUsed
    fetched_at: dt.datetime
    # Payloads that could not be placed, each {"reason": ..., "payload": ...}: never dropped
    # without a trace.
    rejected: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ExtractSummary:
    """Totals over all windows of one `extract_windows` run."""

    windows: int = 0
    orders: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    drift_rereads: int = 0
    rejected: int = 0
    seconds: float = 0.0

    def add(self, extract: WindowExtract) -> None:
        self.windows += 1
        self.orders += len(extract.orders)
        self.pages += extract.pages
        self.requests += extract.requests
        self.retries += extract.retries
        self.throttled += extract.throttled
        self.drift_rereads += extract.drift_rereads
        self.rejected += len(extract.rejected)


# ---------------------------------------------------------------------------------------------
# one pass over a window's pages


@dataclass
class _Pass:
    pages: list[tuple[int, Page]]  # (read sequence, page), in the order answers arrived

    @property
    def totals(self) -> set[int]:
        return {page.meta.total for _, page in self.pages}

    @property
    def latest_total(self) -> int:
        return max(self.pages, key=lambda sp: sp[0])[1].meta.total

    def rows(self) -> Iterable[Payload]:
        for _, page in sorted(self.pages, key=lambda sp: sp[0]):
            yield from page.data


async def _read_pass(client: OrdersClient, params: dict[str, str]) -> _Pass:
    sequence = itertools.count()

    async def fetch(number: int) -> tuple[int, Page]:
        page = await client.search_page(
            page=number,
            created_start=params["order_created_at__start"],
            created_end=params["order_created_at__end"],
        )
        return next(sequence), page

    pages = [await fetch(1)]
    fetched = 1
    wanted = pages[0][1].meta.last_page
    # A total that grows mid-pass can add pages; follow them (meta caps last_page).
    while fetched < wanted:
        batch = await asyncio.gather(*(fetch(n) for n in range(fetched + 1, wanted + 1)))
        pages.extend(batch)
        fetched = wanted
        wanted = max(wanted, *(page.meta.last_page for _, page in batch))
    return _Pass(pages)


def order_id_of(payload: Payload) -> int | None:
    """The payload's `id` as an int, or None when it has none that can identify it."""
    raw = payload.get("id")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


@dataclass
class _Paged:
    orders: dict[int, Payload]
    without_id: list[Payload]
    meta_total: int
    fetched_ids: int
    pages: int
    rereads: int
    vanished: list[Payload]


async def _read_window(
    client: OrdersClient, window: DayWindow, params: dict[str, str], max_drift_rereads: int
) -> _Paged:
    seen: dict[int, Payload] = {}
    pages = 0
    for rereads in range(max_drift_rereads + 1):
        current = await _read_pass(client, params)
        pages += len(current.pages)
        in_pass: set[int] = set()
        without_id: list[Payload] = []
        for row in current.rows():
            order_id = order_id_of(row)
            if order_id is None:
                without_id.append(row)
                continue
            in_pass.add(order_id)
            seen[order_id] = row  # a later read of the same order wins
        total = current.latest_total
        stable = len(current.totals) == 1
        if stable and len(seen) + len(without_id) == total:
            return _Paged(seen, without_id, total, len(seen), pages, rereads, [])
        if stable and len(in_pass) + len(without_id) == total:
            # This pass alone is a consistent snapshot; ids only earlier passes saw have left
            # the queried range (e.g. their order_created_at was edited).
            vanished = [row for order_id, row in seen.items() if order_id not in in_pass]
            kept = {order_id: seen[order_id] for order_id in in_pass}
            return _Paged(kept, without_id, total, len(kept), pages, rereads, vanished)
        log.info(
            "window %s drifted on pass %d: %d distinct ids + %d without id vs meta.total %d "
            "(totals seen in the pass: %s); re-reading",
            window.key,
            rereads + 1,
            len(seen),
            len(without_id),
            total,
            sorted(current.totals),
        )
    raise DriftError(
        f"window {window.key}: the pages still do not add up after {max_drift_rereads} "
        f"re-read(s): {len(seen)} distinct order ids + {len(without_id)} without an id, but "
        f"meta.total is {total} (totals seen in the last pass: {sorted(current.totals)}). "
        "Orders are being created in this window faster than it can be read; retry later."
    )


# ---------------------------------------------------------------------------------------------
# the day filter and the items


def _queried_days(params: dict[str, str]) -> tuple[dt.date, dt.date]:
    return (
        dt.date.fromisoformat(params["order_created_at__start"]),
        dt.date.fromisoformat(params["order_created_at__end"]),
    )


def _place(
    window: DayWindow, paged: _Paged, params: dict[str, str]
) -> tuple[list[Payload], list[dict[str, Any]]]:
    """(orders of this day, rejected): neighbours' orders are left for their own window."""
    first_day, last_day = _queried_days(params)
    kept: list[Payload] = []
    rejected: list[dict[str, Any]] = [
        {"reason": "no usable id", "payload": row} for row in paged.without_id
    ]
    rejected += [
        {"reason": "seen on an earlier pass but gone from the window on re-read", "payload": row}
        for row in paged.vanished
    ]
    for order_id in sorted(paged.orders):
        row = paged.orders[order_id]
        day = local_day_of(row.get("order_created_at"))
        if day is None or day == window.day:
            # Unreadable creation time: it stays where the server put it; normalisation
            # records the issue.
            kept.append(row)
        elif not first_day <= day <= last_day:
            rejected.append(
                {
                    "reason": f"order_created_at {row.get('order_created_at')!r} is outside the "
                    f"queried range {first_day}..{last_day}",
                    "payload": row,
                }
            )
    return kept, rejected


def _learn_window_end(client: OrdersClient, paged: _Paged, params: dict[str, str]) -> None:
    """An order on the `__end` date itself proves the server's end is inclusive.

    Later windows then ask for their own day only, which halves their pages. Nothing is
    concluded from the absence of such orders (the next day may simply be empty).
    """
    _, end_day = _queried_days(params)
    if any(local_day_of(row.get("order_created_at")) == end_day for row in paged.orders.values()):
        client.learned_window_end = "inclusive"
        log.info("order_created_at__end is inclusive on this server; windows now ask one day")


def _carries_items(row: Payload) -> bool:
    items = row.get("items")
    return isinstance(items, list | dict) and len(items) > 0


async def _fetch_items(
    client: OrdersClient, orders: Sequence[Payload], known: dict[int, list[Payload]]
) -> None:
    async def one(row: Payload) -> None:
        order_id = order_id_of(row)
        if order_id is None:
            return
        if order_id not in known:
            known[order_id] = await client.list_items(order_id)
        row["items"] = known[order_id]

    await asyncio.gather(*(one(row) for row in orders))


async def _attach_items(
    client: OrdersClient, orders: list[Payload], mode: ItemsMode
) -> ItemsSourceUsed:
    if not orders:
        return "none"
    if mode == "embedded":
        return "embedded"
    if mode == "endpoint":
        await _fetch_items(client, orders, {})
        return "endpoint"
    if any(_carries_items(row) for row in orders):
        client.learned_items_source = "embedded"
        return "embedded"
    if client.learned_items_source == "embedded":
        return "embedded"
    if client.learned_items_source == "endpoint":
        await _fetch_items(client, orders, {})
        return "endpoint"
    probe = orders[:ITEMS_PROBE_ORDERS]
    known: dict[int, list[Payload]] = {}
    await _fetch_items(client, probe, known)
    if not any(known.values()):
        return "none"
    log.info("order items are not embedded in search answers; reading the items endpoint")
    client.learned_items_source = "endpoint"
    await _fetch_items(client, orders, known)
    return "endpoint"


# ---------------------------------------------------------------------------------------------
# public entry points


async def extract_window(
    client: OrdersClient,
    window: DayWindow,
    *,
    window_end: WindowEnd,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int = 3,
) -> WindowExtract:
    """Every order created on `window`'s API-local day, each once, with its items."""
    started = time.monotonic()
    asked_end = client.learned_window_end if window_end == "unknown" else None
    params = window.query_params(asked_end or window_end)
    with client.track_stats() as stats:
        paged = await _read_window(client, window, params, max_drift_rereads)
        if window_end == "unknown" and client.learned_window_end is None:
            _learn_window_end(client, paged, params)
        orders, rejected = _place(window, paged, params)
        items_source = await _attach_items(client, orders, items_mode)
    for entry in rejected:
        log.warning("window %s: order not placed (%s)", window.key, entry["reason"])
    extract = WindowExtract(
        window=window,
        orders=orders,
        meta_total=paged.meta_total,
        fetched_ids=paged.fetched_ids,
        pages=paged.pages,
        requests=stats.requests,
        retries=stats.retries,
        throttled=stats.throttled_429,
        drift_rereads=paged.rereads,
        seconds=time.monotonic() - started,
        items_source=items_source,
        fetched_at=dt.datetime.now(dt.UTC),
        rejected=rejected,
    )
    log.info(
        "window %s: %d orders from %d pages, %d requests (%d retries, %d throttled), "
        "%d drift re-reads, %.2fs",
        window.key,
        len(orders),
        extract.pages,
        extract.requests,
        extract.retries,
        extract.throttled,
        extract.drift_rereads,
        extract.seconds,
    )
    return extract


async def iter_extract(
    client: OrdersClient,
    windows: Iterable[DayWindow],
    *,
    window_end: WindowEnd,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int = 3,
    window_concurrency: int = 2,
) -> AsyncGenerator[WindowExtract, None]:
    """Windows as they complete, `window_concurrency` at a time.

    At most `window_concurrency + 1` windows are held at once (those being fetched plus the
    one the consumer is working on), so memory stays bounded over a long backfill.
    """
    if window_concurrency < 1:
        raise ValueError("window_concurrency must be >= 1")
    todo = iter(windows)
    running: set[asyncio.Task[WindowExtract]] = set()
    ready: deque[asyncio.Task[WindowExtract]] = deque()

    def refill() -> None:
        while len(running) + len(ready) < window_concurrency:
            window = next(todo, None)
            if window is None:
                return
            running.add(
                asyncio.create_task(
                    extract_window(
                        client,
                        window,
                        window_end=window_end,
                        items_mode=items_mode,
                        max_drift_rereads=max_drift_rereads,
                    ),
                    name=f"extract {window.key}",
                )
            )

    try:
        refill()
        while running or ready:
            if not ready:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                running.difference_update(done)
                ready.extend(sorted(done, key=lambda t: t.get_name()))
            task = ready.popleft()
            result = task.result()
            refill()
            yield result
    finally:
        for task in running:
            task.cancel()
        # Also collects the outcome of finished-but-unread windows, so none is left dangling.
        await asyncio.gather(*running, *ready, return_exceptions=True)


def extract_windows(
    settings: ApiSettings,
    windows: Iterable[DayWindow],
    sink: Callable[[WindowExtract], None],
    *,
    window_end: WindowEnd | None = None,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int | None = None,
    window_concurrency: int = 2,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: AdaptiveLimiter | None = None,
) -> ExtractSummary:
    """Extract `windows` and hand each to `sink` as it completes; returns the totals.

    `sink` runs in a worker thread (it may block, e.g. on DuckDB) while later windows keep
    downloading; it is called for one window at a time.
    """

    async def run() -> ExtractSummary:
        summary = ExtractSummary()
        started = time.monotonic()
        async with OrdersClient(settings, transport=transport, limiter=limiter) as client:
            extracts = iter_extract(
                client,
                windows,
                window_end=window_end or settings.window_end,
                items_mode=items_mode,
                max_drift_rereads=(
                    settings.max_drift_rereads if max_drift_rereads is None else max_drift_rereads
                ),
                window_concurrency=window_concurrency,
            )
            # aclosing: a failing sink cancels the windows still downloading, right away.
            async with aclosing(extracts):
                async for extract in extracts:
                    await asyncio.to_thread(sink, extract)
                    summary.add(extract)
        summary.seconds = time.monotonic() - started
        return summary

    return asyncio.run(run())
