"""What one daily refresh costs after a backfill: proportional to the lookback, not to history.

A sandbox holding a year of orders runs in its own process. For each history length, that many
days up to AS_OF are backfilled once (`sync.land_windows` + `sync.normalize`); then, on a copy of
that warehouse, one daily run does what the daily job does: `freshness.plan_refresh`, the
lookback windows re-synced, then the old windows still holding open orders, oldest-synced first,
within the request budget. The requests are counted by the sandbox.

    .venv/bin/python benchmarks/daily_cost.py
    .venv/bin/python benchmarks/daily_cost.py --orders 50000 --budget 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

from sandbox_process import TOKEN, SandboxProcess

from orders_connector.freshness import plan_refresh
from orders_connector.settings import ApiSettings
from orders_connector.sync import land_windows, normalize
from orders_connector.warehouse import Warehouse
from orders_connector.windows import split_days

AS_OF = dt.date(2025, 9, 30)
YEAR = 365


def backfill(settings: ApiSettings, db: Path, days: int) -> int:
    windows = split_days(AS_OF - dt.timedelta(days=days - 1), AS_OF)
    with Warehouse(db) as warehouse:
        report = land_windows(settings, warehouse, windows)
        normalize(warehouse, windows)
    return report.total("requests")


def daily_run(
    settings: ApiSettings,
    sandbox: SandboxProcess,
    db: Path,
    *,
    history: int,
    lookback: int,
    budget: int,
) -> dict[str, int]:
    """One day's refresh on `db`: the requests of its lookback part and of its open-order part."""
    start = AS_OF - dt.timedelta(days=history - 1)
    before = sandbox.stats().requests
    with Warehouse(db) as warehouse:
        plan = plan_refresh(
            warehouse, as_of=AS_OF, start=start, lookback_days=lookback, budget=budget
        )
        lookback_windows = [w.window for w in plan.lookback]
        land_windows(settings, warehouse, lookback_windows)
        after_lookback = sandbox.stats().requests
        refresh_windows = [w.window for w in plan.refresh]
        if refresh_windows:
            land_windows(settings, warehouse, refresh_windows)
        normalize(warehouse, lookback_windows + refresh_windows)
    after = sandbox.stats().requests
    return {
        "lookback_windows": len(lookback_windows),
        "refresh_windows": len(refresh_windows),
        "open_windows": plan.open_windows_total,
        "backlog": plan.backlog_requests,
        "estimated_refresh": sum(w.estimated_requests for w in plan.refresh),
        "lookback_requests": after_lookback - before,
        "refresh_requests": after - after_lookback,
        "bound_days": plan.bound_days,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the sandbox year")
    parser.add_argument("--budget", type=int, default=200, help="daily open-order request budget")
    parser.add_argument("--histories", type=int, nargs="+", default=[90, 180, 365])
    parser.add_argument("--lookbacks", type=int, nargs="+", default=[1, 3, 7, 14, 30])
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"sandbox: {args.orders:,} orders over {YEAR} days up to {AS_OF} "
        f"({args.orders / YEAR:.0f} a day), per_page 100; refresh budget {args.budget} requests"
    )
    cases = [(max(args.histories), lookback) for lookback in args.lookbacks]
    cases += [(history, 7) for history in sorted(args.histories) if history != max(args.histories)]
    with (
        SandboxProcess(
            orders=args.orders, start=AS_OF - dt.timedelta(days=YEAR - 1), end=AS_OF
        ) as sandbox,
        tempfile.TemporaryDirectory(prefix="bench-daily-") as tmp,
    ):
        settings = ApiSettings(base_url=sandbox.base_url, token=TOKEN)
        backfilled: dict[int, int] = {}
        for history in sorted({history for history, _ in cases}):
            backfilled[history] = backfill(settings, Path(tmp) / f"base-{history}.duckdb", history)
        print(
            "\n| history days | backfill requests | lookback days | lookback requests "
            "| per lookback day | open windows beyond | refreshed | refresh requests (est.) "
            "| budget | daily total |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for history, lookback in cases:
            db = Path(tmp) / "day.duckdb"
            shutil.copyfile(Path(tmp) / f"base-{history}.duckdb", db)
            cost = daily_run(
                settings, sandbox, db, history=history, lookback=lookback, budget=args.budget
            )
            total = cost["lookback_requests"] + cost["refresh_requests"]
            print(
                f"| {history} | {backfilled[history]:,} | {lookback} | {cost['lookback_requests']} "
                f"| {cost['lookback_requests'] / lookback:.1f} | {cost['open_windows']} "
                f"| {cost['refresh_windows']} | {cost['refresh_requests']} "
                f"({cost['estimated_refresh']}) | {args.budget} | {total} |",
                flush=True,
            )
            db.unlink()
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
