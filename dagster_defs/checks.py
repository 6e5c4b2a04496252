"""Asset checks beside the extraction assets: each reads the tables the run just wrote."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_defs.assets.extraction import DUCKDB_POOL
from dagster_defs.assets.freshness import REFRESH_ASSET
from dagster_defs.partitions import windows_of
from dagster_defs.resources import OrdersApiResource, open_warehouse
from orders_connector.freshness import plan_refresh
from orders_connector.settings import SyncSettings, zone
from orders_connector.windows import today_in


def window_range(context: dg.AssetCheckExecutionContext) -> dict[str, Any]:
    windows = windows_of(context)
    return {"start": min(w.day for w in windows), "end": max(w.day for w in windows)}


def fetch_for_run(
    context: dg.AssetCheckExecutionContext,
    orders_api: OrdersApiResource,
    duckdb: DuckDBResource,
    sql_name: str,
) -> list[tuple[Any, ...]]:
    """Rows of a check query over the run's windows."""
    with open_warehouse(duckdb, orders_api.timezone) as warehouse:
        return warehouse.fetch(sql_name, window_range(context))


def warn_when_any(
    rows: list[tuple[Any, ...]], count_label: str, detail_label: str, detail: str
) -> dg.AssetCheckResult:
    """A warning listing rows whose last column is a count; `detail` formats one row."""
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            count_label: sum(int(row[-1]) for row in rows),
            detail_label: ", ".join(detail.format(*row) for row in rows) or "none",
        },
    )


def build_extraction_checks(
    partitions_def: dg.PartitionsDefinition[str],
) -> Sequence[dg.AssetChecksDefinition]:
    """Checks on the run's windows (partitioned) and on whole tables."""

    @dg.asset_check(asset="orders", partitions_def=partitions_def, blocking=True, pool=DUCKDB_POOL)
    def unique_order_ids(
        context: dg.AssetCheckExecutionContext,
        orders_api: OrdersApiResource,
        duckdb: DuckDBResource,
    ) -> dg.AssetCheckResult:
        """Every order id appears once in orders and its raw rows sit in exactly one window."""
        [(duplicate_rows, several_windows)] = fetch_for_run(
            context, orders_api, duckdb, "check_duplicate_orders"
        )
        return dg.AssetCheckResult(
            passed=duplicate_rows == 0 and several_windows == 0,
            severity=dg.AssetCheckSeverity.ERROR if duplicate_rows else dg.AssetCheckSeverity.WARN,
            metadata={
                "duplicate_order_rows": int(duplicate_rows),
                "ids_in_several_windows": int(several_windows),
            },
        )

    @dg.asset_check(
        asset="raw_orders", partitions_def=partitions_def, blocking=True, pool=DUCKDB_POOL
    )
    def window_count_matches_api(
        context: dg.AssetCheckExecutionContext,
        orders_api: OrdersApiResource,
        duckdb: DuckDBResource,
    ) -> dg.AssetCheckResult:
        """Each window landed as many distinct orders as the API's meta.total said it holds."""
        mismatched = fetch_for_run(context, orders_api, duckdb, "check_window_totals")
        return dg.AssetCheckResult(
            passed=not mismatched,
            metadata={
                "mismatched_windows": len(mismatched),
                "detail": ", ".join(f"{d}: total {t}, fetched {f}" for d, t, f in mismatched)
                or "none",
            },
        )

    @dg.asset_check(asset="order_items", blocking=True, pool=DUCKDB_POOL)
    def items_have_orders(
        orders_api: OrdersApiResource, duckdb: DuckDBResource
    ) -> dg.AssetCheckResult:
        """Every item's order exists in orders."""
        with open_warehouse(duckdb, orders_api.timezone) as warehouse:
            [(orphans, missing_orders)] = warehouse.fetch("check_orphan_items")
        return dg.AssetCheckResult(
            passed=orphans == 0,
            metadata={"orphan_items": int(orphans), "missing_orders": int(missing_orders)},
        )

    @dg.asset_check(asset="orders", partitions_def=partitions_def, pool=DUCKDB_POOL)
    def known_status_values(
        context: dg.AssetCheckExecutionContext,
        orders_api: OrdersApiResource,
        duckdb: DuckDBResource,
    ) -> dg.AssetCheckResult:
        """Warns when orders carry status codes outside the vendor's published lists."""
        unknown = fetch_for_run(context, orders_api, duckdb, "check_unknown_statuses")
        return warn_when_any(unknown, "orders_with_unknown_values", "unknown_values", "{}={} ({})")

    @dg.asset_check(asset="order_data_issues", partitions_def=partitions_def, pool=DUCKDB_POOL)
    def window_data_issues(
        context: dg.AssetCheckExecutionContext,
        orders_api: OrdersApiResource,
        duckdb: DuckDBResource,
    ) -> dg.AssetCheckResult:
        """Warns when values in the run's windows could not be parsed."""
        issues = fetch_for_run(context, orders_api, duckdb, "check_window_issues")
        return warn_when_any(issues, "issues", "by_field", "{}/{}: {}")

    return [
        unique_order_ids,
        window_count_matches_api,
        items_have_orders,
        known_status_values,
        window_data_issues,
    ]


def build_freshness_checks(sync: SyncSettings) -> Sequence[dg.AssetChecksDefinition]:
    """Is the newest window recent, and are open orders revisited within the promised bound?"""

    @dg.asset_check(asset="raw_orders", pool=DUCKDB_POOL)
    def latest_window_fresh(
        orders_api: OrdersApiResource, duckdb: DuckDBResource
    ) -> dg.AssetCheckResult:
        """Warns when today's window (API-local) was not synced within ORDERS_FRESHNESS_HOURS."""
        now = dt.datetime.now(dt.UTC)
        today = today_in(zone(sync.timezone), now)
        with open_warehouse(duckdb, orders_api.timezone) as warehouse:
            rows = warehouse.fetch("freshness_latest_window")
        latest, synced_at = rows[0] if rows else (None, None)
        age_hours = (now - synced_at).total_seconds() / 3600 if synced_at else None
        return dg.AssetCheckResult(
            passed=latest == today and age_hours is not None and age_hours <= sync.freshness_hours,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "latest_window": str(latest),
                "today": today.isoformat(),
                "hours_since_sync": round(age_hours, 2) if age_hours is not None else -1.0,
                "limit_hours": sync.freshness_hours,
            },
        )

    @dg.asset_check(asset=REFRESH_ASSET, pool=DUCKDB_POOL)
    def open_orders_revisited(
        orders_api: OrdersApiResource, duckdb: DuckDBResource
    ) -> dg.AssetCheckResult:
        """Warns when open orders beyond the lookback wait longer than the promised bound."""
        now = dt.datetime.now(dt.UTC)
        today = today_in(zone(sync.timezone), now)
        with open_warehouse(duckdb, orders_api.timezone) as warehouse:
            plan = plan_refresh(
                warehouse,
                as_of=today,
                start=sync.start_date,
                lookback_days=sync.lookback_days,
                budget=sync.refresh_budget,
            )
            lookback_start = today - dt.timedelta(days=sync.lookback_days - 1)
            # One day of slack: a window re-read on day N's run is within the bound on day N+1.
            stale_before = now - dt.timedelta(days=plan.bound_days + 1)
            [(open_orders, stale)] = warehouse.fetch(
                "freshness_stale_open_orders",
                {"lookback_start": lookback_start, "stale_before": stale_before},
            )
        share = stale / open_orders if open_orders else 0.0
        return dg.AssetCheckResult(
            passed=stale == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "open_orders_beyond_lookback": int(open_orders),
                "not_revisited_within_bound": int(stale),
                "share_not_revisited": round(share, 4),
                "bound_days": plan.bound_days,
            },
        )

    return [latest_window_fresh, open_orders_revisited]
