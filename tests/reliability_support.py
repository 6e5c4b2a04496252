"""What the reliability suites compare: the sandbox's truth against the DuckDB file, and how to
start, watch and stop `orders-connector` runs from a test."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster_support import days_between, query
from test_cli import CLI

from orders_connector import cli
from orders_connector.sandbox import SandboxServer
from orders_connector.schema import TABLES

START = dt.date(2025, 10, 1)
END = dt.date(2025, 10, 5)
DAYS = days_between(START, END)

ItemKey = tuple[int, int, int]  # (item id, product id, quantity)
OrderView = tuple[tuple[str | None, str | None, str | None], tuple[ItemKey, ...]]


def _item_key(item: dict[str, Any]) -> ItemKey:
    return (int(item["id"]), int(item["product_id"]), int(item["quantity"]))


def truth(sandbox: SandboxServer, days: list[dt.date] = DAYS) -> dict[int, OrderView]:
    """The sandbox's orders of `days` right now: statuses and items, by id."""
    return {
        order["id"]: (
            (order["financial_status"], order["fulfillment_status"], order["return_status"]),
            tuple(sorted(_item_key(i) for i in sandbox.state.items_of(order["id"]))),
        )
        for day in days
        for order in sandbox.state.orders_on(day)
    }


def landed(db: Path, days: list[dt.date] = DAYS) -> dict[int, OrderView]:
    """The same view of the warehouse's orders and order_items tables."""
    rows = query(
        db,
        "SELECT id, financial_status, fulfillment_status, return_status FROM orders "
        "WHERE window_date BETWEEN ? AND ?",
        [min(days), max(days)],
    )
    items: dict[int, list[ItemKey]] = {}
    for order_id, item_id, product_id, quantity in query(
        db,
        "SELECT order_id, id, product_id, quantity FROM order_items "
        "WHERE window_date BETWEEN ? AND ?",
        [min(days), max(days)],
    ):
        items.setdefault(order_id, []).append((item_id, product_id, quantity))
    return {
        order_id: ((fin, ful, ret), tuple(sorted(items.get(order_id, []))))
        for order_id, fin, ful, ret in rows
    }


@dataclass
class Comparison:
    """How a warehouse differs from the truth; every field is 0 when nothing was lost."""

    orders: int
    lost: int
    duplicated: int
    unexpected: int
    wrong_statuses: int
    wrong_items: int
    half_windows: int

    @property
    def exact(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.unexpected
            or self.wrong_statuses
            or self.wrong_items
            or self.half_windows
        )


def compare(db: Path, sandbox: SandboxServer, days: list[dt.date] = DAYS) -> Comparison:
    """Orders, items, statuses and raw windows of `db` against the sandbox's truth."""
    expected = truth(sandbox, days)
    have = landed(db, days)
    span = [min(days), max(days)]
    [(rows, distinct)] = query(
        db,
        "SELECT count(*), count(DISTINCT id) FROM orders WHERE window_date BETWEEN ? AND ?",
        span,
    )
    [(raw_rows, raw_distinct)] = query(
        db,
        "SELECT count(*), count(DISTINCT order_id) FROM raw_orders "
        "WHERE window_date BETWEEN ? AND ?",
        span,
    )
    common = expected.keys() & have.keys()
    return Comparison(
        orders=len(have),
        lost=len(expected.keys() - have.keys()),
        duplicated=(rows - distinct) + (raw_rows - raw_distinct),
        unexpected=len(have.keys() - expected.keys()),
        wrong_statuses=sum(1 for i in common if expected[i][0] != have[i][0]),
        wrong_items=sum(1 for i in common if expected[i][1] != have[i][1]),
        half_windows=len(half_windows(db, sandbox, days)),
    )


def half_windows(db: Path, sandbox: SandboxServer, days: list[dt.date] = DAYS) -> list[dt.date]:
    """Windows whose raw rows are there but are not exactly the sandbox's orders of that day."""
    landed_ids: dict[dt.date, set[int]] = {}
    for day, order_id in query(
        db,
        "SELECT window_date, order_id FROM raw_orders WHERE window_date BETWEEN ? AND ?",
        [min(days), max(days)],
    ):
        landed_ids.setdefault(day, set()).add(order_id)
    return [
        day
        for day, ids in sorted(landed_ids.items())
        if ids != {o["id"] for o in sandbox.state.orders_on(day)}
    ]


def every_table_reads(db: Path) -> bool:
    """The file opens for writing and every table of the schema reads to its end."""
    with duckdb.connect(str(db)) as con:
        for name in TABLES:
            con.table(name).fetchall()
        con.execute("CHECKPOINT")
    return True


def window_figures(db: Path) -> dict[str, int]:
    """Totals of what the windows' fetches went through (sync_windows)."""
    [row] = query(
        db,
        "SELECT coalesce(sum(requests), 0), coalesce(sum(retries), 0), "
        "coalesce(sum(throttled), 0), coalesce(sum(drift_rereads), 0), "
        "coalesce(sum(rejected), 0) FROM sync_windows",
    )
    return dict(
        zip(("requests", "retries", "throttled", "drift_rereads", "rejected"), row, strict=True)
    )


# --- the CLI as a process -----------------------------------------------------------------------


def cli_env(sandbox: SandboxServer, token: str, **settings: str) -> dict[str, str]:
    """A clean environment (no inherited ORDERS_/DAGSTER_ variables) pointing at `sandbox`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERS_", "DAGSTER_"))}
    return {
        **base,
        "ORDERS_API_BASE_URL": sandbox.base_url,
        "ORDERS_API_TOKEN": token,
        "ORDERS_START_DATE": START.isoformat(),
        **settings,
    }


def start_sync(
    db: Path, env: dict[str, str], cwd: Path, start: dt.date = START, end: dt.date = END
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, "sync", "--start", start.isoformat(), "--end", end.isoformat(), "--db", str(db)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def sync_here(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    db: Path,
    start: dt.date = START,
    end: dt.date = END,
) -> tuple[int, str, str]:
    """`orders-connector sync` in this process (the same code path, without paying a Python and
    Dagster start-up): for re-runs after a subprocess was killed or failed."""
    for name in list(os.environ):
        if name.startswith(("ORDERS_", "DAGSTER_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("ORDERS_"):
            monkeypatch.setenv(name, value)
    logger = logging.getLogger("orders_connector")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        args = ["sync", "--start", start.isoformat(), "--end", end.isoformat(), "--db", str(db)]
        code = cli.main(args)
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def wait_for(condition: Callable[[], bool], timeout: float = 120, every: float = 0.02) -> bool:
    """Poll `condition` until it holds (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def order_searches(sandbox: SandboxServer) -> list[dict[str, str]]:
    """Query strings of the date-filtered order searches the sandbox answered so far."""
    return [
        r.query
        for r in sandbox.state.requests
        if r.path == "/api/v1/contact-order" and "order_created_at__start" in r.query
    ]


@contextmanager
def when(condition: Callable[[], bool], action: Callable[[], None]) -> Iterator[list[bool]]:
    """Run `action` once, from a watcher thread, as soon as `condition` holds.

    Yields a one-element list that is [True] once the action ran, for the test to assert on.
    """
    fired: list[bool] = [False]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if condition():
                action()
                fired[0] = True
                return
            stop.wait(0.005)

    thread = threading.Thread(target=watch, name="reliability-watcher", daemon=True)
    thread.start()
    try:
        yield fired
    finally:
        stop.set()
        thread.join(timeout=5)
