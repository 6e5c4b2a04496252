"""Shared set-up of the Dagster tests: definitions on a sandbox and a DuckDB file, runs, reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from dagster_defs.definitions import build_definitions
from dagster_defs.partitions import range_tags
from dagster_defs.resources import OrdersApiResource
from orders_connector.sandbox import SandboxServer
from orders_connector.settings import SyncSettings

TOKEN = "dagster-secret-4b1d0e77"
FIRST_DAY = dt.date(2025, 10, 1)
LAST_DAY = dt.date(2025, 10, 10)
SANDBOX = {"orders": 300, "start": FIRST_DAY, "end": LAST_DAY, "seed": 7, "token": TOKEN}


def definitions(
    sandbox: SandboxServer, db: Path, *, start: dt.date = FIRST_DAY, **api: Any
) -> dg.Definitions:
    sync = SyncSettings(start_date=start, duckdb_path=str(db), timezone="Asia/Taipei")
    resource = OrdersApiResource(
        base_url=sandbox.base_url, token=TOKEN, timezone="Asia/Taipei", **api
    )
    return build_definitions(sync, orders_api=resource)


def run_job(
    defs: dg.Definitions,
    job: str,
    start: dt.date,
    end: dt.date,
    run_config: dict[str, Any] | None = None,
) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(job).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags=range_tags(start, end),
        run_config=run_config,
        raise_on_error=False,
    )


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def truth_orders(sandbox: SandboxServer, days: list[dt.date]) -> dict[int, dict[str, Any]]:
    """The sandbox's own orders of these days, by id."""
    return {o["id"]: o for day in days for o in sandbox.state.orders_on(day)}


def landed_orders(db: Path, days: list[dt.date]) -> dict[int, tuple[Any, ...]]:
    rows = query(
        db,
        "SELECT id, order_number, financial_status, fulfillment_status, return_status, "
        "total_price, item_count FROM orders WHERE window_date BETWEEN ? AND ?",
        [min(days), max(days)],
    )
    return {row[0]: row[1:] for row in rows}


def expected_row(order: dict[str, Any]) -> tuple[Any, ...]:
    return (
        order["order_number"],
        order["financial_status"],
        order["fulfillment_status"],
        order["return_status"],
        Decimal(order["total_price"]) if order["total_price"] is not None else None,
        len(order["items"]),
    )


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
