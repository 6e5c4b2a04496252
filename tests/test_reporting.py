"""The reporting views, after real syncs of a sandbox, against numbers computed here in Python
from the sandbox's own orders (the truth), never from the warehouse's tables."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from orders_connector.enums import STATUS_ENUMS, STATUS_FIELDS, TERMINAL_STATUSES
from orders_connector.reporting import (
    STUCK_RETURN_DAYS,
    VIEW_NAMES,
    VIEW_SOURCES,
    create_views,
    view_columns,
)
from orders_connector.sandbox import Faults, SandboxConfig, SandboxServer
from orders_connector.schema import TABLES, VIEWS
from orders_connector.settings import ApiSettings
from orders_connector.sqlfiles import load_sql
from orders_connector.sync import land_windows
from orders_connector.warehouse import Warehouse
from orders_connector.windows import DayWindow

TOKEN = "reporting-token-93c1"
TIMEZONE = "Asia/Taipei"
DAYS = [dt.date(2025, 10, 1) + dt.timedelta(days=i) for i in range(3)]
NOW = dt.datetime.now(dt.UTC)
# Three syncs, observed 30, 10 and 4 days ago (normalize stamps history with these times).
SYNC_TIMES = [NOW - dt.timedelta(days=d) for d in (30, 10, 4)]
HOUR = 3600.0

Order = dict[str, Any]
Statuses = tuple[str | None, str | None, str | None]


@dataclass
class Synced:
    db: Path
    truth: dict[int, Order]  # every order as the sandbox serves it after the last sync
    snapshots: list[tuple[dt.datetime, dict[int, Statuses]]]  # statuses at each sync
    product_prices: dict[int, Decimal]
    product_names: dict[int, tuple[str, str]]


def statuses(order: Order) -> Statuses:
    return (order["financial_status"], order["fulfillment_status"], order["return_status"])


def truth_of(sandbox: SandboxServer) -> dict[int, Order]:
    return {o["id"]: o for day in DAYS for o in sandbox.state.orders_on(day)}


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """Three real syncs of a small sandbox (10% unknown status values), with CRM changes between
    them: orders 1-6 unshipped -> preparing, 1-3 then fulfilled; 7-8 in a return from before the
    first sync; 9-10 start a return before the second sync; 11 finishes a return."""
    db = tmp_path_factory.mktemp("reporting") / "orders.duckdb"
    config = SandboxConfig(
        orders=90,
        start=DAYS[0],
        end=DAYS[-1],
        seed=5,
        token=TOKEN,
        faults=Faults(unknown_enum_rate=0.1),
    )
    changes_before_sync: list[dict[int, dict[str, str]]] = [
        {
            **{i: {"fulfillment_status": "unshipped"} for i in range(1, 7)},
            7: {"return_status": "in_hub"},
            8: {"return_status": "request_return"},
            11: {"return_status": "returning"},
        },
        {
            **{i: {"fulfillment_status": "preparing"} for i in range(1, 7)},
            9: {"return_status": "returning"},
            10: {"return_status": "checking", "financial_status": "pending_refund"},
        },
        {
            **{i: {"fulfillment_status": "fulfilled"} for i in range(1, 4)},
            11: {"return_status": "returned", "financial_status": "refunded"},
        },
    ]
    with SandboxServer(config) as sandbox:
        settings = ApiSettings(
            base_url=sandbox.base_url, token=TOKEN, timezone=TIMEZONE, max_retries=1
        )
        windows = [DayWindow(day) for day in DAYS]
        snapshots = []
        with Warehouse(db, timezone=TIMEZONE) as warehouse:
            for observed_at, changes in zip(SYNC_TIMES, changes_before_sync, strict=True):
                for order_id, fields in changes.items():
                    sandbox.state.mutate(order_id, **fields)
                land_windows(settings, warehouse, windows)
                warehouse.normalize_windows(DAYS, observed_at=observed_at)
                snapshots.append(
                    (observed_at, {i: statuses(o) for i, o in truth_of(sandbox).items()})
                )
            create_views(warehouse)
        yield Synced(
            db=db,
            truth=truth_of(sandbox),
            snapshots=snapshots,
            product_prices={p.id: Decimal(p.price) for p in sandbox.state.products},
            product_names={p.id: (p.name, p.sku) for p in sandbox.state.products},
        )


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def local_day(order: Order) -> dt.date:
    return dt.date.fromisoformat(order["order_created_at"][:10])


def local_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def as_utc(text: str) -> dt.datetime:
    return local_time(text).replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(dt.UTC)


def payment_state(status: str | None) -> str:
    """The documented grouping, stated from the enum list rather than copied from the SQL."""
    if status == "paid":
        return "paid"
    if status in STATUS_ENUMS["financial_status"]:
        return "refund" if "refund" in status else "unpaid"
    return "unknown"


def return_state(status: str | None) -> str:
    if status in (None, "no_need"):
        return "none"
    if status in TERMINAL_STATUSES["return_status"]:
        return {"partial_return": "partially_returned"}.get(status, status)
    return "open"


def units(order: Order) -> int:
    return sum(int(item["quantity"]) for item in order["items"])


# --- the data set is what the tests need ---------------------------------------------------------


def test_the_data_set_holds_what_the_views_are_tested_on(synced: Synced) -> None:
    states = Counter(payment_state(o["financial_status"]) for o in synced.truth.values())
    returns = Counter(return_state(o["return_status"]) for o in synced.truth.values())
    assert set(states) == {"paid", "unpaid", "refund", "unknown"}
    assert {"none", "open", "returned", "refused"} <= set(returns)
    assert len({o["order_source"] for o in synced.truth.values()}) > 1


# --- columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_each_views_real_columns_are_the_declared_ones(synced: Synced, view: str) -> None:
    with Warehouse(synced.db, timezone=TIMEZONE, read_only=True) as warehouse:
        real = view_columns(warehouse, view)
    assert real == [(c.name, c.type) for c in VIEWS[view].columns]


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_each_view_reads_what_its_lineage_says(view: str) -> None:
    sql = re.sub(r"--.*", "", load_sql(f"view_{view}"))
    ctes = set(re.findall(r"(\w+) AS \(", sql))
    relations = re.findall(r"(?<!DISTINCT )\b(?:FROM|JOIN)\s+(\w+)", sql)
    read = {name for name in relations if name not in ctes}
    assert read == set(VIEW_SOURCES[view])
    assert read <= set(TABLES) | set(VIEWS) | {"status_terminal"}
    assert all(VIEW_NAMES.index(v) < VIEW_NAMES.index(view) for v in read if v in VIEWS)


def test_creating_the_views_twice_changes_nothing(synced: Synced, tmp_path: Path) -> None:
    before = rows(synced.db, "SELECT * FROM daily_sales ORDER BY ALL")
    with Warehouse(synced.db, timezone=TIMEZONE) as warehouse:
        assert create_views(warehouse) == VIEW_NAMES
    assert rows(synced.db, "SELECT * FROM daily_sales ORDER BY ALL") == before


def test_views_exist_on_an_empty_warehouse_and_hold_no_rows(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "empty.duckdb", timezone=TIMEZONE) as warehouse:
        create_views(warehouse)
    for view in VIEW_NAMES:
        assert rows(tmp_path / "empty.duckdb", f"SELECT count(*) FROM {view}") == [(0,)]


# --- per order and per item ---------------------------------------------------------------------


def test_orders_enriched_derives_day_states_and_item_counts(synced: Synced) -> None:
    got = {
        r[0]: r[1:]
        for r in rows(
            synced.db,
            "SELECT id, order_day, payment_state, return_state, item_lines, units, total_price "
            "FROM orders_enriched",
        )
    }
    expected = {
        i: (
            local_day(o),
            payment_state(o["financial_status"]),
            return_state(o["return_status"]),
            len(o["items"]),
            units(o),
            money(o["total_price"]),
        )
        for i, o in synced.truth.items()
    }
    assert got == expected


def test_order_items_enriched_carries_product_order_day_and_statuses(synced: Synced) -> None:
    got = rows(
        synced.db,
        "SELECT order_id, position, item_id, product_id, product_name, product_sku, "
        "product_price, quantity, total_price_after_discounts, order_day, fulfillment_status, "
        "payment_state, return_state FROM order_items_enriched ORDER BY order_id, position",
    )
    expected = [
        (
            order_id,
            position,
            item["id"],
            item["product_id"],
            item["product"]["name"],
            item["product"]["sku"],
            synced.product_prices[item["product_id"]],
            item["quantity"],
            money(item["total_price_after_discounts"]),
            local_day(order),
            order["fulfillment_status"],
            payment_state(order["financial_status"]),
            return_state(order["return_status"]),
        )
        for order_id, order in sorted(synced.truth.items())
        for position, item in enumerate(order["items"])
    ]
    assert got == expected


# --- sales --------------------------------------------------------------------------------------


def test_daily_sales_per_day_and_source(synced: Synced) -> None:
    expected: dict[tuple[dt.date, str], list[Any]] = defaultdict(lambda: [0] * 16)
    for order in synced.truth.values():
        row = expected[(local_day(order), order["order_source"])]
        net = money(order["total_price"])
        state = payment_state(order["financial_status"])
        row[0] += 1
        row[1] += len(order["items"])
        row[2] += units(order)
        for index, name in enumerate(
            ("subtotal_price", "total_discount", "shipping_fee", "total_tax", "total_price"),
            start=3,
        ):
            row[index] += money(order[name])
        slot = 8 + 2 * ("paid", "unpaid", "refund", "unknown").index(state)
        row[slot] += 1
        row[slot + 1] += net
    got = {(r[0], r[1]): list(r[2:]) for r in rows(synced.db, "SELECT * FROM daily_sales")}
    assert got == dict(expected)
    for values in got.values():
        assert sum(values[9::2]) == values[7]  # the payment splits add up to net


# --- statuses -----------------------------------------------------------------------------------


def test_status_funnel_counts_and_shares_per_value(synced: Synced) -> None:
    total = len(synced.truth)
    expected = {}
    for position, field in enumerate(STATUS_FIELDS):
        counts = Counter(statuses(o)[position] for o in synced.truth.values())
        for value, count in counts.items():
            known = STATUS_ENUMS[field]
            terminal = (
                field == "return_status" if value is None else value in TERMINAL_STATUSES[field]
            )
            expected[(field, value)] = (
                known.get(value) if value else None,
                value in known,
                terminal,
                count,
                pytest.approx(count / total),
            )
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            synced.db,
            "SELECT status_field, status, label, is_known, is_terminal, orders, share "
            "FROM order_status_funnel",
        )
    }
    assert got == expected
    assert any(not known for _, known, *_ in got.values())  # unknown values are counted too


def test_status_crosstab_counts_each_pair(synced: Synced) -> None:
    pairs = Counter((o["financial_status"], o["fulfillment_status"]) for o in synced.truth.values())
    got = {
        (r[0], r[1]): (r[2], r[3]) for r in rows(synced.db, "SELECT * FROM order_status_crosstab")
    }
    assert got == {
        pair: (count, pytest.approx(count / len(synced.truth))) for pair, count in pairs.items()
    }


def test_status_durations_are_medians_between_observed_changes(synced: Synced) -> None:
    hours: dict[tuple[str, str | None, str | None], list[float]] = defaultdict(list)
    for order_id in synced.truth:
        for position, field in enumerate(STATUS_FIELDS):
            entered: tuple[dt.datetime, str | None] | None = None
            for observed_at, snapshot in synced.snapshots:
                value = snapshot[order_id][position]
                if entered is None:
                    entered = (observed_at, value)
                elif value != entered[1]:
                    span = (observed_at - entered[0]).total_seconds() / HOUR
                    hours[(field, entered[1], value)].append(span)
                    entered = (observed_at, value)
    got = {
        (r[0], r[1], r[2]): (r[3], r[4])
        for r in rows(synced.db, "SELECT * FROM order_status_durations")
    }
    assert got == {
        key: (len(spans), pytest.approx(sorted(spans)[len(spans) // 2]))
        for key, spans in hours.items()
    }
    # Orders 1-6 went unshipped -> preparing between the first two syncs (20 days apart).
    assert got[("fulfillment_status", "unshipped", "preparing")] == (6, pytest.approx(480.0))
    assert got[("fulfillment_status", "preparing", "fulfilled")] == (3, pytest.approx(144.0))


# --- returns ------------------------------------------------------------------------------------


def test_returns_per_day_and_source(synced: Synced) -> None:
    expected: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0] * 5)
    for order in synced.truth.values():
        row = expected[(local_day(order), order["order_source"])]
        state = return_state(order["return_status"])
        row[0] += 1
        row[1] += state != "none"
        row[2] += state == "open"
        row[3] += state == "refused"
        row[4] += state in ("returned", "partially_returned")
    got = {(r[0], r[1]): r[2:] for r in rows(synced.db, "SELECT * FROM returns")}
    assert got == {
        key: (*counts, pytest.approx(counts[1] / counts[0])) for key, counts in expected.items()
    }


def test_returns_per_product_count_each_order_once(synced: Synced) -> None:
    orders: dict[int, set[int]] = defaultdict(set)
    product_units: Counter[int] = Counter()
    for order_id, order in synced.truth.items():
        for item in order["items"]:
            orders[item["product_id"]].add(order_id)
            product_units[item["product_id"]] += int(item["quantity"])
    expected = {}
    for product_id, ids in orders.items():
        states = [return_state(synced.truth[i]["return_status"]) for i in ids]
        started = sum(s != "none" for s in states)
        expected[product_id] = (
            *synced.product_names[product_id],
            len(ids),
            product_units[product_id],
            started,
            sum(s in ("returned", "partially_returned") for s in states),
            pytest.approx(started / len(ids)),
        )
    got = {r[0]: r[1:] for r in rows(synced.db, "SELECT * FROM returns_by_product")}
    assert got == expected


def expected_open_returns(synced: Synced) -> dict[int, float]:
    """Open-return order ids -> days they have held their return status at least."""
    open_returns = {}
    for order_id, order in synced.truth.items():
        if return_state(order["return_status"]) != "open":
            continue
        first_seen = None
        for observed_at, snapshot in synced.snapshots:
            if snapshot[order_id][2] != order["return_status"]:
                first_seen = None
            elif first_seen is None:
                first_seen = observed_at
        assert first_seen is not None
        since = min(first_seen, as_utc(order["updated_at"]))
        open_returns[order_id] = (NOW - since).total_seconds() / 86400
    return open_returns


def test_open_returns_hold_every_return_in_flight_with_its_age(synced: Synced) -> None:
    expected = expected_open_returns(synced)
    got = dict(rows(synced.db, "SELECT order_id, days_in_status FROM open_returns"))
    assert got.keys() == expected.keys()
    for order_id, days in expected.items():
        assert got[order_id] == pytest.approx(days, abs=0.01)
    # Seen in a return since the first sync (30 days ago), though the CRM record is newer:
    assert got[7] == pytest.approx(30, abs=0.01) and got[8] == pytest.approx(30, abs=0.01)
    # A return started before the second sync is 10 days old; 11 finished its return.
    assert got[9] == pytest.approx(10, abs=0.01) and 11 not in got


def test_stuck_returns_are_open_returns_older_than_the_default(synced: Synced) -> None:
    expected = {i for i, days in expected_open_returns(synced).items() if days > STUCK_RETURN_DAYS}
    got = {r[0] for r in rows(synced.db, "SELECT order_id FROM stuck_returns")}
    assert got == expected
    assert {7, 8} <= got and not {9, 10} & got


# --- customers ----------------------------------------------------------------------------------


def test_contact_orders_first_last_count_and_lifetime_value(synced: Synced) -> None:
    per_contact: dict[int, list[Order]] = defaultdict(list)
    for order in synced.truth.values():
        per_contact[order["contact_id"]].append(order)
    expected = {}
    for contact_id, orders in per_contact.items():
        paid = [o for o in orders if payment_state(o["financial_status"]) == "paid"]
        expected[contact_id] = (
            len(orders),
            min(local_time(o["order_created_at"]) for o in orders),
            max(local_time(o["order_created_at"]) for o in orders),
            sum((money(o["total_price"]) for o in orders), Decimal(0)),
            len(paid),
            sum((money(o["total_price"]) for o in paid), Decimal(0)),
        )
    got = {r[0]: r[1:] for r in rows(synced.db, "SELECT * FROM contact_orders")}
    assert got == expected
    assert any(count > 1 for count, *_ in got.values())


def test_every_published_status_value_gets_its_documented_state(tmp_path: Path) -> None:
    """All enum values, not only those the data set happens to hold, plus an unknown one."""
    financial = [*STATUS_ENUMS["financial_status"], "mystery", None]
    returns = [*STATUS_ENUMS["return_status"], "mystery", None]
    payloads: list[dict[str, Any]] = [
        {
            "id": index + 1,
            "order_created_at": "2025-10-01 12:00:00",
            "financial_status": financial[index % len(financial)],
            "return_status": returns[index % len(returns)],
            "items": [],
        }
        for index in range(max(len(financial), len(returns)))
    ]
    with Warehouse(tmp_path / "states.duckdb", timezone=TIMEZONE) as warehouse:
        warehouse.land_window(DAYS[0], payloads, fetched_at=NOW, stats={})
        warehouse.normalize_windows([DAYS[0]])
        create_views(warehouse)
    got = rows(
        tmp_path / "states.duckdb",
        "SELECT financial_status, payment_state, return_status, return_state FROM orders_enriched",
    )
    assert sorted(got, key=repr) == sorted(
        (
            (
                p["financial_status"],
                payment_state(p["financial_status"]),
                p["return_status"],
                return_state(p["return_status"]),
            )
            for p in payloads
        ),
        key=repr,
    )
