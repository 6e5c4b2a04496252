"""The real asset graph, run by Dagster against the sandbox over loopback and a DuckDB file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource
from dagster_support import (
    FIRST_DAY,
    LAST_DAY,
    SANDBOX,
    TOKEN,
    days_between,
    definitions,
    expected_row,
    landed_orders,
    query,
    run_job,
    truth_orders,
)

from dagster_defs.assets.extraction import build_extraction_assets
from dagster_defs.partitions import daily_partitions
from dagster_defs.resources import OrdersApiResource
from dagster_defs.schedules import DAILY_JOB, DAILY_SCHEDULE, SYNC_JOB
from orders_connector.sandbox import SandboxServer

MakeSandbox = Callable[..., SandboxServer]
DAY = dt.date(2025, 10, 4)


@pytest.fixture
def crm(make_sandbox: MakeSandbox) -> SandboxServer:
    return make_sandbox(**SANDBOX)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "orders.duckdb"


def table_dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every business table's rows in a stable order, minus the sync bookkeeping times."""
    tables = {
        "orders": "SELECT * EXCLUDE (synced_at) FROM orders ORDER BY id",
        "order_items": "SELECT * FROM order_items ORDER BY order_id, id",
        "products": "SELECT id, name, sku, price FROM products ORDER BY id",
        "order_data_issues": "SELECT * EXCLUDE (observed_at) FROM order_data_issues "
        "ORDER BY order_id, field, problem",
        "history": "SELECT order_id, financial_status, fulfillment_status, return_status "
        "FROM order_status_history ORDER BY order_id, observed_at",
    }
    return {name: query(db, sql) for name, sql in tables.items()}


def test_definitions_load_with_jobs_schedule_and_checks(crm: SandboxServer, db: Path) -> None:
    defs = definitions(crm, db)
    repo = defs.get_repository_def()
    assert {SYNC_JOB, DAILY_JOB} <= {job.name for job in repo.get_all_jobs()}
    assert repo.get_schedule_def(DAILY_SCHEDULE).cron_schedule == "0 3 * * *"
    specs = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_orders", "orders", "order_items", "products", "order_data_issues"} <= specs
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {
        "unique_order_ids",
        "window_count_matches_api",
        "items_have_orders",
        "known_status_values",
        "window_data_issues",
    } <= checks


def test_one_partition_lands_exactly_the_sandbox_window(crm: SandboxServer, db: Path) -> None:
    partitions = daily_partitions(FIRST_DAY, "Asia/Taipei")
    result = dg.materialize(
        build_extraction_assets(partitions),
        partition_key=DAY.isoformat(),
        resources={
            "orders_api": OrdersApiResource(base_url=crm.base_url, token=TOKEN),
            "duckdb": DuckDBResource(database=str(db)),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    truth = truth_orders(crm, [DAY])
    assert truth, "the sandbox day must hold orders for this test to mean anything"
    assert landed_orders(db, [DAY]) == {i: expected_row(o) for i, o in truth.items()}
    [(items,)] = query(db, "SELECT count(*) FROM order_items WHERE window_date = ?", [DAY])
    assert items == sum(len(o["items"]) for o in truth.values())
    [raw] = result.asset_materializations_for_node("raw_orders")
    assert raw.metadata["orders"].value == len(truth)
    assert raw.metadata["requests"].value >= 1


def test_range_run_lands_every_window_and_checks_pass(crm: SandboxServer, db: Path) -> None:
    result = run_job(definitions(crm, db), SYNC_JOB, FIRST_DAY, LAST_DAY)
    assert result.success
    days = days_between(FIRST_DAY, LAST_DAY)
    truth = truth_orders(crm, days)
    assert landed_orders(db, days) == {i: expected_row(o) for i, o in truth.items()}
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    for name in ("unique_order_ids", "window_count_matches_api", "items_have_orders"):
        assert evaluations[name], name
    raw_partitions = {m.partition for m in result.asset_materializations_for_node("raw_orders")}
    assert raw_partitions == {d.isoformat() for d in days}


def test_second_run_changes_nothing(crm: SandboxServer, db: Path) -> None:
    defs = definitions(crm, db)
    assert run_job(defs, SYNC_JOB, FIRST_DAY, LAST_DAY).success
    before = table_dump(db)
    assert run_job(defs, SYNC_JOB, FIRST_DAY, LAST_DAY).success
    assert table_dump(db) == before


def test_status_changed_in_crm_shows_after_resync(crm: SandboxServer, db: Path) -> None:
    defs = definitions(crm, db)
    assert run_job(defs, SYNC_JOB, DAY, DAY).success
    order_id = next(iter(truth_orders(crm, [DAY])))
    crm.state.mutate(order_id, fulfillment_status="problem", return_status="in_hub")
    assert run_job(defs, SYNC_JOB, DAY, DAY).success
    assert query(
        db, "SELECT fulfillment_status, return_status FROM orders WHERE id = ?", [order_id]
    ) == [("problem", "in_hub")]
    history = query(
        db,
        "SELECT fulfillment_status, return_status FROM order_status_history "
        "WHERE order_id = ? ORDER BY observed_at",
        [order_id],
    )
    assert history[-1] == ("problem", "in_hub") and len(history) == 2


def test_unknown_enums_and_malformed_fields_land_with_issues(
    make_sandbox: MakeSandbox, db: Path
) -> None:
    crm = make_sandbox(**SANDBOX)
    crm.faults.unknown_enum_rate = 0.2
    crm.faults.malformed_rate = 0.2
    result = run_job(definitions(crm, db), SYNC_JOB, FIRST_DAY, LAST_DAY)
    assert result.success
    days = days_between(FIRST_DAY, LAST_DAY)
    truth = truth_orders(crm, days)
    assert set(landed_orders(db, days)) == set(truth)  # nothing lost
    problems = {p for (p,) in query(db, "SELECT DISTINCT problem FROM order_data_issues")}
    assert "unknown_enum" in problems and len(problems) >= 3
    unknown = query(db, "SELECT count(*) FROM financial_statuses WHERE NOT is_known")
    assert unknown[0][0] >= 1
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["known_status_values"].passed
    assert evaluations["known_status_values"].severity == dg.AssetCheckSeverity.WARN
    assert not evaluations["window_data_issues"].passed


def test_failure_mid_window_keeps_previous_state(crm: SandboxServer, db: Path) -> None:
    defs = definitions(crm, db, max_retries=0, per_page=10)
    assert run_job(defs, SYNC_JOB, DAY, DAY).success
    before = table_dump(db)
    raw_before = query(db, "SELECT order_id, content_hash FROM raw_orders ORDER BY order_id")
    order_id = next(iter(truth_orders(crm, [DAY])))
    crm.state.mutate(order_id, financial_status="refunded")
    crm.faults.error_rate = 0.5  # some pages answer 5xx; no retries: the window fails part-way
    result = run_job(defs, SYNC_JOB, DAY, DAY)
    assert not result.success
    assert table_dump(db) == before
    assert query(db, "SELECT order_id, content_hash FROM raw_orders ORDER BY order_id") == (
        raw_before
    )


def test_every_step_touching_duckdb_declares_the_pool(crm: SandboxServer, db: Path) -> None:
    """Assets and checks that open the DuckDB file queue behind one pool instead of colliding."""
    defs = definitions(crm, db)
    steps = [*(defs.asset_checks or []), *(defs.assets or [])]
    for step in steps:
        assert isinstance(step, dg.AssetsDefinition)
        assert step.op.pool == "firstline_duckdb", step.node_def.name
