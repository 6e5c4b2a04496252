"""The DuckDB warehouse: schema, named SQL, atomic landing, the single-writer lock."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orders_connector.enums import FINANCIAL_STATUSES, FULFILLMENT_STATUSES, RETURN_STATUSES
from orders_connector.errors import WarehouseBusyError
from orders_connector.schema import TABLES
from orders_connector.sqlfiles import SqlFileNotFoundError, load_sql
from orders_connector.warehouse import Warehouse

DAY = dt.date(2025, 11, 1)
FETCHED = dt.datetime(2025, 11, 2, 3, 0, tzinfo=dt.UTC)
LATER = FETCHED + dt.timedelta(hours=1)


def payload(order_id: Any, **fields: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "order_number": f"O{order_id}",
        "order_created_at": "2025-11-01 10:00:00",
        "total_price": "100.00",
        "financial_status": "paid",
        "items": [],
        **fields,
    }


@pytest.fixture
def warehouse(tmp_path: Path) -> Any:
    with Warehouse(tmp_path / "orders.duckdb") as wh:
        wh.ensure_schema()
        yield wh


def raw_rows(wh: Warehouse, day: dt.date = DAY) -> list[tuple[Any, ...]]:
    return wh.connection.execute(
        "SELECT order_id, payload::VARCHAR, fetched_at, content_hash FROM raw_orders "
        "WHERE window_date = ? ORDER BY order_id",
        [day],
    ).fetchall()


def sync_row(wh: Warehouse, day: dt.date = DAY) -> dict[str, Any]:
    cursor = wh.connection.execute("SELECT * FROM sync_windows WHERE window_date = ?", [day])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


# --- schema -------------------------------------------------------------------------------


def test_ddl_creates_exactly_the_columns_schema_py_lists(warehouse: Warehouse) -> None:
    rows = warehouse.connection.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        actual.setdefault(table, []).append((column, data_type))
    expected = {name: [(c.name, c.type) for c in table.columns] for name, table in TABLES.items()}
    for name in expected:
        assert actual.get(name) == expected[name], name
    assert all(c.description for t in TABLES.values() for c in t.columns)


def test_primary_keys_in_ddl_match_schema_py(warehouse: Warehouse) -> None:
    rows = warehouse.connection.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
        "WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    keys = {table: tuple(columns) for table, columns in rows}
    for name, table in TABLES.items():
        assert keys.get(name, ()) == table.primary_key, name


def test_ensure_schema_is_idempotent_and_seeds_every_published_status(
    warehouse: Warehouse,
) -> None:
    warehouse.ensure_schema()
    for table, enum in (
        ("financial_statuses", FINANCIAL_STATUSES),
        ("fulfillment_statuses", FULFILLMENT_STATUSES),
        ("return_statuses", RETURN_STATUSES),
    ):
        rows = warehouse.connection.execute(
            f"SELECT code, label, is_known, first_seen, order_count FROM {table}"
        ).fetchall()
        assert sorted(rows) == sorted((c, label, True, None, 0) for c, label in enum.items())


# --- named SQL ----------------------------------------------------------------------------


def test_load_sql_reads_the_repository_file() -> None:
    assert "CREATE TABLE IF NOT EXISTS orders" in load_sql("ddl")


def test_load_sql_names_the_missing_file() -> None:
    with pytest.raises(SqlFileNotFoundError, match=r"no_such_query\.sql"):
        load_sql("no_such_query")


def test_load_sql_refuses_paths() -> None:
    with pytest.raises(ValueError, match="not a SQL file name"):
        load_sql("../pyproject")


def test_execute_and_fetch_run_named_files_with_bound_parameters(warehouse: Warehouse) -> None:
    warehouse.execute(
        "seed_status_dims",
        {
            "financial_codes": ["paid", "x'); DROP TABLE orders; --"],
            "financial_labels": ["Paid", "injected?"],
            "fulfillment_codes": [],
            "fulfillment_labels": [],
            "return_codes": [],
            "return_labels": [],
        },
    )
    summary = {row[0]: row[1:] for row in warehouse.fetch("status_dims_summary")}
    assert summary["financial_statuses"][:2] == (
        len(FINANCIAL_STATUSES) + 1,
        len(FINANCIAL_STATUSES) - 1,
    )
    assert warehouse.connection.execute("SELECT count(*) FROM orders").fetchone() == (0,)
    with pytest.raises(ValueError, match="bind named parameters"):
        warehouse.execute("seed_status_dims", ["x"])
    with pytest.raises(ValueError, match="needs parameters"):
        warehouse.execute("seed_status_dims", {})


# --- landing ------------------------------------------------------------------------------


def test_land_window_stores_payloads_and_sync_stats(warehouse: Warehouse) -> None:
    stats = {
        "meta_total": 2,
        "fetched_ids": 2,
        "pages": 1,
        "requests": 3,
        "retries": 1,
        "throttled": 1,
        "drift_rereads": 0,
        "seconds": 1.5,
        "items_source": "embedded",
        "open_orders": 1,
    }
    items = [{"id": 9, "quantity": 1, "product": {"id": 3, "price": 3100}}]
    landed = warehouse.land_window(
        DAY, [payload(1, items=items), payload(2)], fetched_at=FETCHED, stats=stats
    )
    assert landed == 2
    rows = raw_rows(warehouse)
    assert [r[0] for r in rows] == [1, 2]
    assert all(r[2] == FETCHED for r in rows)
    assert len({r[3] for r in rows}) == 2
    assert all(len(r[3]) == 32 for r in rows)
    row = sync_row(warehouse)
    assert row == {
        "window_date": DAY,
        "synced_at": FETCHED,
        **stats,
        "orders": 2,
        "items": 1,
        "rejected": 0,
    }


def test_reland_replaces_the_window_and_leaves_other_windows(warehouse: Warehouse) -> None:
    other = DAY + dt.timedelta(days=1)
    warehouse.land_window(DAY, [payload(1), payload(2)], fetched_at=FETCHED, stats={})
    warehouse.land_window(other, [payload(5)], fetched_at=FETCHED, stats={})
    warehouse.land_window(DAY, [payload(2, note="new"), payload(3)], fetched_at=LATER, stats={})
    rows = raw_rows(warehouse)
    assert [r[0] for r in rows] == [2, 3]
    assert '"note":"new"' in rows[0][1]
    assert all(r[2] == LATER for r in rows)
    assert [r[0] for r in raw_rows(warehouse, other)] == [5]
    assert sync_row(warehouse)["synced_at"] == LATER


def test_payloads_without_a_usable_id_are_kept_in_raw_rejected(warehouse: Warehouse) -> None:
    landed = warehouse.land_window(
        DAY,
        [
            payload(1),
            {"order_number": "no id"},
            payload("12a"),
            payload(True),
            payload("7"),
            payload(8, note="first copy"),
            payload(8, note="second copy"),
        ],
        fetched_at=FETCHED,
        stats={},
        rejected=[({"id": 99, "odd": True}, "outside the window")],
    )
    assert landed == 3
    assert [r[0] for r in raw_rows(warehouse)] == [1, 7, 8]
    assert "second copy" in raw_rows(warehouse)[2][1]
    rejected = warehouse.connection.execute(
        "SELECT payload->>'$.order_number', payload->>'$.note', reason FROM raw_rejected "
        "WHERE window_date = ? ORDER BY reason",
        [DAY],
    ).fetchall()
    reasons = [r[2] for r in rejected]
    assert "duplicate id 8: a later copy was landed" in reasons
    assert "outside the window" in reasons
    assert "missing or unusable id: None" in reasons
    assert "missing or unusable id: '12a'" in reasons
    assert "missing or unusable id: True" in reasons
    assert ("O8", "first copy", "duplicate id 8: a later copy was landed") in rejected
    assert sync_row(warehouse)["rejected"] == 5
    # A re-land replaces the window's rejected rows too.
    warehouse.land_window(DAY, [payload(1)], fetched_at=LATER, stats={})
    assert warehouse.connection.execute("SELECT count(*) FROM raw_rejected").fetchone() == (0,)


def test_a_payload_that_cannot_be_stored_leaves_the_window_as_it_was(
    warehouse: Warehouse,
) -> None:
    warehouse.land_window(DAY, [payload(1), payload(2)], fetched_at=FETCHED, stats={"pages": 1})
    before = raw_rows(warehouse)
    with pytest.raises(ValueError, match="payload #1 of window 2025-11-01 cannot be stored"):
        warehouse.land_window(
            DAY,
            [payload(3), payload(4, note={1, 2})],
            fetched_at=LATER,
            stats={"pages": 2},
        )
    with pytest.raises(ValueError, match="cannot be stored"):
        warehouse.land_window(
            DAY, [payload(3, total_price=float("nan"))], fetched_at=LATER, stats={}
        )
    assert raw_rows(warehouse) == before
    assert sync_row(warehouse)["pages"] == 1


def test_a_failure_inside_the_transaction_rolls_the_whole_landing_back(
    warehouse: Warehouse,
) -> None:
    warehouse.land_window(DAY, [payload(1), payload(2)], fetched_at=FETCHED, stats={"pages": 1})
    before = raw_rows(warehouse)
    # The raw rows are already replaced when the sync_windows upsert meets the bad value.
    with pytest.raises(duckdb.Error):
        warehouse.land_window(DAY, [payload(3)], fetched_at=LATER, stats={"pages": "many"})
    assert raw_rows(warehouse) == before
    assert sync_row(warehouse)["pages"] == 1
    # The connection is usable afterwards.
    assert warehouse.land_window(DAY, [payload(3)], fetched_at=LATER, stats={}) == 1


def test_land_window_refuses_unknown_stats_and_naive_times(warehouse: Warehouse) -> None:
    with pytest.raises(ValueError, match="unknown stats keys \\['pagez'\\]"):
        warehouse.land_window(DAY, [payload(1)], fetched_at=FETCHED, stats={"pagez": 1})
    with pytest.raises(ValueError, match="timezone-aware"):
        warehouse.land_window(DAY, [payload(1)], fetched_at=dt.datetime(2025, 11, 2), stats={})
    assert raw_rows(warehouse) == []


def test_an_empty_window_lands_as_zero_rows(warehouse: Warehouse) -> None:
    warehouse.land_window(DAY, [payload(1)], fetched_at=FETCHED, stats={})
    assert warehouse.land_window(DAY, [], fetched_at=LATER, stats={"meta_total": 0}) == 0
    assert raw_rows(warehouse) == []
    assert sync_row(warehouse)["orders"] == 0


def test_text_is_stored_byte_for_byte(warehouse: Warehouse) -> None:
    note = '出貨前請來電 📦🚚 — ‘quotes’ "double" \\ back\nnew line\ttab \u2028 ' * 20_000
    warehouse.land_window(
        DAY, [payload(1, note=note, receiver_name="王小明 😀")], fetched_at=FETCHED, stats={}
    )
    stored = warehouse.connection.execute(
        "SELECT payload->>'$.note', payload->>'$.receiver_name' FROM raw_orders"
    ).fetchone()
    assert stored == (note, "王小明 😀")


def test_a_lone_surrogate_becomes_a_replacement_character(warehouse: Warehouse) -> None:
    # json.loads accepts "\\ud800"; no JSON store can hold it, the rest of the order must land.
    warehouse.land_window(DAY, [payload(1, note="ok \ud800 ok 中")], fetched_at=FETCHED, stats={})
    stored = warehouse.connection.execute("SELECT payload->>'$.note' FROM raw_orders").fetchone()
    assert stored == ("ok \ufffd ok 中",)


# --- connections --------------------------------------------------------------------------


def test_memory_database_needs_no_file(tmp_path: Path) -> None:
    with Warehouse(":memory:") as wh:
        assert wh.land_window(DAY, [payload(1)], fetched_at=FETCHED, stats={}) == 1
        assert wh.normalize_windows([DAY]).orders == 1
    assert list(tmp_path.iterdir()) == []


def test_read_only_warehouse_reads_what_a_writer_left(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "orders.duckdb"
    with Warehouse(path) as wh:
        wh.land_window(DAY, [payload(1)], fetched_at=FETCHED, stats={})
    with Warehouse(path, read_only=True) as reader:
        assert reader.connection.execute("SELECT count(*) FROM raw_orders").fetchone() == (1,)
        with pytest.raises(duckdb.Error):
            reader.land_window(DAY, [payload(2)], fetched_at=FETCHED, stats={})


def test_a_borrowed_connection_stays_open(tmp_path: Path) -> None:
    connection = duckdb.connect(str(tmp_path / "orders.duckdb"))
    with Warehouse.from_connection(connection, timezone="Asia/Taipei") as wh:
        wh.land_window(DAY, [payload(1)], fetched_at=FETCHED, stats={})
    assert connection.execute("SELECT count(*) FROM raw_orders").fetchone() == (1,)
    connection.close()


def test_nested_transactions_commit_or_roll_back_together(warehouse: Warehouse) -> None:
    with pytest.raises(RuntimeError), warehouse.transaction():
        warehouse.land_window(DAY, [payload(1)], fetched_at=FETCHED, stats={})
        raise RuntimeError("caller failed after landing")
    assert raw_rows(warehouse) == []
    with warehouse.transaction():
        warehouse.land_window(DAY, [payload(1)], fetched_at=FETCHED, stats={})
        warehouse.normalize_windows([DAY])
    assert warehouse.connection.execute("SELECT count(*) FROM orders").fetchone() == (1,)


def test_a_file_held_by_another_process_fails_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time, duckdb
                con = duckdb.connect({str(path)!r})
                print("holding", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseBusyError) as caught:
            Warehouse(path, lock_timeout_seconds=0.5)
        message = str(caught.value)
        assert str(path) in message
        assert "locked by another process" in message
        assert "\n" not in message
    finally:
        holder.communicate("")
    # Once the other process lets go, the file opens.
    with Warehouse(path, lock_timeout_seconds=5) as wh:
        wh.ensure_schema()
