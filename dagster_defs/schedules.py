"""Jobs' names and the daily schedule that keeps statuses true."""

import datetime as dt
from typing import Any

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # what define_asset_job returns; not re-exported by dagster
)

from dagster_defs.assets.freshness import REFRESH_ASSET
from dagster_defs.partitions import range_tags
from orders_connector.freshness import lookback_windows
from orders_connector.settings import SyncSettings, zone

SYNC_JOB = "firstline_orders_sync"
DAILY_JOB = "firstline_orders_daily"
DAILY_SCHEDULE = "firstline_orders_daily_schedule"
DAILY_CRON = "0 3 * * *"


def refresh_run_config(sync: SyncSettings, *, as_of: dt.date | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "lookback_days": sync.lookback_days,
        "budget": sync.refresh_budget,
        "as_of": as_of.isoformat() if as_of else None,
    }
    return {"ops": {REFRESH_ASSET: {"config": config}}}


def daily_run_request(sync: SyncSettings, as_of: dt.date) -> dg.RunRequest:
    """One run: the lookback windows as a partition range, plus the open-orders refresh."""
    windows = lookback_windows(as_of, sync.lookback_days, sync.start_date)
    return dg.RunRequest(
        run_key=f"daily-{as_of.isoformat()}",
        run_config=refresh_run_config(sync, as_of=as_of),
        tags=range_tags(windows[0].day, windows[-1].day),
    )


def build_daily_schedule(
    sync: SyncSettings, job: UnresolvedAssetJobDefinition
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=DAILY_SCHEDULE,
        job=job,
        cron_schedule=DAILY_CRON,
        execution_timezone=sync.timezone,
        description=f"Every day at 03:00 API time: the last {sync.lookback_days} windows, then "
        f"old windows with open orders within {sync.refresh_budget} requests.",
    )
    def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
        as_of = tick.astimezone(zone(sync.timezone)).date()
        return daily_run_request(sync, as_of)

    return daily_schedule
