"""Shared set-up of the write-back tests: a synced DuckDB file, corrections, the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orders_connector.sandbox import SandboxServer
from orders_connector.settings import ApiSettings
from orders_connector.sync import land_windows, normalize
from orders_connector.warehouse import Warehouse
from orders_connector.windows import DayWindow
from orders_connector.writeback import ensure_writeback_schema

# Distinctive, so that a search of stored text for it cannot match by accident.
TOKEN = "wb-secret-7f3a9c51e2"
TIMEZONE = "Asia/Taipei"
FIRST_DAY = dt.date(2025, 10, 1)
DAYS = [FIRST_DAY + dt.timedelta(days=i) for i in range(3)]
SANDBOX = {"orders": 45, "start": DAYS[0], "end": DAYS[-1], "seed": 11, "token": TOKEN}
LOG_COLUMNS = (
    "run_id",
    "order_id",
    "field",
    "old_value",
    "new_value",
    "outcome",
    "http_status",
    "message",
    "at",
)
QUOTED_LOG_COLUMNS = ", ".join(f'"{c}"' for c in LOG_COLUMNS)
# A clean starting point that every life-cycle move in the tests starts from.
START_STATUSES = {
    "financial_status": "paid",
    "fulfillment_status": "preparing",
    "return_status": "no_need",
}


def api_settings(sandbox: SandboxServer, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "base_url": sandbox.base_url,
        "token": TOKEN,
        "timezone": TIMEZONE,
        "max_retries": 1,
    }
    return ApiSettings(**{**values, **overrides})


def reset_orders(sandbox: SandboxServer, order_ids: Sequence[int]) -> None:
    """Give these orders START_STATUSES in the CRM (as staff would)."""
    for order_id in order_ids:
        sandbox.state.mutate(order_id, **START_STATUSES)


def sync(db: Path, settings: ApiSettings) -> int:
    """The real sync of the sandbox's days into `db`; returns status changes it recorded."""
    windows = [DayWindow(day) for day in DAYS]
    with Warehouse(db, timezone=TIMEZONE) as warehouse:
        land_windows(settings, warehouse, windows)
        return normalize(warehouse, windows).status_changes


def add_corrections(db: Path, *rows: dict[str, Any]) -> None:
    with Warehouse(db, timezone=TIMEZONE) as warehouse:
        ensure_writeback_schema(warehouse)
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            warehouse.connection.execute(
                f"INSERT INTO order_status_corrections ({names}) VALUES ({marks})",
                list(row.values()),
            )


def audit_log(db: Path, run_id: str | None = None) -> list[dict[str, Any]]:
    with Warehouse(db, timezone=TIMEZONE, read_only=True) as warehouse:
        rows = warehouse.connection.execute(
            f"SELECT {QUOTED_LOG_COLUMNS} FROM writeback_log "
            "WHERE $run_id IS NULL OR run_id = $run_id ORDER BY order_id, field",
            {"run_id": run_id},
        ).fetchall()
    return [dict(zip(LOG_COLUMNS, row, strict=True)) for row in rows]


def outcomes(rows: Sequence[dict[str, Any]]) -> dict[tuple[int, str], str]:
    return {(r["order_id"], r["field"]): r["outcome"] for r in rows}


def local_statuses(db: Path, order_id: int) -> tuple[Any, ...]:
    with Warehouse(db, timezone=TIMEZONE, read_only=True) as warehouse:
        [row] = warehouse.connection.execute(
            "SELECT financial_status, fulfillment_status, return_status FROM orders WHERE id = ?",
            [order_id],
        ).fetchall()
    return tuple(row)


def history(db: Path, order_id: int) -> list[tuple[Any, ...]]:
    with Warehouse(db, timezone=TIMEZONE, read_only=True) as warehouse:
        return warehouse.connection.execute(
            "SELECT source, financial_status, fulfillment_status, return_status, "
            "previous_fulfillment_status FROM order_status_history WHERE order_id = ? ORDER BY seq",
            [order_id],
        ).fetchall()
