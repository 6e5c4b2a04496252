"""Adjacent sparse day windows read by one search: each window still gets exactly its orders."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from orders_connector.client import OrdersClient
from orders_connector.extract import (
    SpanPolicy,
    WindowExtract,
    extract_span,
    extract_spans,
    extract_windows,
)
from orders_connector.sandbox import SandboxServer
from orders_connector.settings import ApiSettings
from orders_connector.windows import DayWindow, split_days

MakeSandbox = Callable[..., SandboxServer]
START = dt.date(2025, 10, 1)


def settings_for(sandbox: SandboxServer, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "base_url": sandbox.base_url,
        "token": sandbox.config.token,
        "timezone": sandbox.config.timezone,
        "per_page": 5,
    }
    return ApiSettings(**{**values, **overrides})


def ids(orders: list[dict[str, Any]]) -> list[int]:
    return sorted(int(order["id"]) for order in orders)


def searched_ranges(sandbox: SandboxServer) -> list[tuple[dt.date, dt.date]]:
    return [
        (
            dt.date.fromisoformat(r.query["order_created_at__start"]),
            dt.date.fromisoformat(r.query["order_created_at__end"]),
        )
        for r in sandbox.state.requests
        if r.path == "/api/v1/contact-order"
    ]


def test_sparse_days_are_searched_together_and_each_window_gets_its_own_orders(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(orders=120, start=START, end=START + dt.timedelta(days=39))
    windows = split_days(START, START + dt.timedelta(days=39))
    batches: list[list[WindowExtract]] = []
    sink_threads: set[int] = set()

    def sink(batch: list[WindowExtract]) -> None:
        sink_threads.add(threading.get_ident())
        batches.append(batch)

    summary = extract_spans(settings_for(sandbox), windows, sink)

    received = [extract for batch in batches for extract in batch]
    assert sorted(e.window for e in received) == windows
    for extract in received:
        assert ids(extract.orders) == ids(sandbox.state.orders_on(extract.window.day))
    assert threading.get_ident() not in sink_threads
    # Three orders a day on pages of five: day by day that is 40 searches of one page each.
    assert summary.requests == len(sandbox.state.requests) < len(windows)
    assert any(last - first > dt.timedelta(days=1) for first, last in searched_ranges(sandbox))
    assert max(len(batch) for batch in batches) > 1
    for batch in batches:
        days = [e.window.day for e in batch]
        assert days == [days[0] + dt.timedelta(days=n) for n in range(len(days))]
    assert sum(e.requests for e in received) == summary.requests
    assert sum(e.pages for e in received) == summary.pages
    assert all(e.meta_total == e.fetched_ids >= len(e.orders) for e in received)


def test_dense_days_are_searched_one_day_at_a_time(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(orders=300, start=START, end=START + dt.timedelta(days=9))
    windows = split_days(START, START + dt.timedelta(days=9))
    seen: dict[dt.date, list[int]] = {}

    def sink(extract: WindowExtract) -> None:
        seen[extract.window.day] = ids(extract.orders)

    # About 30 orders a day against spans of at most five orders.
    extract_windows(
        settings_for(sandbox, window_end="inclusive"),
        windows,
        sink,
        spans=SpanPolicy(target_orders=5),
    )

    assert seen == {w.day: ids(sandbox.state.orders_on(w.day)) for w in windows}
    assert {first == last for first, last in searched_ranges(sandbox)} == {True}


def test_windows_that_are_not_adjacent_are_never_searched_together(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(orders=60, start=START, end=START + dt.timedelta(days=29))
    windows = [DayWindow(START + dt.timedelta(days=n)) for n in range(0, 30, 2)]
    seen: dict[dt.date, list[int]] = {}

    def sink(extract: WindowExtract) -> None:
        seen[extract.window.day] = ids(extract.orders)

    extract_windows(settings_for(sandbox, window_end="inclusive"), windows, sink)

    assert seen == {w.day: ids(sandbox.state.orders_on(w.day)) for w in windows}
    assert {first for first, _ in searched_ranges(sandbox)} == {w.day for w in windows}
    assert {last for _, last in searched_ranges(sandbox)} == {w.day for w in windows}


def test_a_span_must_be_consecutive_days(make_sandbox: MakeSandbox) -> None:
    import asyncio

    sandbox = make_sandbox()

    async def run() -> None:
        async with OrdersClient(settings_for(sandbox)) as client:
            await extract_span(
                client,
                [DayWindow(START), DayWindow(START + dt.timedelta(days=2))],
                window_end="inclusive",
            )

    with pytest.raises(ValueError, match="consecutive"):
        asyncio.run(run())


# --- an order whose creation time cannot be read (a shape the sandbox never serves) -----------


def fake_api(orders: list[tuple[int, dt.date, str]]) -> httpx.MockTransport:
    """Search answers over (id, the day the server files it under, order_created_at as served)."""

    def handle(request: httpx.Request) -> httpx.Response:
        query = request.url.params
        rows: list[dict[str, Any]] = []
        if request.url.path == "/api/v1/contact-order":
            first = dt.date.fromisoformat(query["order_created_at__start"])
            last = dt.date.fromisoformat(query["order_created_at__end"])
            rows = [
                {"id": order_id, "order_created_at": served, "items": [{"id": order_id}]}
                for order_id, day, served in sorted(orders, reverse=True)
                if first <= day <= last
            ]
        body = {
            "data": rows,
            "links": {},
            "meta": {
                "current_page": 1,
                "last_page": 1,
                "per_page": 100,
                "total": len(rows),
                "from": 1 if rows else None,
                "to": len(rows) or None,
            },
        }
        return httpx.Response(200, content=json.dumps(body).encode())

    return httpx.MockTransport(handle)


def test_an_order_without_a_readable_day_sends_its_span_back_to_one_day_searches() -> None:
    day = [START + dt.timedelta(days=n) for n in range(4)]
    orders = [
        (1, day[0], f"{day[0]} 09:00:00"),
        (2, day[1], f"{day[1]} 10:00:00"),
        (3, day[2], "not a time"),
        (4, day[3], f"{day[3]} 11:00:00"),
        (5, day[3], f"{day[3]} 12:00:00"),
    ]
    settings = ApiSettings(
        base_url="http://127.0.0.1:9", token="t", window_end="inclusive", per_page=100
    )
    seen: dict[dt.date, list[int]] = {}

    def sink(extract: WindowExtract) -> None:
        seen[extract.window.day] = ids(extract.orders)

    summary = extract_windows(
        settings,
        [DayWindow(d) for d in day],
        sink,
        transport=fake_api(orders),
        spans=SpanPolicy(target_orders=100_000),
    )

    # The unreadable one stays in the window whose one-day search returned it.
    assert seen == {day[0]: [1], day[1]: [2], day[2]: [3], day[3]: [4, 5]}
    assert summary.orders == 5
    assert summary.requests == summary.pages


@pytest.mark.parametrize("end_inclusive", [True, False])
def test_the_first_search_keeps_the_next_day_only_when_it_proves_end_inclusive(
    make_sandbox: MakeSandbox, end_inclusive: bool
) -> None:
    last = START + dt.timedelta(days=9)
    sandbox = make_sandbox(orders=200, start=START, end=last, end_inclusive=end_inclusive)
    windows = split_days(START, last)
    received: list[WindowExtract] = []

    extract_spans(settings_for(sandbox), windows, received.extend)

    assert sorted(e.window for e in received) == windows
    for extract in received:
        assert ids(extract.orders) == ids(sandbox.state.orders_on(extract.window.day))
    first_search = searched_ranges(sandbox)[0]
    second_day = START + dt.timedelta(days=1)
    # The first search asks day 1 up to day 2, as `__end` may be exclusive.
    assert first_search == (START, second_day)
    later_starts = {first for first, _ in set(searched_ranges(sandbox)) - {first_search}}
    if end_inclusive:
        # Its answer held day 2 whole: no later search reads day 2 again.
        assert min(later_starts) > second_day
        assert [e.window.day for e in received[:2]] == [START, second_day]
    else:
        assert second_day in later_starts


@pytest.mark.parametrize("max_concurrency", [1, 8])
def test_with_one_request_in_flight_searches_run_one_at_a_time_and_twice_as_long(
    make_sandbox: MakeSandbox, max_concurrency: int
) -> None:
    # ~200 orders a day: the default search of 2,500 orders covers ~12 days.
    last = START + dt.timedelta(days=39)
    sandbox = make_sandbox(orders=8_000, start=START, end=last)
    windows = split_days(START, last)
    received: list[WindowExtract] = []
    settings = settings_for(sandbox, per_page=100, max_concurrency=max_concurrency)

    extract_spans(settings, windows, received.extend)

    for extract in received:
        assert ids(extract.orders) == ids(sandbox.state.orders_on(extract.window.day))
    ranges = searched_ranges(sandbox)
    searches = list(dict.fromkeys(ranges))
    longest = max((end - start).days for start, end in searches)
    if max_concurrency == 1:
        assert 20 <= longest <= 26
        # One search at a time: each search's requests come one after another.
        assert [r for r, _ in itertools.groupby(ranges)] == searches
    else:
        assert 10 <= longest <= 13
        assert [r for r, _ in itertools.groupby(ranges)] != searches
