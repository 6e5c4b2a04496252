"""Where corrections come from: the table, a user's SELECT, and how rows of one order merge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from orders_connector.corrections import (
    CORRECTIONS_SQL_ENV,
    corrections_sql_path,
    merge_corrections,
    read_user_corrections,
)
from orders_connector.errors import ConfigurationError
from orders_connector.warehouse import Warehouse
from orders_connector.writeback import WritebackOptions, ensure_writeback_schema, load_corrections

T0 = dt.datetime(2025, 11, 1, 8, 0, tzinfo=dt.UTC)
INSERT_ONE = (
    "INSERT INTO order_status_corrections (order_id, fulfillment_status) VALUES (11, 'received')"
)


def row(order_id: object, **fields: object) -> dict[str, object]:
    return {"order_id": order_id, **fields}


def test_the_newest_request_wins_field_by_field_and_a_null_leaves_older_targets() -> None:
    rows = [
        row(7, fulfillment_status="received", financial_status="paid", requested_at=T0),
        row(7, fulfillment_status="returned", requested_at=T0 + dt.timedelta(hours=1)),
        row(7, return_status="returned", reason="no date: counts as oldest"),
    ]
    merged = merge_corrections([("table", rows)], {})
    [correction] = merged.corrections
    assert {name: r.target for name, r in correction.fields.items()} == {
        "fulfillment_status": "returned",
        "financial_status": "paid",
        "return_status": "returned",
    }
    assert merged.rows_read == 3


def test_expected_values_travel_with_the_target_they_were_written_with() -> None:
    rows = [
        row(1, fulfillment_status="received", expected_fulfillment_status="preparing"),
        row(1, financial_status="refunded", requested_at=T0),
    ]
    [correction] = merge_corrections([("table", rows)], {}).corrections
    assert correction.fields["fulfillment_status"].expected == "preparing"
    assert correction.fields["financial_status"].expected is None


def test_rows_without_a_usable_order_id_or_any_target_are_left_out_and_counted() -> None:
    rows = [row(None, fulfillment_status="received"), row("abc", financial_status="paid")]
    rows += [row(3, reason="nothing asked"), row("4", fulfillment_status=" received ")]
    merged = merge_corrections([("sql", rows)], {})
    assert [c.order_id for c in merged.corrections] == [4]
    assert merged.corrections[0].fields["fulfillment_status"].target == "received"
    assert merged.rows_without_order == 2


def test_a_target_verified_after_its_request_is_settled_and_not_planned_again() -> None:
    rows = [row(5, fulfillment_status="received", financial_status="paid", requested_at=T0)]
    settled = {(5, "fulfillment_status", "received"): T0 + dt.timedelta(minutes=5)}
    merged = merge_corrections([("table", rows)], settled)
    [correction] = merged.corrections
    assert list(correction.fields) == ["financial_status"]
    assert merged.settled_fields == 1


def test_a_new_request_after_the_settlement_asks_again() -> None:
    later = T0 + dt.timedelta(days=1)
    rows = [row(5, fulfillment_status="received", requested_at=later)]
    settled = {(5, "fulfillment_status", "received"): T0}
    assert merge_corrections([("table", rows)], settled).corrections[0].order_id == 5


def test_table_and_user_sql_rows_feed_one_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = tmp_path / "mine.sql"
    sql.write_text(
        "SELECT 12 AS order_id, 'refunded' AS financial_status, 'payment feed' AS reason;\n"
    )
    monkeypatch.setenv(CORRECTIONS_SQL_ENV, str(sql))
    with Warehouse(tmp_path / "w.duckdb", timezone="Asia/Taipei") as warehouse:
        ensure_writeback_schema(warehouse)
        warehouse.connection.execute(INSERT_ONE)
        found = load_corrections(warehouse, WritebackOptions())
    assert [(c.order_id, c.reason) for c in found.corrections] == [(11, None), (12, "payment feed")]
    assert found.sources == ["order_status_corrections", str(sql)]


def test_user_sql_may_omit_optional_columns_and_carry_extra_ones(tmp_path: Path) -> None:
    sql = tmp_path / "c.sql"
    sql.write_text(
        "-- teams write comments too\n"
        "SELECT 1 AS order_id, 'received' AS fulfillment_status, 'x' AS team_note\n"
        "UNION ALL SELECT 2, NULL, 'y'"
    )
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        rows = read_user_corrections(warehouse.connection, sql)
    assert rows == [
        {"order_id": 1, "fulfillment_status": "received"},
        {"order_id": 2, "fulfillment_status": None},
    ]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("DELETE FROM orders", "exactly one SELECT"),
        ("SELECT 1 AS order_id, 'paid' AS financial_status; SELECT 2", "exactly one SELECT"),
        ("SELECT 'paid' AS financial_status", "no order_id column"),
        ("SELECT 1 AS order_id, 'x' AS reason", "returns none of"),
        ("SELEC 1", "does not parse"),
        ("SELECT * FROM no_such_table", "failed"),
    ],
)
def test_user_sql_that_is_not_one_usable_select_is_refused(
    tmp_path: Path, text: str, complaint: str
) -> None:
    sql = tmp_path / "bad.sql"
    sql.write_text(text)
    with (
        Warehouse(tmp_path / "w.duckdb") as warehouse,
        pytest.raises(ConfigurationError, match=complaint),
    ):
        read_user_corrections(warehouse.connection, sql)


def test_a_failing_user_query_leaves_the_warehouse_usable(tmp_path: Path) -> None:
    sql = tmp_path / "broken.sql"
    sql.write_text("SELECT CAST('x' AS INTEGER) AS order_id, 'paid' AS financial_status")
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        ensure_writeback_schema(warehouse)
        with pytest.raises(ConfigurationError, match="failed"):
            read_user_corrections(warehouse.connection, sql)
        warehouse.connection.execute(INSERT_ONE)
        assert warehouse.connection.execute(
            "SELECT count(*) FROM order_status_corrections"
        ).fetchall() == [(1,)]


def test_the_corrections_file_is_found_by_setting_or_in_sql_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CORRECTIONS_SQL_ENV, raising=False)
    project_file = Path(__file__).resolve().parent.parent / "sql" / "corrections.sql"
    if not project_file.exists():
        assert corrections_sql_path() is None
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "corrections.sql").write_text("SELECT 1 AS order_id")
    assert corrections_sql_path() == Path.cwd() / "sql" / "corrections.sql"
    monkeypatch.setenv(CORRECTIONS_SQL_ENV, str(tmp_path / "missing.sql"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        corrections_sql_path()
    assert corrections_sql_path(str(tmp_path / "sql" / "corrections.sql")).name == "corrections.sql"


def test_the_shipped_example_is_not_active() -> None:
    sql_dir = Path(__file__).resolve().parent.parent / "sql"
    assert (sql_dir / "corrections.example.sql").is_file()
