"""API-local timestamps: "YYYY-MM-DD HH:MM:SS", no offset, in the tenant's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_timestamp(value: dt.datetime) -> str:
    """`value` as "YYYY-MM-DD HH:MM:SS" (isoformat is the fast way; sub-seconds are dropped)."""
    return value.replace(microsecond=0).isoformat(" ")


def now_local(zone: ZoneInfo) -> dt.datetime:
    """Wall-clock time in the API's zone, naive, as the server stores it."""
    return dt.datetime.now(zone).replace(tzinfo=None, microsecond=0)


def parse_timestamp(text: str, zone: ZoneInfo) -> dt.datetime | None:
    """What a Laravel `date` rule would accept, as naive API-local time; None if not a date.

    Accepts "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" and ISO 8601 with or without an offset
    (an offset is converted into the API's zone).
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(zone).replace(tzinfo=None)
    return value.replace(microsecond=0)


def parse_day(text: str) -> dt.date | None:
    """The date part of "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"; None if neither."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None
