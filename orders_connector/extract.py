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

    def rows(self) -> Iterable[Any]:
        """Every entry of the pass, objects or not (those have no id and are set aside)."""
        for _, page in sorted(self.pages, key=lambda sp: sp[0]):
            yield from page.data
            yield from page.not_objects


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


def order_id_of(payload: object) -> int | None:
    """The payload's `id` as an int, or None when it has none that can identify it."""
    if not isinstance(payload, dict):
        return None
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
    without_id: list[Any]
    meta_total: int
    fetched_ids: int
    pages: int
    rereads: int
    vanished: list[Payload]


async def _read_window(
    client: OrdersClient, label: str, params: dict[str, str], max_drift_rereads: int
) -> _Paged:
    seen: dict[int, Payload] = {}
    pages = 0
    for rereads in range(max_drift_rereads + 1):
        current = await _read_pass(client, params)
        pages += len(current.pages)
        in_pass: set[int] = set()
        without_id: list[Any] = []
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
            label,
            rereads + 1,
            len(seen),
            len(without_id),
            total,
            sorted(current.totals),
        )
    raise DriftError(
        f"window {label}: the pages still do not add up after {max_drift_rereads} "
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
    span: Sequence[DayWindow], paged: _Paged, params: dict[str, str]
) -> tuple[dict[dt.date, list[Payload]], list[dict[str, Any]]] | None:
    """({day: its orders}, rejected): orders of queried days outside `span` are left for their
    own window.

    None when the span covers several days and an order's creation time cannot be read: only a
    one-day search says which day it belongs to.
    """
    first_day, last_day = _queried_days(params)
    by_day: dict[dt.date, list[Payload]] = {window.day: [] for window in span}
    rejected: list[dict[str, Any]] = [
        {"reason": "no usable id" if isinstance(row, dict) else "not a JSON object", "payload": row}
        for row in paged.without_id
    ]
    rejected += [
        {"reason": "seen on an earlier pass but gone from the window on re-read", "payload": row}
        for row in paged.vanished
    ]
    for order_id in sorted(paged.orders):
        row = paged.orders[order_id]
        day = local_day_of(row.get("order_created_at"))
        if day is None:
            if len(span) > 1:
                return None
            # Unreadable creation time: it stays where the server put it; normalisation
            # records the issue.
            by_day[span[0].day].append(row)
        elif day in by_day:
            by_day[day].append(row)
        elif not first_day <= day <= last_day:
            rejected.append(
                {
                    "reason": f"order_created_at {row.get('order_created_at')!r} is outside the "
                    f"queried range {first_day}..{last_day}",
                    "payload": row,
                }
            )
    return by_day, rejected


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
# spans: adjacent day windows read by one search


@dataclass(frozen=True)
class SpanPolicy:
    """How many adjacent day windows one search may cover.

    The throttle counts requests, not orders: a sparse tenant's day windows are each one mostly
    empty page, and reading adjacent days in one search fills the pages (and lets every page
    after the first be fetched at once). A span grows to about `target_orders` (25 pages of 100)
    at the order density seen so far, never beyond `max_days`; the first span is a single day,
    since nothing is known yet. Memory follows the span, so it stays bounded however long the
    range (a single day denser than the target is still read whole).
    """

    target_orders: int = 2_500
    max_days: int = 31

    def __post_init__(self) -> None:
        if self.target_orders < 1 or self.max_days < 1:
            raise ValueError("target_orders and max_days must be >= 1")

    def days_for(self, orders_per_day: float | None) -> int:
        if orders_per_day is None:
            return 1
        fitting = self.target_orders / max(orders_per_day, 1.0)
        return max(1, min(self.max_days, int(fitting)))


ONE_DAY_SPANS = SpanPolicy(max_days=1)
DEFAULT_SPANS = SpanPolicy()
# Spans searched at a time by default: while one waits for its first page, others fill the
# pages in flight.
DEFAULT_WINDOW_CONCURRENCY = 3


def reading_plan(max_concurrency: int) -> tuple[int, SpanPolicy]:
    """Spans searched at a time, and their size, for a client with `max_concurrency` requests.

    With one request in flight, searches side by side gain nothing (their requests queue for
    the one slot anyway). One search at a time instead, covering as many orders as the spans
    held at once would (the same memory): fewer searches end on a partial last page (202
    requests instead of 206 for 20,000 orders over 90 days).
    """
    if max_concurrency > 1:
        return DEFAULT_WINDOW_CONCURRENCY, DEFAULT_SPANS
    held = DEFAULT_WINDOW_CONCURRENCY + 1  # the consumer works on one more span
    return 1, SpanPolicy(target_orders=DEFAULT_SPANS.target_orders * held // 2)


class _SpanPlanner:
    """Cuts the window sequence into spans of consecutive days, sized by the density so far."""

    def __init__(self, windows: Iterable[DayWindow], policy: SpanPolicy) -> None:
        self._todo = iter(windows)
        self._next: DayWindow | None = next(self._todo, None)
        self._policy = policy
        self._orders = 0
        self._days = 0

    @property
    def learning(self) -> bool:
        """Nothing read yet: the first span alone should find out how dense the days are."""
        return self._days == 0 and self._policy.max_days > 1

    def observe(self, extracts: Sequence[WindowExtract]) -> None:
        self._orders += sum(len(e.orders) for e in extracts)
        self._days += len(extracts)
        # The learning search may have read the next day as well (see extract_span).
        if self._next is not None and any(e.window == self._next for e in extracts):
            self._next = next(self._todo, None)

    def lookahead(self, span: Sequence[DayWindow]) -> DayWindow | None:
        """The window right after `span`, when it is the next one to read."""
        following = self._next
        if following is not None and following.day == span[-1].day + dt.timedelta(days=1):
            return following
        return None

    def take(self) -> list[DayWindow] | None:
        if self._next is None:
            return None
        density = self._orders / self._days if self._days else None
        wanted = self._policy.days_for(density)
        span = [self._next]
        self._next = next(self._todo, None)
        while (
            self._next is not None
            and len(span) < wanted
            and self._next.day == span[-1].day + dt.timedelta(days=1)
        ):
            span.append(self._next)
            self._next = next(self._todo, None)
        return span


def _span_params(span: Sequence[DayWindow], window_end: WindowEnd) -> dict[str, str]:
    return {
        "order_created_at__start": span[0].query_params(window_end)["order_created_at__start"],
        "order_created_at__end": span[-1].query_params(window_end)["order_created_at__end"],
    }


def _shares(total: float, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder): whole numbers that add up."""
    if len(weights) == 1:
        return [int(total)]
    whole = int(total)
    scale = sum(weights)
    exact = [whole * w / scale for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: whole - sum(parts)]:
        parts[i] += 1
    return parts


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
    (extract,) = await extract_span(
        client,
        [window],
        window_end=window_end,
        items_mode=items_mode,
        max_drift_rereads=max_drift_rereads,
    )
    return extract


async def extract_span(
    client: OrdersClient,
    span: Sequence[DayWindow],
    *,
    window_end: WindowEnd,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int = 3,
    lookahead: DayWindow | None = None,
) -> list[WindowExtract]:
    """The windows of `span` (consecutive days) read by one search, one extract per window.

    The span is checked against `meta.total` as a whole, so each window of it is exactly as
    complete as if it had been read alone. A window's `meta_total`/`fetched_ids` are then its
    share of the verified span (its orders); pages, requests and retries are shared out in
    proportion to its orders (plus one), and add up to the span's.

    `lookahead`, the day after the span: while `__end` is not known to be inclusive, the span
    is asked up to that day. If the answer proves `__end` inclusive, it holds the whole
    lookahead day too, which is then returned as one more window instead of being read again.
    """
    if not span:
        return []
    if any(b.day != a.day + dt.timedelta(days=1) for a, b in itertools.pairwise(span)):
        raise ValueError("a span must be consecutive days")
    started = time.monotonic()
    label = span[0].key if len(span) == 1 else f"{span[0].key}..{span[-1].key}"
    asked_end = client.learned_window_end if window_end == "unknown" else None
    params = _span_params(span, asked_end or window_end)
    with client.track_stats() as stats:
        paged = await _read_window(client, label, params, max_drift_rereads)
        covered = list(span)
        if window_end == "unknown" and client.learned_window_end is None:
            _learn_window_end(client, paged, params)
            if (
                client.learned_window_end == "inclusive"
                and lookahead is not None
                and lookahead.day == _queried_days(params)[1]
            ):
                covered.append(lookahead)
                label = f"{span[0].key}..{lookahead.key}"
        placed = _place(covered, paged, params)
        if placed is not None:
            by_day, rejected = placed
            every = [row for rows in by_day.values() for row in rows]
            items_source = await _attach_items(client, every, items_mode)
    if placed is None:
        log.info(
            "span %s holds an order without a readable day: reading its days one by one", label
        )
        extracts: list[WindowExtract] = []
        for window in span:
            extracts += await extract_span(
                client,
                [window],
                window_end=window_end,
                items_mode=items_mode,
                max_drift_rereads=max_drift_rereads,
            )
        # The span's own requests were spent too: they count, on its first window.
        extracts[0].requests += stats.requests
        extracts[0].retries += stats.retries
        extracts[0].throttled += stats.throttled_429
        extracts[0].pages += paged.pages
        return extracts
    for entry in rejected:
        log.warning("window %s: order not placed (%s)", label, entry["reason"])
    seconds = time.monotonic() - started
    fetched_at = dt.datetime.now(dt.UTC)
    weights = [len(by_day[w.day]) + 1 for w in covered]
    shared = {
        name: _shares(value, weights)
        for name, value in (
            ("pages", paged.pages),
            ("requests", stats.requests),
            ("retries", stats.retries),
            ("throttled", stats.throttled_429),
            ("drift_rereads", paged.rereads),
        )
    }
    extracts = []
    for index, window in enumerate(covered):
        orders = by_day[window.day]
        alone = len(covered) == 1
        extracts.append(
            WindowExtract(
                window=window,
                orders=orders,
                meta_total=paged.meta_total if alone else len(orders),
                fetched_ids=paged.fetched_ids if alone else len(orders),
                pages=shared["pages"][index],
                requests=shared["requests"][index],
                retries=shared["retries"][index],
                throttled=shared["throttled"][index],
                drift_rereads=shared["drift_rereads"][index],
                seconds=seconds * weights[index] / sum(weights),
                items_source=items_source if orders else "none",
                fetched_at=fetched_at,
                # Payloads that belong to no window of the span are kept with its first.
                rejected=rejected if index == 0 else [],
            )
        )
    log.info(
        "window %s: %d orders from %d pages, %d requests (%d retries, %d throttled), "
        "%d drift re-reads, %.2fs",
        label,
        sum(len(e.orders) for e in extracts),
        paged.pages,
        stats.requests,
        stats.retries,
        stats.throttled_429,
        paged.rereads,
        seconds,
    )
    return extracts


async def iter_extract_spans(
    client: OrdersClient,
    windows: Iterable[DayWindow],
    *,
    window_end: WindowEnd,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int = 3,
    window_concurrency: int = 2,
    spans: SpanPolicy = ONE_DAY_SPANS,
) -> AsyncGenerator[list[WindowExtract], None]:
    """The windows of each span as it completes, `window_concurrency` spans searched at a time.

    Adjacent windows are searched together as `spans` allows (by default each day alone). At
    most `window_concurrency + 1` spans are held at once (those being fetched plus the one the
    consumer is working on), so memory stays bounded over a long backfill.
    """
    if window_concurrency < 1:
        raise ValueError("window_concurrency must be >= 1")
    planner = _SpanPlanner(windows, spans)
    running: set[asyncio.Task[list[WindowExtract]]] = set()
    ready: deque[asyncio.Task[list[WindowExtract]]] = deque()

    def refill() -> None:
        while len(running) + len(ready) < window_concurrency:
            if planner.learning and running:
                return
            learning = planner.learning
            span = planner.take()
            if span is None:
                return
            running.add(
                asyncio.create_task(
                    extract_span(
                        client,
                        span,
                        window_end=window_end,
                        items_mode=items_mode,
                        max_drift_rereads=max_drift_rereads,
                        lookahead=planner.lookahead(span) if learning else None,
                    ),
                    name=f"extract {span[0].key}",
                )
            )

    try:
        refill()
        while running or ready:
            if not ready:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                running.difference_update(done)
                ready.extend(sorted(done, key=lambda t: t.get_name()))
                for task in done:
                    if not task.cancelled() and task.exception() is None:
                        planner.observe(task.result())
            task = ready.popleft()
            result = task.result()
            refill()
            yield result
    finally:
        for task in running:
            task.cancel()
        # Also collects the outcome of finished-but-unread spans, so none is left dangling.
        await asyncio.gather(*running, *ready, return_exceptions=True)


async def iter_extract(
    client: OrdersClient,
    windows: Iterable[DayWindow],
    *,
    window_end: WindowEnd,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int = 3,
    window_concurrency: int = 2,
    spans: SpanPolicy = ONE_DAY_SPANS,
) -> AsyncGenerator[WindowExtract, None]:
    """`iter_extract_spans`, one window at a time."""
    batches = iter_extract_spans(
        client,
        windows,
        window_end=window_end,
        items_mode=items_mode,
        max_drift_rereads=max_drift_rereads,
        window_concurrency=window_concurrency,
        spans=spans,
    )
    async with aclosing(batches):
        async for batch in batches:
            for extract in batch:
                yield extract


def extract_spans(
    settings: ApiSettings,
    windows: Iterable[DayWindow],
    sink: Callable[[list[WindowExtract]], None],
    *,
    window_end: WindowEnd | None = None,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int | None = None,
    window_concurrency: int | None = None,
    spans: SpanPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: AdaptiveLimiter | None = None,
) -> ExtractSummary:
    """Extract `windows`, handing the windows of each search to `sink` together; the totals.

    Adjacent sparse days are searched together (`spans`), so a sink that stores a batch at once
    (one transaction) pays its fixed costs once per search, not once per day. `sink` runs in a
    worker thread (it may block, e.g. on DuckDB) while later spans keep downloading; it is
    called for one batch at a time. `window_concurrency` and `spans` default to
    `reading_plan(settings.max_concurrency)`.
    """
    planned_concurrency, planned_spans = reading_plan(settings.max_concurrency)
    if window_concurrency is None:
        window_concurrency = planned_concurrency
    if spans is None:
        spans = planned_spans

    async def run() -> ExtractSummary:
        summary = ExtractSummary()
        started = time.monotonic()
        async with OrdersClient(settings, transport=transport, limiter=limiter) as client:
            batches = iter_extract_spans(
                client,
                windows,
                window_end=window_end or settings.window_end,
                items_mode=items_mode,
                max_drift_rereads=(
                    settings.max_drift_rereads if max_drift_rereads is None else max_drift_rereads
                ),
                window_concurrency=window_concurrency,
                spans=spans,
            )
            # aclosing: a failing sink cancels the spans still downloading, right away.
            async with aclosing(batches):
                async for batch in batches:
                    await asyncio.to_thread(sink, batch)
                    for extract in batch:
                        summary.add(extract)
        summary.seconds = time.monotonic() - started
        return summary

    return asyncio.run(run())


def extract_windows(
    settings: ApiSettings,
    windows: Iterable[DayWindow],
    sink: Callable[[WindowExtract], None],
    *,
    window_end: WindowEnd | None = None,
    items_mode: ItemsMode = "auto",
    max_drift_rereads: int | None = None,
    window_concurrency: int | None = None,
    spans: SpanPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: AdaptiveLimiter | None = None,
) -> ExtractSummary:
    """Extract `windows` and hand each to `sink` as it completes; returns the totals.

    `extract_spans` with a sink of one window: `sink` runs in a worker thread while later
    windows keep downloading, and is called for one window at a time.
    """

    def each(batch: list[WindowExtract]) -> None:
        for extract in batch:
            sink(extract)

    return extract_spans(
        settings,
        windows,
        each,
        window_end=window_end,
        items_mode=items_mode,
        max_drift_rereads=max_drift_rereads,
        window_concurrency=window_concurrency,
        spans=spans,
        transport=transport,
        limiter=limiter,
    )
