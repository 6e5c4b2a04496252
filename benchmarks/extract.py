"""Extraction at the API's own limit, side by side with dlt's rest_api source.

The sandbox runs in its own process (100 ms latency, per_page capped at 100, a Laravel fixed-window
throttle) and is started afresh for every run, so each contender meets a cold throttle window.
Every contender syncs the same day range into its own DuckDB file:

- ours at concurrency 1 and ours at its defaults: `sync.land_windows` + `sync.normalize`, the
  code path of the Dagster assets; the throttle is learned from the headers, never configured;
- dlt's rest_api source configured the way its docs describe for this kind of API: page-number
  paginator on `meta.last_page`, incremental on `order_created_at` (start/end params), merge on
  `id` into DuckDB, `items` unnested into its child table.

Requests, 429s and the request rate are counted by the sandbox itself, the same way for everyone.
Each run happens in a fresh Python process, so no contender inherits another's heap.
"equal truth" compares every order id, its three statuses and total, and every (order, item) id
pair in the contender's DuckDB with what the sandbox serves.

    .venv/bin/python benchmarks/extract.py                         # all three throttles
    .venv/bin/python benchmarks/extract.py --scenario fast --repeat 3
    .venv/bin/python benchmarks/extract.py --scenario laravel --contenders ours-default,dlt
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
from sandbox_process import SEED, TOKEN, SandboxProcess

from orders_connector.sandbox import SandboxConfig
from orders_connector.sandbox.state import SandboxState
from orders_connector.settings import ApiSettings
from orders_connector.sync import land_windows, normalize
from orders_connector.warehouse import Warehouse
from orders_connector.windows import split_days

PER_PAGE = 100
DATA_START = dt.date(2025, 7, 1)
DATA_DAYS = 90

# order id -> (financial, fulfillment, return status, total price, sorted item ids)
Snapshot = dict[int, tuple[str, str, str, Decimal, tuple[int, ...]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    throttle_per_minute: int
    orders: int
    sync_days: int  # synced from the first day of the data
    latency_ms: float = 100.0


SCENARIOS = {
    "fast": Scenario("fast", 3000, 20_000, DATA_DAYS),
    # The client issue's own check: a throttle that binds both concurrency 1 and the defaults.
    "mid": Scenario("mid", 600, 20_000, DATA_DAYS),
    # 60 req/min: a short range, still long enough (~3 throttle windows for the slowest
    # contender) that pacing, not the first window's burst allowance, decides the rate.
    "laravel": Scenario("laravel", 60, 20_000, 30),
}


@dataclass
class Outcome:
    contender: str
    concurrency: int
    wall_seconds: float
    orders: int
    requests: int
    throttled: int
    request_span_seconds: float
    busiest_window: int
    equal_truth: bool
    difference: str


def truth_of(scenario: Scenario, days: list[dt.date]) -> Snapshot:
    """What the sandbox serves for `days` (the same seed and data set, built here)."""
    state = SandboxState(
        SandboxConfig(
            orders=scenario.orders,
            start=DATA_START,
            end=DATA_START + dt.timedelta(days=DATA_DAYS - 1),
            seed=SEED,
            token=TOKEN,
            per_page_cap=PER_PAGE,
        )
    )
    snapshot: Snapshot = {}
    for day in days:
        for order in state.orders_on(day):
            snapshot[int(order["id"])] = (
                order["financial_status"],
                order["fulfillment_status"],
                order["return_status"],
                Decimal(order["total_price"]),
                tuple(sorted(int(item["id"]) for item in order["items"])),
            )
    return snapshot


def compare(loaded: Snapshot, truth: Snapshot) -> str:
    """'' when equal, else a short description of the first differences."""
    missing = truth.keys() - loaded.keys()
    extra = loaded.keys() - truth.keys()
    changed = [i for i in truth.keys() & loaded.keys() if truth[i] != loaded[i]]
    if not (missing or extra or changed):
        return ""
    parts = []
    if missing:
        parts.append(f"{len(missing)} orders missing")
    if extra:
        parts.append(f"{len(extra)} extra orders")
    if changed:
        first = min(changed)
        parts.append(f"{len(changed)} differ (e.g. {first}: {loaded[first]} vs {truth[first]})")
    return "; ".join(parts)


def snapshot_from(con: duckdb.DuckDBPyConnection, orders_sql: str, items_sql: str) -> Snapshot:
    items: dict[int, list[int]] = {}
    for order_id, item_id in con.execute(items_sql).fetchall():
        items.setdefault(int(order_id), []).append(int(item_id))
    return {
        int(order_id): (fin, ful, ret, Decimal(str(total)), tuple(sorted(items.get(order_id, []))))
        for order_id, fin, ful, ret, total in con.execute(orders_sql).fetchall()
    }


# --- contenders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """Where a contender loaded the data, and how to read it back (after the clock stops)."""

    concurrency: int
    path: Path
    orders_sql: str
    items_sql: str

    def snapshot(self) -> Snapshot:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return snapshot_from(con, self.orders_sql, self.items_sql)


def run_ours(base_url: str, days: list[dt.date], workdir: Path, concurrency: int | None) -> Loaded:
    overrides = {} if concurrency is None else {"max_concurrency": concurrency}
    settings = ApiSettings(base_url=base_url, token=TOKEN, per_page=PER_PAGE, **overrides)
    windows = split_days(days[0], days[-1])
    path = workdir / "ours.duckdb"
    with Warehouse(path) as warehouse:
        land_windows(settings, warehouse, windows)
        normalize(warehouse, windows)
    return Loaded(
        settings.max_concurrency,
        path,
        "SELECT id, financial_status, fulfillment_status, return_status, total_price FROM orders",
        "SELECT order_id, id FROM order_items",
    )


def run_dlt(base_url: str, days: list[dt.date], workdir: Path, concurrency: int | None) -> Loaded:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    source = rest_api_source(
        {
            "client": {
                "base_url": f"{base_url}/api/v1/",
                "auth": {"type": "bearer", "token": TOKEN},
                "paginator": {
                    "type": "page_number",
                    "base_page": 1,
                    "page_param": "page",
                    "total_path": "meta.last_page",
                },
            },
            "resource_defaults": {
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {"params": {"per_page": PER_PAGE}},
            },
            "resources": [
                {
                    "name": "orders",
                    "endpoint": {
                        "path": "contact-order",
                        "data_selector": "data",
                        "incremental": {
                            "cursor_path": "order_created_at",
                            "start_param": "order_created_at__start",
                            "end_param": "order_created_at__end",
                            "initial_value": f"{days[0]} 00:00:00",
                            "end_value": f"{days[-1]} 23:59:59",
                            "range_end": "closed",
                            # The API filters on dates; the cursor holds datetimes.
                            "convert": lambda value: str(value)[:10],
                        },
                    },
                }
            ],
        }
    )
    path = workdir / "dlt.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="firstline_bench",
        destination=dlt.destinations.duckdb(str(path)),
        dataset_name="firstline",
        pipelines_dir=str(workdir / "dlt-pipelines"),
    )
    pipeline.run(source)
    return Loaded(
        1,
        path,
        "SELECT id, financial_status, fulfillment_status, return_status, total_price "
        "FROM firstline.orders",
        "SELECT o.id, i.id FROM firstline.orders__items AS i "
        "JOIN firstline.orders AS o ON i._dlt_parent_id = o._dlt_id",
    )


Runner = Callable[[str, list[dt.date], Path, int | None], Loaded]
CONTENDERS: dict[str, tuple[Runner, int | None]] = {
    "ours-serial": (run_ours, 1),
    "ours-default": (run_ours, None),
    "dlt": (run_dlt, None),
}


def run_one(scenario: Scenario, name: str, truth: Snapshot, days: list[dt.date]) -> Outcome:
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp,
        SandboxProcess(
            orders=scenario.orders,
            start=DATA_START,
            end=DATA_START + dt.timedelta(days=DATA_DAYS - 1),
            latency_ms=scenario.latency_ms,
            rate_limit=scenario.throttle_per_minute,
            per_page_cap=PER_PAGE,
        ) as sandbox,
    ):
        result, wall = run_in_child(name, sandbox.base_url, days, Path(tmp))
        seen = sandbox.stats()
        loaded = result.snapshot()
    used = result.concurrency
    difference = compare(loaded, truth)
    return Outcome(
        contender=name,
        concurrency=used,
        wall_seconds=wall,
        orders=len(loaded),
        requests=seen.requests,
        throttled=seen.throttled,
        request_span_seconds=seen.span_seconds,
        busiest_window=seen.busiest_window,
        equal_truth=not difference,
        difference=difference,
    )


def run_in_child(
    name: str, base_url: str, days: list[dt.date], workdir: Path
) -> tuple[Loaded, float]:
    """One contender's run in a fresh Python process: (what it loaded, its wall seconds).

    A fresh process each time, so no run inherits another's heap (dlt leaves gigabytes that
    slow the garbage collector of whoever runs next) or its imports. Wall seconds are taken in
    the child around the run itself, imports excluded.
    """
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            name,
            base_url,
            days[0].isoformat(),
            days[-1].isoformat(),
            str(workdir),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    loaded = Loaded(
        measured["concurrency"],
        Path(measured["path"]),
        measured["orders_sql"],
        measured["items_sql"],
    )
    return loaded, measured["wall_seconds"]


def child(name: str, base_url: str, first: str, last: str, workdir: str) -> None:
    runner, concurrency = CONTENDERS[name]
    first_day, last_day = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    started = time.perf_counter()
    loaded = runner(base_url, days, Path(workdir), concurrency)
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "concurrency": loaded.concurrency,
                "path": str(loaded.path),
                "orders_sql": loaded.orders_sql,
                "items_sql": loaded.items_sql,
                "wall_seconds": wall,
            }
        ),
        flush=True,
    )


def bound_per_second(scenario: Scenario, concurrency: int) -> float:
    """min(throttle, concurrency / latency) in requests per second."""
    return min(scenario.throttle_per_minute / 60, concurrency / (scenario.latency_ms / 1000))


def median_outcome(runs: list[Outcome]) -> Outcome:
    """The run with the median wall time (its own figures, not a mix of runs)."""
    ordered = sorted(runs, key=lambda o: o.wall_seconds)
    return ordered[(len(ordered) - 1) // 2]


def extracting_seconds(scenario: Scenario, outcome: Outcome) -> float:
    """First request's arrival to the last one's, plus the last answer's latency."""
    return outcome.request_span_seconds + scenario.latency_ms / 1000


def report(scenario: Scenario, results: dict[str, list[Outcome]], days: int) -> None:
    print(
        f"\n## {scenario.throttle_per_minute} req/min, {scenario.latency_ms:g} ms latency, "
        f"{days} days of a {scenario.orders:,}-order / {DATA_DAYS}-day data set, "
        f"per_page {PER_PAGE}"
    )
    header = (
        "| contender | conc | wall s | orders/s (wall) | extracting s | orders/s extracting "
        "| of bound x page | requests | req/s | of req bound | 429s | busiest 60 s "
        "| equal truth | wall s of each run |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, runs in results.items():
        best = median_outcome(runs)
        bound = bound_per_second(scenario, best.concurrency)
        extracting = extracting_seconds(scenario, best)
        extract_rate = best.orders / extracting
        # The rate the server saw, from the first request's arrival to the last's.
        rate = (best.requests - 1) / best.request_span_seconds if best.requests > 1 else 0.0
        walls = ", ".join(f"{o.wall_seconds:.1f}" for o in runs)
        print(
            f"| {name} | {best.concurrency} | {best.wall_seconds:.1f} "
            f"| {best.orders / best.wall_seconds:,.0f} | {extracting:.1f} | {extract_rate:,.0f} "
            f"| {100 * extract_rate / (bound * PER_PAGE):.0f}% "
            f"| {best.requests} | {rate:.1f} | {100 * rate / bound:.0f}% "
            f"| {best.throttled} ({100 * best.throttled / max(best.requests, 1):.1f}%) "
            f"| {best.busiest_window}/{scenario.throttle_per_minute} "
            f"| {'yes' if best.equal_truth else 'NO: ' + best.difference} "
            f"| {walls} |"
        )
    print(f"({best.orders:,} orders each; bound = min(throttle, concurrency / latency))")
    if "dlt" in results:
        dlt_run = median_outcome(results["dlt"])
        for name in ("ours-serial", "ours-default"):
            if name in results:
                ours = median_outcome(results[name])
                wall = (ours.orders / ours.wall_seconds) / (dlt_run.orders / dlt_run.wall_seconds)
                extracting = (ours.orders / extracting_seconds(scenario, ours)) / (
                    dlt_run.orders / extracting_seconds(scenario, dlt_run)
                )
                print(
                    f"ratio {name}/dlt orders/s: {wall:.2f}x end to end (wall), "
                    f"{extracting:.2f}x while extracting"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated: " + ",".join(CONTENDERS),
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (median shown)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    if args.child:
        child(*args.child)
        return 0
    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = set(contenders) - CONTENDERS.keys()
    if unknown:
        parser.error(f"unknown contenders {sorted(unknown)}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    chosen = SCENARIOS.values() if args.scenario == "all" else [SCENARIOS[args.scenario]]
    for scenario in chosen:
        days = [DATA_START + dt.timedelta(days=n) for n in range(scenario.sync_days)]
        truth = truth_of(scenario, days)
        results: dict[str, list[Outcome]] = {}
        for _ in range(args.repeat):
            # Interleaved, so a burst of load from elsewhere hits every contender alike.
            for name in contenders:
                outcome = run_one(scenario, name, truth, days)
                results.setdefault(name, []).append(outcome)
                print(
                    f"  {scenario.name} {name}: {outcome.wall_seconds:.1f}s, "
                    f"{outcome.requests} requests, {outcome.throttled} x 429, "
                    f"equal truth: {outcome.equal_truth} {outcome.difference}",
                    file=sys.stderr,
                    flush=True,
                )
        report(scenario, results, len(days))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
