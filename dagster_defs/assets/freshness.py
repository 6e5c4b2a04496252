"""The daily refresh of old windows that still hold open orders (beyond the lookback)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_defs.assets.extraction import DUCKDB_POOL, GROUP
from dagster_defs.resources import OrdersApiResource, open_warehouse
from orders_connector.freshness import RefreshPlan, plan_refresh
from orders_connector.settings import zone
from orders_connector.sync import land_windows, normalize
from orders_connector.windows import today_in

REFRESH_ASSET = "open_orders_refresh"


class RefreshConfig(dg.Config):
    """What the daily run takes as 'today', and how far back it looks."""

    as_of: str | None = Field(
        default=None, description="YYYY-MM-DD taken as today (default: today, API-local)"
    )
    lookback_days: int = Field(description="Windows re-synced every day (ORDERS_LOOKBACK_DAYS)")
    budget: int = Field(description="Requests a day for open orders beyond the lookback")


def as_of_date(config: RefreshConfig, timezone: str) -> dt.date:
    return dt.date.fromisoformat(config.as_of) if config.as_of else today_in(zone(timezone))


def plan_markdown(plan: RefreshPlan) -> str:
    rows = [
        "| window | reason | open orders | last synced | est. requests |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| {w.window.day} | {w.reason} | {w.open_orders} | {w.last_synced or '-'} "
        f"| {w.estimated_requests} |"
        for w in plan.windows
    ]
    return "\n".join(rows)


def build_refresh_asset(start_date: dt.date) -> dg.AssetsDefinition:
    @dg.asset(
        name=REFRESH_ASSET,
        group_name=GROUP,
        kinds={"python", "duckdb"},
        deps=["orders"],
        pool=DUCKDB_POOL,
    )
    def open_orders_refresh(
        context: dg.AssetExecutionContext,
        config: RefreshConfig,
        orders_api: OrdersApiResource,
        duckdb: DuckDBResource,
    ) -> Iterator[dg.MaterializeResult[Any]]:
        """Re-syncs old windows holding open orders, oldest-synced first, within the budget."""
        settings = orders_api.settings()
        as_of = as_of_date(config, settings.timezone)
        with open_warehouse(duckdb, settings.timezone) as warehouse:
            plan = plan_refresh(
                warehouse,
                as_of=as_of,
                start=start_date,
                lookback_days=config.lookback_days,
                budget=config.budget,
            )
            windows = [w.window for w in plan.refresh]
            requests = 0
            changes = 0
            if windows:
                report = land_windows(
                    settings, warehouse, windows, items_mode=orders_api.items_mode
                )
                requests = report.total("requests")
                changes = normalize(warehouse, windows).status_changes
        for planned in plan.refresh:
            context.log.info(
                f"refreshed {planned.window.day}: {planned.open_orders} open orders, "
                f"last synced {planned.last_synced}"
            )
        yield dg.MaterializeResult(
            metadata={
                "as_of": as_of.isoformat(),
                "refreshed_windows": len(windows),
                "open_windows_beyond_lookback": plan.open_windows_total,
                "open_orders_beyond_lookback": plan.open_orders_total,
                "estimated_requests": sum(w.estimated_requests for w in plan.refresh),
                "requests": requests,
                "budget": plan.budget,
                "backlog_requests": plan.backlog_requests,
                "bound_days": plan.bound_days,
                "status_changes": changes,
                "plan": dg.MetadataValue.md(plan_markdown(plan)),
            }
        )

    return open_orders_refresh
