"""Daily partitions over `order_created_at`, in the API's timezone, up to and including today."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from orders_connector.errors import ConfigurationError
from orders_connector.settings import DEFAULT_START_DATE, DEFAULT_TIMEZONE, zone
from orders_connector.windows import DayWindow, today_in


def start_date_from_env() -> dt.date:
    """`ORDERS_START_DATE` (YYYY-MM-DD), default 2025-01-01; a future date is refused."""
    raw = os.environ.get("ORDERS_START_DATE") or DEFAULT_START_DATE.isoformat()
    timezone = timezone_from_env()
    try:
        start = dt.date.fromisoformat(raw)
    except ValueError:
        raise ConfigurationError(f"ORDERS_START_DATE must be YYYY-MM-DD, got {raw!r}") from None
    if start > today_in(zone(timezone)):
        raise ConfigurationError(f"ORDERS_START_DATE {start} is in the future")
    return start


def timezone_from_env() -> str:
    name = os.environ.get("ORDERS_API_TIMEZONE") or DEFAULT_TIMEZONE
    zone(name)
    return name


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
