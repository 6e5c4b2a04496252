"""Day windows extracted from the sandbox equal the sandbox's truth: nothing lost, nothing twice."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from orders_connector.client import OrdersClient
from orders_connector.errors import AuthenticationError, DriftError, ProtocolError
from orders_connector.extract import (
    WindowExtract,
    extract_window,
    extract_windows,
    iter_extract,
)
from orders_connector.sandbox import Faults, SandboxServer
from orders_connector.settings import ApiSettings, WindowEnd
from orders_connector.windows import DayWindow, split_days

pytestmark = pytest.mark.anyio

MakeSandbox = Callable[..., SandboxServer]
DAY = dt.date(2025, 10, 4)


async def no_sleep(seconds: float) -> None:
    return None


def settings_for(sandbox: SandboxServer, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "base_url": sandbox.base_url,
        "token": sandbox.config.token,
        "timezone": sandbox.config.timezone,
        "per_page": 5,
    }
    return ApiSettings(**{**values, **overrides})


def client_for(sandbox: SandboxServer, **overrides: Any) -> OrdersClient:
    return OrdersClient(settings_for(sandbox, **overrides), sleep=no_sleep, jitter=lambda d: d)


def ids(orders: list[dict[str, Any]]) -> list[int]:
    return sorted(int(order["id"]) for order in orders)


def item_requests(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.state.requests if r.path.endswith("/contact-order-item"))


def item_pages(sandbox: SandboxServer, orders: list[dict[str, Any]], per_page: int = 5) -> int:
    """Requests the item sub-resource needs for these orders (an order with none needs one)."""
    return sum(max(1, -(-len(sandbox.state.items_of(o["id"])) // per_page)) for o in orders)


# --- one window ------------------------------------------------------------------------------


async def test_a_window_equals_the_sandbox_truth(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        extract = await extract_window(client, DayWindow(DAY), window_end="inclusive")

    truth = sandbox.state.orders_on(DAY)
    assert extract.orders == sorted(truth, key=lambda o: o["id"])
    assert extract.meta_total == extract.fetched_ids == len(truth)
    assert extract.pages == extract.requests == -(-len(truth) // 5) > 1
    assert extract.drift_rereads == extract.retries == extract.throttled == 0
    assert extract.items_source == "embedded"
    assert extract.rejected == []
    assert extract.fetched_at.tzinfo is not None and extract.fetched_at.utcoffset() == dt.timedelta(
        0
    )


async def test_odd_payloads_are_passed_through_untouched(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=Faults(unknown_enum_rate=0.4, malformed_rate=0.4))
    async with client_for(sandbox) as client:
        extract = await extract_window(client, DayWindow(DAY), window_end="inclusive")

    assert extract.orders == sorted(sandbox.state.orders_on(DAY), key=lambda o: o["id"])
    assert extract.rejected == []


async def test_orders_created_while_paging_are_caught_by_a_re_read(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(faults=Faults(insert_during_paging=2, insert_during_paging_max=4))
    before = len(sandbox.state.orders_on(DAY))
    async with client_for(sandbox) as client:
        extract = await extract_window(client, DayWindow(DAY), window_end="inclusive")

    truth = sandbox.state.orders_on(DAY)
    assert sandbox.state.paging_inserts == 4 and len(truth) == before + 4
    assert ids(extract.orders) == ids(truth)
    assert extract.drift_rereads >= 1
    assert extract.meta_total == len(truth)


async def test_a_window_that_never_settles_raises_drift_error(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=Faults(insert_during_paging=1, insert_during_paging_max=10_000))
    async with client_for(sandbox) as client:
        with pytest.raises(DriftError, match=r"window 2025-10-04: .* after 2 re-read"):
            await extract_window(
                client, DayWindow(DAY), window_end="inclusive", max_drift_rereads=2
            )


# --- window boundaries -----------------------------------------------------------------------

BOUNDARY_TIMES = (
    "2025-10-04 00:00:00",
    "2025-10-04 23:59:59",
    "2025-10-05 00:00:00",
    "2025-10-05 23:59:59",
    "2025-10-06 00:00:00",
)
CASES = [
    (timezone, end_inclusive, window_end)
    for timezone in ("Asia/Taipei", "America/Los_Angeles")
    for end_inclusive in (True, False)
    # "inclusive" is a statement about the server; it is only right where the server is.
    for window_end in (
        ("unknown", "exclusive", "inclusive") if end_inclusive else ("unknown", "exclusive")
    )
]


@pytest.mark.parametrize(("timezone", "end_inclusive", "window_end"), CASES)
def test_boundary_orders_land_in_exactly_one_window(
    make_sandbox: MakeSandbox, timezone: str, end_inclusive: bool, window_end: WindowEnd
) -> None:
    sandbox = make_sandbox(timezone=timezone, end_inclusive=end_inclusive)
    placed = {at: sandbox.state.insert_order(at) for at in BOUNDARY_TIMES}
    windows = split_days(dt.date(2025, 10, 3), dt.date(2025, 10, 7))
    seen: dict[dt.date, list[int]] = {}

    summary = extract_windows(
        settings_for(sandbox, window_end=window_end),
        windows,
        lambda extract: seen.__setitem__(extract.window.day, ids(extract.orders)),
    )

    for window in windows:
        assert seen[window.day] == ids(sandbox.state.orders_on(window.day)), window.key
    every = [order_id for day_ids in seen.values() for order_id in day_ids]
    assert len(every) == len(set(every)) == summary.orders
    for at, order_id in placed.items():
        assert order_id in seen[dt.date.fromisoformat(at[:10])]


async def test_an_inclusive_end_is_learned_and_later_windows_ask_one_day(
    sandbox: SandboxServer,
) -> None:
    windows = split_days(dt.date(2025, 10, 3), dt.date(2025, 10, 5))
    async with client_for(sandbox) as client:
        extracts = [
            e
            async for e in iter_extract(client, windows, window_end="unknown", window_concurrency=1)
        ]

    assert client.learned_window_end == "inclusive"
    asked = {
        (r.query["order_created_at__start"], r.query["order_created_at__end"])
        for r in sandbox.state.requests
    }
    assert asked == {
        ("2025-10-03", "2025-10-04"),
        ("2025-10-04", "2025-10-04"),
        ("2025-10-05", "2025-10-05"),
    }
    for extract in extracts:
        assert ids(extract.orders) == ids(sandbox.state.orders_on(extract.window.day))


async def test_an_exclusive_end_is_never_mistaken_for_inclusive(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(end_inclusive=False)
    windows = split_days(dt.date(2025, 10, 3), dt.date(2025, 10, 4))
    async with client_for(sandbox) as client:
        async for extract in iter_extract(client, windows, window_end="unknown"):
            assert ids(extract.orders) == ids(sandbox.state.orders_on(extract.window.day))

    assert client.learned_window_end is None


# --- items -----------------------------------------------------------------------------------


async def test_items_not_embedded_are_found_on_the_endpoint_and_remembered(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(embed_items=False)
    windows = [DayWindow(DAY), DayWindow(DAY + dt.timedelta(days=1))]
    async with client_for(sandbox) as client:
        extracts = [
            e
            async for e in iter_extract(
                client, windows, window_end="inclusive", window_concurrency=1
            )
        ]

    assert client.learned_items_source == "endpoint"
    for extract in extracts:
        assert extract.items_source == "endpoint"
        for order in extract.orders:
            assert order["items"] == sandbox.state.items_of(order["id"])
    assert item_requests(sandbox) == sum(item_pages(sandbox, e.orders) for e in extracts)


async def test_embedded_items_need_no_item_requests(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        extract = await extract_window(client, DayWindow(DAY), window_end="inclusive")

    assert extract.items_source == "embedded"
    assert client.learned_items_source == "embedded"
    assert item_requests(sandbox) == 0
    assert any(order["items"] for order in extract.orders)


async def test_items_mode_endpoint_always_reads_the_sub_resource(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        extract = await extract_window(
            client, DayWindow(DAY), window_end="inclusive", items_mode="endpoint"
        )

    assert extract.items_source == "endpoint"
    assert item_requests(sandbox) == item_pages(sandbox, extract.orders) > len(extract.orders)
    assert extract.requests == extract.pages + item_requests(sandbox)
    for order in extract.orders:
        assert order["items"] == sandbox.state.items_of(order["id"])


async def test_an_empty_window_has_no_items_source(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        extract = await extract_window(
            client, DayWindow(dt.date(2025, 12, 1)), window_end="unknown"
        )

    assert extract.orders == [] and extract.items_source == "none"
    assert extract.meta_total == 0 and extract.pages == 1


# --- several windows -------------------------------------------------------------------------


async def test_concurrent_windows_count_their_own_requests_and_retries(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(faults=Faults(error_rate=0.25))
    windows = split_days(dt.date(2025, 10, 2), dt.date(2025, 10, 7))
    async with client_for(sandbox, max_retries=10) as client:
        extracts = [
            e
            async for e in iter_extract(
                client, windows, window_end="inclusive", window_concurrency=3
            )
        ]

    assert sorted(e.window for e in extracts) == windows
    for extract in extracts:
        assert extract.requests == extract.pages + extract.retries
        assert ids(extract.orders) == ids(sandbox.state.orders_on(extract.window.day))
    server_errors = sum(1 for r in sandbox.state.requests if r.status >= 500)
    assert sum(e.retries for e in extracts) == client.stats.retries == server_errors > 0
    assert sum(e.requests for e in extracts) == client.stats.requests == len(sandbox.state.requests)


def test_extract_windows_feeds_the_sink_one_window_at_a_time_off_the_loop(
    sandbox: SandboxServer,
) -> None:
    windows = split_days(dt.date(2025, 10, 1), dt.date(2025, 10, 10))
    received: list[WindowExtract] = []
    active, most_active = 0, 0
    lock = threading.Lock()
    sink_threads: set[int] = set()

    def sink(extract: WindowExtract) -> None:
        nonlocal active, most_active
        with lock:
            active += 1
            most_active = max(most_active, active)
        sink_threads.add(threading.get_ident())
        received.append(extract)
        with lock:
            active -= 1

    summary = extract_windows(settings_for(sandbox), windows, sink, window_concurrency=3)

    assert sorted(e.window for e in received) == windows
    assert most_active == 1
    assert threading.get_ident() not in sink_threads
    assert summary.windows == 10
    assert (
        summary.orders
        == sum(len(e.orders) for e in received)
        == len([o for w in windows for o in sandbox.state.orders_on(w.day)])
    )
    assert summary.pages == sum(e.pages for e in received)
    assert summary.requests == len(sandbox.state.requests)
    assert summary.retries == summary.throttled == summary.drift_rereads == 0


def test_a_token_regenerated_between_windows_stops_the_run_with_401(
    sandbox: SandboxServer,
) -> None:
    windows = split_days(dt.date(2025, 10, 1), dt.date(2025, 10, 6))
    received: list[WindowExtract] = []

    def sink(extract: WindowExtract) -> None:
        received.append(extract)
        sandbox.state.rotate_token("regenerated")

    with pytest.raises(AuthenticationError) as raised:
        extract_windows(settings_for(sandbox), windows, sink, window_concurrency=1)

    # Only the first search got through: it asked days 1..2 and, the sandbox's `__end` being
    # inclusive, returned both days whole.
    assert [e.window.day for e in received] == [dt.date(2025, 10, 1), dt.date(2025, 10, 2)]
    assert sandbox.config.token not in str(raised.value)


# --- shapes only a broken server sends -------------------------------------------------------


def page_body(data: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    total = len(data) if total is None else total
    return {
        "data": data,
        "links": {},
        "meta": {"current_page": 1, "last_page": 1, "per_page": 100, "total": total},
    }


def mock_client(body: Any) -> OrdersClient:
    settings = ApiSettings(base_url="https://acme.example.test", token="mock-token", max_retries=0)
    return OrdersClient(
        settings,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=body)),
        sleep=no_sleep,
    )


async def test_orders_that_cannot_be_placed_are_reported_not_dropped() -> None:
    rows = [
        {"id": 1, "order_created_at": "2025-10-04 10:00:00", "items": [{"id": 9}]},
        {"id": 2, "order_created_at": "2025-10-05 10:00:00"},  # next day: its own window's
        {"id": 3, "order_created_at": "2025-09-01 10:00:00"},  # outside what was asked
        {"id": 4, "order_created_at": "0000-00-00 00:00:00"},  # unreadable: stays here
        {"id": None, "order_number": "NO-ID", "order_created_at": "2025-10-04 11:00:00"},
    ]
    async with mock_client(page_body(rows)) as client:
        extract = await extract_window(client, DayWindow(DAY), window_end="exclusive")

    assert ids(extract.orders) == [1, 4]
    reasons = {
        entry["payload"]["id"] or entry["payload"]["order_number"]: entry["reason"]
        for entry in extract.rejected
    }
    assert reasons == {
        3: "order_created_at '2025-09-01 10:00:00' is outside the queried range "
        "2025-10-04..2025-10-05",
        "NO-ID": "no usable id",
    }
    assert extract.meta_total == 5 and extract.fetched_ids == 4


async def test_a_list_answer_without_meta_stops_the_window() -> None:
    async with mock_client({"data": [{"id": 1}]}) as client:
        with pytest.raises(ProtocolError, match="no meta"):
            await extract_window(client, DayWindow(DAY), window_end="unknown")


async def test_an_empty_first_page_with_a_total_stops_the_window() -> None:
    async with mock_client(page_body([], total=40)) as client:
        with pytest.raises(ProtocolError, match="empty although total=40"):
            await extract_window(client, DayWindow(DAY), window_end="unknown")
