"""Normalizing raw payloads: parsing, data issues, convergence, status history and dims, UTC."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orders_connector.schema import ISSUE_PROBLEMS, TABLES
from orders_connector.warehouse import NormalizeResult, Warehouse

DAY = dt.date(2025, 11, 1)
NEXT_DAY = dt.date(2025, 11, 2)
FETCHED = dt.datetime(2025, 11, 2, 3, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 11, 3, 3, 0, tzinfo=dt.UTC)
UTC = dt.UTC


def item(item_id: int, product_id: int = 3, **fields: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "quantity": 1,
        "total_price_before_discounts": "3100.00",
        "total_discount": "0.00",
        "total_price_after_discounts": "3100.00",
        "product_id": product_id,
        "contact_order_id": 1,
        "product": {"id": product_id, "name": "Nike Dunk", "sku": "DD1503-120", "price": 3100},
        "created_at": "2025-11-01 10:00:00",
        "updated_at": "2025-11-01 10:00:00",
        **fields,
    }


def order(order_id: int, **fields: Any) -> dict[str, Any]:
    """An order as the API returns it (the vendor's example shapes)."""
    return {
        "id": order_id,
        "order_source": "cyberbiz",
        "order_created_at": "2025-11-01 10:00:00",
        "order_updated_at": "2025-11-01 11:00:00",
        "order_number": f"ORD{order_id:06d}",
        "order_name": f"#{order_id}",
        "receiver_name": "王小明",
        "receiver_address": "台北市信義區市府路45號",
        "receiver_phone": "0912345678",
        "subtotal_price": "4000.00",
        "total_discount": "0.00",
        "shipping_fee": "60.00",
        "total_tax": "0.00",
        "total_price": "4060.00",
        "financial_status": "paid",
        "fulfillment_status": "unshipped",
        "return_status": "no_need",
        "note": "請盡快出貨",
        "extra_info": None,
        "contact_id": 5263,
        "items": [item(order_id * 10)],
        "created_at": "2025-11-01 10:00:00",
        "updated_at": "2025-11-01 11:00:00",
        **fields,
    }


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "orders.duckdb") as warehouse:
        yield warehouse


def land(
    warehouse: Warehouse,
    payloads: list[dict[str, Any]],
    day: dt.date = DAY,
    fetched_at: dt.datetime = FETCHED,
) -> None:
    warehouse.land_window(day, payloads, fetched_at=fetched_at, stats={})


def sync(
    warehouse: Warehouse,
    payloads: list[dict[str, Any]],
    day: dt.date = DAY,
    fetched_at: dt.datetime = FETCHED,
    **normalize: Any,
) -> NormalizeResult:
    land(warehouse, payloads, day, fetched_at)
    return warehouse.normalize_windows([day], **normalize)


def one(warehouse: Warehouse, sql: str, *params: Any) -> Any:
    row = warehouse.connection.execute(sql, list(params)).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def order_row(warehouse: Warehouse, order_id: int) -> dict[str, Any]:
    cursor = warehouse.connection.execute("SELECT * FROM orders WHERE id = ?", [order_id])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1, f"order {order_id} is not in orders"
    return dict(zip(names, rows[0], strict=True))


def issues(warehouse: Warehouse) -> list[tuple[Any, ...]]:
    return warehouse.connection.execute(
        "SELECT order_id, field, raw_value, problem FROM order_data_issues ORDER BY ALL"
    ).fetchall()


def history(warehouse: Warehouse, order_id: int) -> list[tuple[Any, ...]]:
    return warehouse.connection.execute(
        "SELECT observed_at, financial_status, fulfillment_status, return_status, "
        "previous_financial_status, previous_fulfillment_status, previous_return_status, source "
        "FROM order_status_history WHERE order_id = ? ORDER BY seq",
        [order_id],
    ).fetchall()


def dim(warehouse: Warehouse, table: str) -> dict[str, tuple[Any, ...]]:
    rows = warehouse.connection.execute(
        f"SELECT code, label, is_known, first_seen, order_count FROM {table}"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: warehouse.connection.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in TABLES
    }


# --- parsing ------------------------------------------------------------------------------


def test_a_clean_order_lands_typed(wh: Warehouse) -> None:
    result = sync(wh, [order(1)])
    assert result == NormalizeResult(
        orders=1, items=1, products=1, issues=0, status_changes=1, unknown_status_values=0
    )
    row = order_row(wh, 1)
    assert row["order_number"] == "ORD000001"
    assert row["contact_id"] == 5263
    assert row["total_price"] == Decimal("4060.00")
    assert row["shipping_fee"] == Decimal("60.00")
    assert row["order_created_at"] == dt.datetime(2025, 11, 1, 10, 0)
    assert row["order_created_at_utc"] == dt.datetime(2025, 11, 1, 2, 0, tzinfo=UTC)
    assert row["receiver_name"] == "王小明"
    assert row["extra_info"] is None
    assert row["window_date"] == DAY
    assert row["item_count"] == 1
    assert row["synced_at"] == FETCHED
    assert row["content_hash"] == one(wh, "SELECT content_hash FROM raw_orders")
    items = wh.connection.execute("SELECT * FROM order_items").fetchall()
    assert items == [
        (
            1,
            0,
            10,
            3,
            1,
            Decimal("3100.00"),
            Decimal("0.00"),
            Decimal("3100.00"),
            "Nike Dunk",
            "DD1503-120",
            dt.datetime(2025, 11, 1, 10),
            dt.datetime(2025, 11, 1, 10),
            DAY,
        )
    ]
    assert wh.connection.execute("SELECT id, name, sku, price FROM products").fetchall() == [
        (3, "Nike Dunk", "DD1503-120", Decimal("3100.00"))
    ]
    assert issues(wh) == []


def test_numbers_where_strings_are_documented_are_fine(wh: Warehouse) -> None:
    sync(
        wh,
        [
            order(
                1,
                total_price=4060,
                subtotal_price=4000.5,
                contact_id="5263",
                receiver_phone=912345678,
                items=[item(10, quantity="2", product={"id": "3", "price": "3100.00"})],
            )
        ],
    )
    row = order_row(wh, 1)
    assert row["total_price"] == Decimal("4060.00")
    assert row["subtotal_price"] == Decimal("4000.50")
    assert row["contact_id"] == 5263
    assert row["receiver_phone"] == "912345678"
    assert one(wh, "SELECT quantity FROM order_items") == 2
    assert one(wh, "SELECT price FROM products WHERE id = 3") == Decimal("3100.00")
    assert issues(wh) == []


def test_nulls_and_missing_fields_are_not_issues(wh: Warehouse) -> None:
    bare = {"id": 1, "order_created_at": "2025-11-01 10:00:00"}
    nulls = order(2, total_price=None, contact_id=None, note=None, financial_status=None)
    nulls["items"] = [item(20, quantity=None, product=None)]
    sync(wh, [bare, nulls])
    # The one absence reported: without an items list, the order's items are unknown.
    assert issues(wh) == [(1, "items", None, "missing")]
    assert order_row(wh, 1)["item_count"] is None
    row = order_row(wh, 2)
    assert (row["total_price"], row["contact_id"], row["note"], row["financial_status"]) == (
        None,
        None,
        None,
        None,
    )
    assert wh.connection.execute(
        "SELECT quantity, product_name FROM order_items WHERE order_id = 2"
    ).fetchall() == [(None, None)]


def test_items_without_a_nested_product_land_without_issues(wh: Warehouse) -> None:
    bare = item(10)
    del bare["product"]
    sync(wh, [order(1, items=[bare, {**item(11), "product": None}])])
    assert issues(wh) == []
    assert wh.connection.execute(
        "SELECT product_id, product_name FROM order_items ORDER BY position"
    ).fetchall() == [(3, None), (3, None)]
    assert one(wh, "SELECT count(*) FROM products") == 0


BAD_VALUES: list[tuple[dict[str, Any], str, str | None, str]] = [
    ({"total_price": "N/A"}, "total_price", "N/A", "invalid_decimal"),
    ({"subtotal_price": "1,234.00"}, "subtotal_price", "1,234.00", "invalid_decimal"),
    ({"shipping_fee": True}, "shipping_fee", "true", "invalid_decimal"),
    (
        {"order_updated_at": "0000-00-00 00:00:00"},
        "order_updated_at",
        "0000-00-00 00:00:00",
        "invalid_timestamp",
    ),
    (
        {"created_at": "2025-02-30 10:00:00"},
        "created_at",
        "2025-02-30 10:00:00",
        "invalid_timestamp",
    ),
    ({"updated_at": "yesterday"}, "updated_at", "yesterday", "invalid_timestamp"),
    ({"contact_id": "12a"}, "contact_id", "12a", "invalid_integer"),
    ({"contact_id": 12.5}, "contact_id", "12.5", "invalid_integer"),
    ({"note": {"text": "hi"}}, "note", '{"text":"hi"}', "not_a_string"),
    ({"receiver_name": ["a", "b"]}, "receiver_name", '["a","b"]', "not_a_string"),
    ({"items": {"0": item(1)}}, "items", None, "not_a_list"),
    ({"items": "none"}, "items", "none", "not_a_list"),
    ({"items": None}, "items", None, "missing"),
    ({"financial_status": "PAID"}, "financial_status", "PAID", "unknown_enum"),
    ({"fulfillment_status": "lost"}, "fulfillment_status", "lost", "unknown_enum"),
    ({"return_status": "gone"}, "return_status", "gone", "unknown_enum"),
    ({"order_created_at": None}, "order_created_at", None, "missing"),
    (
        {"order_created_at": "2025-10-31 23:59:59"},
        "order_created_at",
        "2025-10-31 23:59:59",
        "outside_window",
    ),
    ({"items": [item(1, quantity=1.5)]}, "items[0].quantity", "1.5", "invalid_integer"),
    ({"items": [item(1, quantity="two")]}, "items[0].quantity", "two", "invalid_integer"),
    (
        {"items": [item(1), item(2, total_discount="N/A")]},
        "items[1].total_discount",
        "N/A",
        "invalid_decimal",
    ),
    ({"items": [item(1, id="x1")]}, "items[0].id", "x1", "invalid_integer"),
    (
        {"items": [item(1, created_at="0000-00-00 00:00:00")]},
        "items[0].created_at",
        "0000-00-00 00:00:00",
        "invalid_timestamp",
    ),
    (
        {"items": [item(1, product={"id": 3, "price": "free"})]},
        "items[0].product.price",
        "free",
        "invalid_decimal",
    ),
    (
        {"items": [item(1, product={"id": 3, "name": {"zh": "鞋"}})]},
        "items[0].product.name",
        '{"zh":"鞋"}',
        "not_a_string",
    ),
    ({"items": [5, item(2)]}, "items[0]", "5", "not_an_object"),
    ({"items": [item(1, product="Nike")]}, "items[0].product", "Nike", "not_an_object"),
]


@pytest.mark.parametrize(("fields", "field", "raw_value", "problem"), BAD_VALUES)
def test_every_bad_value_is_an_issue_and_the_order_still_lands(
    wh: Warehouse, fields: dict[str, Any], field: str, raw_value: str | None, problem: str
) -> None:
    result = sync(wh, [order(1, **fields), order(2)])
    found = issues(wh)
    assert [(f, p) for _, f, _, p in found] == [(field, problem)]
    if raw_value is not None:
        assert found[0][2] == raw_value
    assert found[0][0] == 1
    assert problem in ISSUE_PROBLEMS
    assert result.issues == 1
    assert result.orders == 2
    row = order_row(wh, 1)
    if field in row and problem != "unknown_enum" and problem != "outside_window":
        assert row[field] is None
    if problem == "unknown_enum":
        assert row[field] == raw_value


def test_issues_carry_window_and_fetch_time_and_are_replaced_not_duplicated(
    wh: Warehouse,
) -> None:
    sync(wh, [order(1, total_price="N/A", contact_id="12a")])
    wh.normalize_windows([DAY])
    wh.normalize_windows([DAY])
    assert one(wh, "SELECT count(*) FROM order_data_issues") == 2
    assert wh.connection.execute(
        "SELECT DISTINCT window_date, observed_at FROM order_data_issues"
    ).fetchall() == [(DAY, FETCHED)]
    # The source fixed one value: only the other issue is left.
    sync(wh, [order(1, contact_id="12a")], fetched_at=LATER)
    assert issues(wh) == [(1, "contact_id", "12a", "invalid_integer")]


def test_blank_strings_are_empty_values_not_issues(wh: Warehouse) -> None:
    sync(wh, [order(1, total_price="", contact_id=" ", financial_status="", note="")])
    row = order_row(wh, 1)
    assert (row["total_price"], row["contact_id"], row["financial_status"]) == (None, None, None)
    assert row["note"] == ""
    assert issues(wh) == []


def test_huge_cjk_and_emoji_text_survives_intact(wh: Warehouse) -> None:
    note = '請在週末前送達 🎁🚚 ‘smart’ "quotes" \\ 換行\n' * 50_000
    sync(wh, [order(1, note=note, receiver_name="陳美玲 👩‍👩‍👧", order_name="{not json")])
    row = order_row(wh, 1)
    assert row["note"] == note
    assert row["receiver_name"] == "陳美玲 👩‍👩‍👧"
    assert row["order_name"] == "{not json"
    assert issues(wh) == []


# --- timezones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "local", "utc"),
    [
        # Taipei (+08:00): early morning local is the previous UTC day.
        ("Asia/Taipei", "2025-11-01 03:00:00", dt.datetime(2025, 10, 31, 19, 0, tzinfo=UTC)),
        ("Asia/Taipei", "2025-11-01 23:30:00", dt.datetime(2025, 11, 1, 15, 30, tzinfo=UTC)),
        # Los Angeles: evening local is the next UTC day; -07:00 in summer, -08:00 in winter.
        ("America/Los_Angeles", "2025-11-01 20:00:00", dt.datetime(2025, 11, 2, 3, 0, tzinfo=UTC)),
        ("America/Los_Angeles", "2025-12-01 20:00:00", dt.datetime(2025, 12, 2, 4, 0, tzinfo=UTC)),
    ],
)
def test_utc_columns_convert_from_the_configured_timezone(
    tmp_path: Path, timezone: str, local: str, utc: dt.datetime
) -> None:
    day = dt.date.fromisoformat(local[:10])
    with Warehouse(tmp_path / "tz.duckdb", timezone=timezone) as warehouse:
        payload = order(1, order_created_at=local, order_updated_at=local, updated_at=None)
        sync(warehouse, [payload], day=day)
        row = order_row(warehouse, 1)
    assert row["order_created_at"] == dt.datetime.fromisoformat(local)
    assert row["order_created_at_utc"] == utc
    assert row["order_updated_at_utc"] == utc
    assert row["updated_at_utc"] is None
    assert row["window_date"] == day


def test_an_unknown_timezone_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="unknown timezone 'Mars/Olympus'"):
        Warehouse(tmp_path / "x.duckdb", timezone="Mars/Olympus")


# --- convergence --------------------------------------------------------------------------


def messy_window() -> list[dict[str, Any]]:
    return [
        order(1),
        order(2, total_price="N/A", financial_status="voided", items=[item(20), 7]),
        order(3, note={"x": 1}, items="none"),
        order(4, items=[item(40, product_id=9, product={"id": 9, "name": "鞋", "price": 10})]),
    ]


def test_reland_and_renormalize_converge_to_identical_tables(wh: Warehouse) -> None:
    sync(wh, messy_window())
    sync(wh, [order(9)], day=NEXT_DAY)
    first = snapshot(wh)
    again = sync(wh, messy_window())
    assert snapshot(wh) == first
    assert again.status_changes == 0
    wh.normalize_windows([DAY, NEXT_DAY])
    assert snapshot(wh) == first


def test_normalize_of_no_windows_does_nothing(wh: Warehouse) -> None:
    assert wh.normalize_windows([]) == NormalizeResult.empty()


def test_items_are_replaced_from_the_latest_payload(wh: Warehouse) -> None:
    sync(wh, [order(1, items=[item(10), item(11), item(12)])])
    sync(wh, [order(1, items=[item(11, quantity=5)])], fetched_at=LATER)
    assert wh.connection.execute("SELECT position, id, quantity FROM order_items").fetchall() == [
        (0, 11, 5)
    ]
    assert order_row(wh, 1)["item_count"] == 1
    sync(wh, [order(1, items=[])], fetched_at=LATER)
    assert one(wh, "SELECT count(*) FROM order_items") == 0
    assert order_row(wh, 1)["item_count"] == 0


def test_an_order_without_a_readable_items_list_keeps_its_items(wh: Warehouse) -> None:
    sync(wh, [order(1, items=[item(10), item(11)])])
    without = order(1)
    del without["items"]
    sync(wh, [without], fetched_at=LATER)
    assert one(wh, "SELECT count(*) FROM order_items") == 2
    assert order_row(wh, 1)["item_count"] is None


def test_an_order_that_moved_day_is_taken_from_its_latest_fetch(wh: Warehouse) -> None:
    sync(wh, [order(1), order(2)])
    moved = order(1, order_created_at="2025-11-02 09:00:00", note="moved")
    result = sync(wh, [moved], day=NEXT_DAY, fetched_at=LATER)
    assert result.orders == 1
    row = order_row(wh, 1)
    assert (row["window_date"], row["note"]) == (NEXT_DAY, "moved")
    assert one(wh, "SELECT window_date FROM order_items WHERE order_id = 1") == NEXT_DAY
    # Normalizing the old window again does not bring the stale copy back.
    wh.normalize_windows([DAY])
    assert order_row(wh, 1)["note"] == "moved"
    # The old window synced again without it: order 1 stays, from the new window.
    sync(wh, [order(2)], fetched_at=LATER)
    assert order_row(wh, 1)["window_date"] == NEXT_DAY


def test_an_order_gone_from_every_window_leaves_orders(wh: Warehouse) -> None:
    sync(wh, [order(1), order(2, total_price="N/A")])
    result = sync(wh, [order(1)], fetched_at=LATER)
    assert result.orders_removed == 1
    assert [r[0] for r in wh.connection.execute("SELECT id FROM orders").fetchall()] == [1]
    assert one(wh, "SELECT count(*) FROM order_items WHERE order_id = 2") == 0
    assert issues(wh) == []


def test_products_follow_the_latest_observation_and_widen_seen_times(wh: Warehouse) -> None:
    sync(wh, [order(1, items=[item(10, product={"id": 3, "name": "Old", "price": 100})])])
    later = order(2, items=[item(20, product={"id": 3, "name": "New", "price": 120})])
    result = sync(wh, [later], day=NEXT_DAY, fetched_at=LATER)
    assert result.products == 1
    assert wh.connection.execute("SELECT * FROM products").fetchall() == [
        (3, "New", None, Decimal("120.00"), FETCHED, LATER)
    ]
    # Re-normalizing the older window does not roll the product back.
    wh.normalize_windows([DAY])
    assert one(wh, "SELECT name, last_seen FROM products") == ("New", LATER)


# --- status history -----------------------------------------------------------------------


def test_history_records_first_sight_and_each_change_only(wh: Warehouse) -> None:
    sync(wh, [order(1)])
    assert history(wh, 1) == [(FETCHED, "paid", "unshipped", "no_need", None, None, None, "sync")]
    assert sync(wh, [order(1)]).status_changes == 0
    assert sync(wh, [order(1, note="edited")], fetched_at=LATER).status_changes == 0
    shipped = order(1, fulfillment_status="fulfilled")
    assert sync(wh, [shipped], fetched_at=LATER).status_changes == 1
    assert history(wh, 1)[1:] == [
        (LATER, "paid", "fulfilled", "no_need", "paid", "unshipped", "no_need", "sync")
    ]


def test_history_takes_the_given_observation_time_and_source(wh: Warehouse) -> None:
    sync(wh, [order(1)])
    at = dt.datetime(2025, 11, 5, 8, 0, tzinfo=UTC)
    refunded = order(1, financial_status="refunded", return_status="returned")
    result = sync(wh, [refunded], fetched_at=LATER, observed_at=at, source="writeback")
    assert result.status_changes == 1
    assert history(wh, 1)[-1] == (
        at,
        "refunded",
        "unshipped",
        "returned",
        "paid",
        "unshipped",
        "no_need",
        "writeback",
    )


def test_a_status_going_back_is_a_change_too(wh: Warehouse) -> None:
    sync(wh, [order(1)])
    sync(wh, [order(1, financial_status="refunded")], fetched_at=LATER)
    back_at = LATER + dt.timedelta(days=1)
    assert sync(wh, [order(1)], fetched_at=back_at).status_changes == 1
    assert [h[1] for h in history(wh, 1)] == ["paid", "refunded", "paid"]


# --- status dims --------------------------------------------------------------------------


def test_dims_count_orders_and_keep_unknown_values(wh: Warehouse) -> None:
    result = sync(
        wh,
        [
            order(1),
            order(2, financial_status="voided"),
            order(3, financial_status="voided", return_status="lost"),
            order(4, financial_status="pending"),
        ],
    )
    assert result.unknown_status_values == 2
    financial = dim(wh, "financial_statuses")
    assert financial["paid"] == ("Payment received", True, FETCHED, 1)
    assert financial["pending"] == ("Awaiting payment", True, FETCHED, 1)
    assert financial["voided"] == (None, False, FETCHED, 2)
    assert financial["refunded"] == ("Refunded", True, None, 0)
    assert dim(wh, "return_statuses")["lost"] == (None, False, FETCHED, 1)
    assert dim(wh, "fulfillment_statuses")["unshipped"][3] == 4

    # Later the unknown value is gone from every order: it stays, with its first sighting.
    sync(wh, [order(1), order(2), order(3), order(4)], fetched_at=LATER)
    financial = dim(wh, "financial_statuses")
    assert financial["voided"] == (None, False, FETCHED, 0)
    assert financial["paid"] == ("Payment received", True, FETCHED, 4)


def test_refresh_status_dimensions_summarizes_each_dim(wh: Warehouse) -> None:
    sync(wh, [order(1, financial_status="voided"), order(2, fulfillment_status="lost")])
    summary = wh.refresh_status_dimensions()
    assert summary["financial_statuses"] == {
        "status_values": 10,
        "unknown_values": 1,
        "orders_with_unknown_value": 1,
        "unknown_codes": "voided",
    }
    assert summary["fulfillment_statuses"]["unknown_codes"] == "lost"
    assert summary["return_statuses"]["unknown_values"] == 0


def test_a_failed_normalize_changes_nothing(wh: Warehouse) -> None:
    sync(wh, [order(1, items=[item(10), item(11)])])
    land(wh, [order(1, financial_status="refunded", items=[])], fetched_at=LATER)
    landed = snapshot_without(wh, "order_status_history")
    # The last step (history) fails after orders, items and dims were already rewritten.
    wh.connection.execute("DROP TABLE order_status_history")
    with pytest.raises(duckdb.CatalogException, match="order_status_history"):
        wh.normalize_windows([DAY])
    assert snapshot_without(wh, "order_status_history") == landed
    assert order_row(wh, 1)["financial_status"] == "paid"


def snapshot_without(warehouse: Warehouse, table: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: warehouse.connection.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
        for name in TABLES
        if name != table
    }


def test_payload_dicts_are_not_modified(wh: Warehouse) -> None:
    payloads = messy_window()
    kept = copy.deepcopy(payloads)
    sync(wh, payloads)
    assert payloads == kept


# --- staging at landing -------------------------------------------------------------------


def staged_counts(warehouse: Warehouse) -> tuple[int, int]:
    orders = one(warehouse, "SELECT count(*) FROM staging.orders")
    items = one(warehouse, "SELECT count(*) FROM staging.items")
    return orders, items


def test_landing_stages_each_raw_row_and_relanding_replaces_them(wh: Warehouse) -> None:
    land(wh, messy_window())
    # Order 3 has no items list; order 2's scalar item is no item row.
    assert staged_counts(wh) == (4, 3)
    land(wh, [order(1, items=[item(10), item(11)])], fetched_at=LATER)
    assert staged_counts(wh) == (1, 2)
    assert wh.connection.execute(
        "SELECT window_date, order_id, fetched_at FROM staging.orders"
    ).fetchall() == [(DAY, 1, LATER)]


def test_raw_rows_landed_without_staging_are_staged_by_the_normalize(
    wh: Warehouse, tmp_path: Path
) -> None:
    # The same windows through the normal path, in a second warehouse, are the reference.
    with Warehouse(tmp_path / "reference.duckdb") as reference:
        sync(reference, messy_window())
        sync(reference, [order(9)], day=NEXT_DAY)
        expected = snapshot(reference)
    land(wh, messy_window())
    land(wh, [order(9)], day=NEXT_DAY)
    # As a warehouse landed by a version before staging existed, or a crash right after the
    # raw rows committed, leaves it.
    wh.connection.execute("DELETE FROM staging.orders")
    wh.connection.execute("DELETE FROM staging.items")
    result = wh.normalize_windows([DAY, NEXT_DAY])
    assert (result.orders, result.items) == (5, 4)
    assert snapshot(wh) == expected
    assert staged_counts(wh) == (5, 4)


def test_when_staging_fails_the_raw_rows_stay_landed_and_the_normalize_stages_them(
    wh: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    wh.ensure_schema()
    # A staging table that every insert of the staging fails on (not the shape it writes).
    wh.connection.execute("DROP TABLE staging.items")
    wh.connection.execute(
        "CREATE TABLE staging.items AS SELECT * FROM order_items LIMIT 0; "
        "ALTER TABLE staging.items ADD COLUMN broken INTEGER NOT NULL"
    )
    with caplog.at_level("WARNING", logger="orders_connector.warehouse"):
        land(wh, [order(1), order(2)])
    assert "staging the 1 window(s) just landed failed; the normalize stages them" in caplog.text
    assert one(wh, "SELECT count(*) FROM raw_orders") == 2
    assert staged_counts(wh) == (0, 0)
    with pytest.raises(duckdb.Error):
        wh.normalize_windows([DAY])  # the error shows where parsing belongs
    assert one(wh, "SELECT count(*) FROM raw_orders") == 2
    # Repaired, the normalize stages what the landing could not.
    wh.connection.execute("DROP TABLE staging.items")
    wh.ensure_schema()
    result = wh.normalize_windows([DAY])
    assert (result.orders, result.items) == (2, 2)
    assert order_row(wh, 2)["total_price"] == Decimal("4060.00")
