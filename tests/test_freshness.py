"""Statuses that stay true: the daily run re-reads the lookback and old windows with open orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_support import TOKEN, query, run_job

from dagster_defs.definitions import build_definitions
from dagster_defs.resources import OrdersApiResource
from dagster_defs.schedules import DAILY_JOB, DAILY_SCHEDULE, SYNC_JOB, refresh_run_config
from orders_connector.enums import TERMINAL_STATUSES
from orders_connector.freshness import plan_refresh
from orders_connector.sandbox import SandboxServer
from orders_connector.settings import SyncSettings
from orders_connector.warehouse import Warehouse

MakeSandbox = Callable[..., SandboxServer]
START = dt.date(2025, 9, 1)
AS_OF = dt.date(2025, 10, 30)
LOOKBACK = 7
SETTLED = {"financial_status": "paid", "fulfillment_status": "received", "return_status": "no_need"}
OPEN = {"financial_status": "paid", "fulfillment_status": "preparing", "return_status": "no_need"}
ALL_TERMINAL_DAY = dt.date(2025, 9, 5)  # every order here is settled: never worth re-reading
OLD_OPEN_DAY = dt.date(2025, 9, 20)  # beyond the lookback, holds an open order
RECENT_DAY = AS_OF - dt.timedelta(days=2)  # inside the lookback


def sync_settings(db: Path, budget: int) -> SyncSettings:
    return SyncSettings(
        start_date=START, duckdb_path=str(db), lookback_days=LOOKBACK, refresh_budget=budget
    )


def ids_on(crm: SandboxServer, day: dt.date) -> list[int]:
    return [o["id"] for o in crm.state.orders_on(day)]


def statuses(db: Path, order_id: int) -> tuple[Any, ...]:
    [row] = query(
        db,
        "SELECT financial_status, fulfillment_status, return_status FROM orders WHERE id = ?",
        [order_id],
    )
    return row


def history_count(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM order_status_history")[0][0])


def queried_days(crm: SandboxServer) -> set[str]:
    """Every day some search covered (a search may cover several adjacent days)."""
    covered: set[str] = set()
    for r in crm.state.requests:
        if r.path != "/api/v1/contact-order" or "order_created_at__start" not in r.query:
            continue
        day = dt.date.fromisoformat(r.query["order_created_at__start"][:10])
        end = dt.date.fromisoformat(r.query.get("order_created_at__end", str(day))[:10])
        while day <= end:
            covered.add(day.isoformat())
            day += dt.timedelta(days=1)
    return covered


class Crm:
    """A sandbox with 60 days of orders, backfilled once into a DuckDB file."""

    def __init__(self, make_sandbox: MakeSandbox, tmp_path: Path, budget: int) -> None:
        self.server = make_sandbox(orders=240, start=START, end=AS_OF, seed=3, token=TOKEN)
        for order_id in ids_on(self.server, ALL_TERMINAL_DAY):
            self.server.state.mutate(order_id, **SETTLED)
        self.db = tmp_path / "orders.duckdb"
        self.sync = sync_settings(self.db, budget)
        self.defs = self._defs()
        assert run_job(self.defs, SYNC_JOB, START, AS_OF).success
        self.server.state.reset_logs()

    def _defs(self) -> dg.Definitions:
        resource = OrdersApiResource(
            base_url=self.server.base_url, token=TOKEN, window_end="inclusive"
        )
        return build_definitions(self.sync, orders_api=resource)

    def refresh(self) -> dg.ExecuteInProcessResult:
        result = run_job(
            self.defs,
            DAILY_JOB,
            AS_OF - dt.timedelta(days=LOOKBACK - 1),
            AS_OF,
            refresh_run_config(self.sync, as_of=AS_OF),
        )
        assert result.success
        return result


@pytest.fixture
def crm(make_sandbox: MakeSandbox, tmp_path: Path) -> Crm:
    return Crm(make_sandbox, tmp_path, budget=1000)


def test_refresh_sees_changes_in_lookback_and_on_old_open_orders(crm: Crm) -> None:
    recent = ids_on(crm.server, RECENT_DAY)[0]
    old_open = ids_on(crm.server, OLD_OPEN_DAY)[0]
    settled = ids_on(crm.server, ALL_TERMINAL_DAY)[0]
    crm.server.state.mutate(old_open, **OPEN)
    # The old open order must be open in the warehouse before the refresh to be chosen.
    assert run_job(crm.defs, SYNC_JOB, OLD_OPEN_DAY, OLD_OPEN_DAY).success
    crm.server.state.reset_logs()
    crm.server.state.mutate(recent, fulfillment_status="problem")
    crm.server.state.mutate(old_open, fulfillment_status="fulfilled")
    crm.server.state.mutate(settled, return_status="request_return")

    crm.refresh()

    assert statuses(crm.db, recent)[1] == "problem"
    assert statuses(crm.db, old_open)[1] == "fulfilled"
    # A window of settled orders is not re-read: its change stays unseen (and costs nothing).
    assert statuses(crm.db, settled)[2] == "no_need"
    assert ALL_TERMINAL_DAY.isoformat() not in queried_days(crm.server)
    assert OLD_OPEN_DAY.isoformat() in queried_days(crm.server)
    latest = query(
        crm.db,
        "SELECT order_id, arg_max(fulfillment_status, observed_at) FROM order_status_history "
        "WHERE order_id IN (?, ?) GROUP BY order_id ORDER BY order_id",
        [recent, old_open],
    )
    assert set(latest) == {(recent, "problem"), (old_open, "fulfilled")}


def test_unchanged_resync_adds_no_history(crm: Crm) -> None:
    crm.refresh()
    before = history_count(crm.db)
    crm.refresh()
    assert history_count(crm.db) == before


def test_request_count_stays_within_the_cost_model(crm: Crm) -> None:
    with Warehouse(crm.db, timezone="Asia/Taipei") as warehouse:
        plan = plan_refresh(
            warehouse, as_of=AS_OF, start=START, lookback_days=LOOKBACK, budget=1000
        )
    assert plan.lookback and plan.refresh
    crm.server.state.reset_logs()
    result = crm.refresh()
    searches = [r for r in crm.server.state.requests if r.path == "/api/v1/contact-order"]
    # The model prices each window as read alone; adjacent windows read by one search cost less.
    assert 0 < len(searches) <= plan.estimated_requests
    [meta] = result.asset_materializations_for_node("open_orders_refresh")
    assert meta.metadata["refreshed_windows"].value == len(plan.refresh)


def test_budget_takes_oldest_synced_first_and_rotates(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    crm = Crm(make_sandbox, tmp_path, budget=5)
    with Warehouse(crm.db, timezone="Asia/Taipei") as warehouse:
        first = plan_refresh(warehouse, as_of=AS_OF, start=START, lookback_days=LOOKBACK, budget=5)
    assert 0 < first.estimated_requests - len(first.lookback) <= 5
    crm.refresh()
    with Warehouse(crm.db, timezone="Asia/Taipei") as warehouse:
        second = plan_refresh(warehouse, as_of=AS_OF, start=START, lookback_days=LOOKBACK, budget=5)
    first_days = {w.window.day for w in first.refresh}
    second_days = {w.window.day for w in second.refresh}
    assert first_days and second_days and not first_days & second_days
    assert first.bound_days == second.bound_days >= 2


def test_terminal_sets_are_subsets_of_the_published_enums() -> None:
    from orders_connector.enums import STATUS_ENUMS

    for field, codes in TERMINAL_STATUSES.items():
        assert codes <= set(STATUS_ENUMS[field]), field


def test_daily_schedule_requests_the_lookback_range(crm: Crm) -> None:
    schedule = crm.defs.get_repository_def().get_schedule_def(DAILY_SCHEDULE)
    tick = dt.datetime(2025, 10, 30, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    [request] = schedule.evaluate_tick(context).run_requests or []
    assert request.tags["dagster/asset_partition_range_start"] == "2025-10-24"
    assert request.tags["dagster/asset_partition_range_end"] == "2025-10-30"
    assert request.run_config["ops"]["open_orders_refresh"]["config"]["as_of"] == "2025-10-30"
