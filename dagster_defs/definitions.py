"""The one `Definitions` of the project: `dagster dev` finds it through workspace.yaml."""

from __future__ import annotations

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_defs.assets.extraction import GROUP, build_extraction_assets
from dagster_defs.checks import build_extraction_checks
from dagster_defs.partitions import daily_partitions, start_date_from_env, timezone_from_env
from dagster_defs.resources import OrdersApiResource, duckdb_path_from_env

SYNC_JOB = "firstline_orders_sync"


def build_definitions(
    *,
    start_date: dt.date,
    timezone: str,
    duckdb_path: str,
    orders_api: OrdersApiResource | None = None,
) -> dg.Definitions:
    """Everything Dagster shows: assets, checks, jobs, schedules, resources."""
    partitions_def = daily_partitions(start_date, timezone)
    assets = build_extraction_assets(partitions_def)
    checks = build_extraction_checks(partitions_def)
    sync_job = dg.define_asset_job(
        SYNC_JOB,
        selection=dg.AssetSelection.groups(GROUP),
        description="Extracts the selected order_created_at day windows and normalizes them.",
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[sync_job],
        resources={
            "orders_api": orders_api
            or OrdersApiResource(
                base_url=dg.EnvVar("ORDERS_API_BASE_URL"),
                token=dg.EnvVar("ORDERS_API_TOKEN"),
                timezone=timezone,
            ),
            "duckdb": DuckDBResource(database=duckdb_path),
        },
    )


def definitions_from_env() -> dg.Definitions:
    """Definitions configured by ORDERS_START_DATE, ORDERS_API_TIMEZONE, ORDERS_DUCKDB_PATH."""
    return build_definitions(
        start_date=start_date_from_env(),
        timezone=timezone_from_env(),
        duckdb_path=duckdb_path_from_env(),
    )


defs = definitions_from_env()
