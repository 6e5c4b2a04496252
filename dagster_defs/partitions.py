"""Daily partitions over `order_created_at`, in the API's timezone, up to and including today."""

import datetime as dt

import dagster as dg

from orders_connector.windows import DayWindow


def daily_partitions(start: dt.date, timezone: str) -> dg.DailyPartitionsDefinition:
    # end_offset=1 so today's (still filling) window is a partition too.
    return dg.DailyPartitionsDefinition(
        start_date=start.isoformat(), timezone=timezone, end_offset=1
    )


def windows_of(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[DayWindow]:
    """The day windows a run targets (one partition or a single-run backfill range)."""
    if isinstance(context, dg.AssetCheckExecutionContext):
        keys = context.op_execution_context.partition_keys
    else:
        keys = context.partition_keys
    return [DayWindow.parse(key) for key in keys]


def range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """Run tags that make one run cover the partitions start..end (a single-run backfill)."""
    return {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
    }
