"""The one `Definitions` of the project: `dagster dev` finds it through workspace.yaml."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_defs.assets.extraction import build_extraction_assets
from dagster_defs.assets.freshness import REFRESH_ASSET, build_refresh_asset
from dagster_defs.assets.reporting import reporting_views
from dagster_defs.assets.writeback import order_status_writeback, writeback_job
from dagster_defs.checks import build_extraction_checks, build_freshness_checks
from dagster_defs.partitions import daily_partitions
from dagster_defs.resources import OrdersApiResource, orders_api_from_env
from dagster_defs.schedules import DAILY_JOB, SYNC_JOB, build_daily_schedule, refresh_run_config
from orders_connector.reporting import VIEW_NAMES
from orders_connector.settings import SyncSettings

EXTRACTION_ASSETS = (
    "raw_orders",
    "orders",
    "order_items",
    "products",
    "order_data_issues",
    "order_status_history",
    "financial_statuses",
    "fulfillment_statuses",
    "return_statuses",
    *VIEW_NAMES,  # reporting views: created on every sync, so they exist after any run
)


def build_definitions(
    sync: SyncSettings, *, orders_api: OrdersApiResource | None = None
) -> dg.Definitions:
    """Everything Dagster shows: assets, checks, jobs, schedules, resources."""
    partitions_def = daily_partitions(sync.start_date, sync.timezone)
    extraction = dg.AssetSelection.assets(*EXTRACTION_ASSETS)
    sync_job = dg.define_asset_job(
        SYNC_JOB,
        selection=extraction,
        description="Extracts the selected order_created_at day windows and normalizes them.",
    )
    daily_job = dg.define_asset_job(
        DAILY_JOB,
        selection=extraction | dg.AssetSelection.assets(REFRESH_ASSET),
        description="The daily run: the lookback windows, then old windows with open orders.",
        config=refresh_run_config(sync, as_of=None),
    )
    return dg.Definitions(
        assets=[
            *build_extraction_assets(partitions_def),
            build_refresh_asset(sync.start_date),
            order_status_writeback,
            reporting_views,
        ],
        asset_checks=[
            *build_extraction_checks(partitions_def),
            *build_freshness_checks(sync),
        ],
        # The write-back job is opt-in: a person starts it, no schedule does.
        jobs=[sync_job, daily_job, writeback_job],
        schedules=[build_daily_schedule(sync, daily_job)],
        resources={
            "orders_api": orders_api
            or orders_api_from_env(timezone=sync.timezone, items_mode=sync.items_mode),
            "duckdb": DuckDBResource(
                database=sync.duckdb_path,
                connection_config={"memory_limit": sync.duckdb_memory_limit},
            ),
        },
    )


defs = build_definitions(SyncSettings.from_env())
