"""Peak memory of a one-year backfill through the sandbox: it must not grow with the data.

For each size, a sandbox holding that many orders over one year runs in its own process, and
the backfill (`sync.land_windows` then `sync.normalize`, the Dagster assets' code path, into a
fresh DuckDB file) runs in a fresh child process whose peak RSS (`ru_maxrss`, DuckDB included)
is read when it ends. The sandbox has no latency and no throttle: this measures memory, not
speed (the 1M run is bound by the sandbox generating orders, ~0.5 ms each, on first read).

    .venv/bin/python benchmarks/backfill_memory.py                       # 10k, 100k, 1M
    .venv/bin/python benchmarks/backfill_memory.py --orders 10000 100000
    .venv/bin/python benchmarks/backfill_memory.py --memory-limit 128MB
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sandbox_process import TOKEN, SandboxProcess

from orders_connector.settings import DEFAULT_MEMORY_LIMIT

START = dt.date(2024, 10, 1)
DAYS = 365
TARGET_MIB = 500


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(base_url: str, db: Path, memory_limit: str) -> None:
    """The backfill itself; prints one JSON line with what it measured."""
    from orders_connector.settings import ApiSettings
    from orders_connector.sync import land_windows, normalize
    from orders_connector.warehouse import Warehouse
    from orders_connector.windows import split_days

    settings = ApiSettings(base_url=base_url, token=TOKEN)
    windows = split_days(START, START + dt.timedelta(days=DAYS - 1))
    baseline = peak_rss_mib()
    started = time.perf_counter()
    with Warehouse(db, memory_limit=memory_limit) as warehouse:
        report = land_windows(settings, warehouse, windows)
        landed = time.perf_counter()
        after_landing = peak_rss_mib()
        # What DuckDB's buffer manager holds (its cache fills up to memory_limit): the rest of
        # the RSS is Python's and the allocators'.
        [(duckdb_bytes,)] = warehouse.connection.execute(
            "SELECT sum(memory_usage_bytes) FROM duckdb_memory()"
        ).fetchall()
        result = normalize(warehouse, windows)
    finished = time.perf_counter()
    print(
        json.dumps(
            {
                "orders": report.orders,
                "normalized": result.orders,
                "items": result.items,
                "requests": report.total("requests"),
                "land_seconds": landed - started,
                "normalize_seconds": finished - landed,
                "baseline_mib": baseline,
                "after_landing_mib": after_landing,
                "duckdb_after_landing_mib": duckdb_bytes / 2**20,
                "peak_mib": peak_rss_mib(),
            }
        ),
        flush=True,
    )


def run(orders: int, memory_limit: str) -> dict[str, float]:
    end = START + dt.timedelta(days=DAYS - 1)
    with (
        SandboxProcess(orders=orders, start=START, end=end) as sandbox,
        tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp,
    ):
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                sandbox.base_url,
                str(Path(tmp) / "backfill.duckdb"),
                "--memory-limit",
                memory_limit,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"backfill of {orders} orders failed:\n{done.stderr[-3000:]}")
        served = sandbox.stats()
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    measured["server_requests"] = served.requests
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help=f"DuckDB memory_limit, as ORDERS_DUCKDB_MEMORY_LIMIT (default {DEFAULT_MEMORY_LIMIT})",
    )
    parser.add_argument("--child", nargs=2, metavar=("BASE_URL", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.memory_limit)
        return 0
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"one-year backfill ({START} + {DAYS} days), DuckDB memory_limit {args.memory_limit}, "
        f"target: peak RSS < {TARGET_MIB} MB, flat"
    )
    print(
        "| orders | items | requests | land s | normalize s | RSS after start MiB "
        "| after landing MiB | of which DuckDB's buffers | peak MiB | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for orders in args.orders:
        m = run(orders, args.memory_limit)
        ok = "met" if m["peak_mib"] < TARGET_MIB else "MISSED"
        print(
            f"| {int(m['orders']):,} | {int(m['items']):,} | {int(m['requests']):,} "
            f"| {m['land_seconds']:.0f} | {m['normalize_seconds']:.1f} "
            f"| {m['baseline_mib']:.0f} | {m['after_landing_mib']:.0f} "
            f"| {m['duckdb_after_landing_mib']:.0f} | {m['peak_mib']:.0f} "
            f"| {ok} |",
            flush=True,
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
