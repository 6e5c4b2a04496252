"""Benchmark: land synthetic raw orders through `Warehouse.land_window`, then time
`Warehouse.normalize_windows` over every day, in a warehouse opened afresh as the Dagster
normalize step opens it.

    .venv/bin/python benchmarks/normalize.py                  # 1,000,000 orders over 90 days
    .venv/bin/python benchmarks/normalize.py --orders 100000  # quicker while iterating

Landing parses each payload into `staging` as it lands (as a sync does), so the normalize a sync's
Dagster step runs only picks and upserts. Two normalize figures are printed: from staged rows (the
step after a sync), and raw JSON -> tables with the parse counted (the same normalize over raw rows
without staged rows, which parses them all): the second is the one to hold against a raw ->
normalized target. Each phase includes the checkpoint that writes its rows into the file;
wall and CPU seconds, orders/s and items/s, and the process's peak RSS. The payloads have the
API's shapes (money as decimal strings, product price as a number, API-local timestamps, CJK
text) and about 1% malformed values of every kind the normalizer must flag.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from orders_connector.enums import FINANCIAL_STATUSES, FULFILLMENT_STATUSES, RETURN_STATUSES
from orders_connector.settings import DEFAULT_MEMORY_LIMIT
from orders_connector.warehouse import NormalizeResult, Warehouse

T = TypeVar("T")
FIRST_DAY = dt.date(2025, 1, 1)
NAMES = ("王小明", "陳美玲", "林志豪", "張雅婷", "李建宏", "Alice Chen", "黃淑芬", "吳宗憲")
CITIES = (
    "台北市信義區市府路",
    "新北市板橋區文化路",
    "台中市西屯區台灣大道",
    "高雄市前鎮區中山二路",
)
NOTES = ("", "請盡快出貨", "gift wrap please 🎁", "下午送達", "", "", "電話聯絡後再送 📞")
PRODUCTS = tuple(
    (
        pid,
        f"商品 {pid} {'經典款' if pid % 3 else 'Limited'}",
        f"SKU-{pid:05d}",
        100 + (pid * 37) % 4900,
    )
    for pid in range(1, 5001)
)
ITEM_COUNTS = (1, 1, 2, 2, 3, 3, 3, 4, 5, 6)  # mean 3.0


def malformations(rng: random.Random) -> dict[str, Any]:
    """One bad value of a kind the normalizer has to flag (the order must still land)."""
    kind = rng.randrange(10)
    if kind == 0:
        return {"total_price": rng.choice(("N/A", "1,234.00", "", "free"))}
    if kind == 1:
        return {"order_updated_at": rng.choice(("0000-00-00 00:00:00", "2025-02-30 10:00:00"))}
    if kind == 2:
        return {"contact_id": "12a"}
    if kind == 3:
        return {"note": {"text": "structured note"}}
    if kind == 4:
        return {"financial_status": rng.choice(("PAID", "partially_paid", "voided"))}
    if kind == 5:
        return {"items": {"0": "not a list"}}
    if kind == 6:
        return {"order_created_at": None}
    if kind == 7:
        return {"shipping_fee": 60}  # a number, not a string: fine, no issue
    if kind == 8:
        return {"return_status": "lost_in_transit"}
    return {"created_at": "2025-13-01 00:00:00"}


def order(rng: random.Random, order_id: int, day: dt.date, malformed_rate: float) -> dict[str, Any]:
    created = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randrange(86400))
    updated = created + dt.timedelta(seconds=rng.randrange(3 * 86400))
    created_text = created.strftime("%Y-%m-%d %H:%M:%S")
    updated_text = updated.strftime("%Y-%m-%d %H:%M:%S")
    items = []
    subtotal = 0
    for position in range(rng.choice(ITEM_COUNTS)):
        pid, name, sku, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
        quantity = rng.randrange(1, 4)
        line = price * quantity
        subtotal += line
        item = {
            "id": order_id * 10 + position,
            "quantity": quantity,
            "total_price_before_discounts": f"{line}.00",
            "total_discount": "0.00",
            "total_price_after_discounts": f"{line}.00",
            "product_id": pid,
            "contact_order_id": order_id,
            "product": {"id": pid, "name": name, "sku": sku, "price": price},
            "created_at": created_text,
            "updated_at": updated_text,
        }
        if rng.random() < malformed_rate / 4:
            item["quantity"] = rng.choice((1.5, "two", None))
        items.append(item)
    shipping = rng.choice((0, 60, 80, 120))
    payload: dict[str, Any] = {
        "id": order_id,
        "order_source": rng.choice(("cyberbiz", "cyberbiz", "shopline", "pos")),
        "order_created_at": created_text,
        "order_updated_at": updated_text,
        "order_number": f"O{order_id:09d}",
        "order_name": f"#{order_id}",
        "receiver_name": rng.choice(NAMES),
        "receiver_address": f"{rng.choice(CITIES)}{rng.randrange(1, 400)}號",
        "receiver_phone": f"09{rng.randrange(10**8):08d}",
        "subtotal_price": f"{subtotal}.00",
        "total_discount": "0.00",
        "shipping_fee": f"{shipping}.00",
        "total_tax": "0.00",
        "total_price": f"{subtotal + shipping}.00",
        "financial_status": rng.choice(tuple(FINANCIAL_STATUSES)),
        "fulfillment_status": rng.choice(tuple(FULFILLMENT_STATUSES)),
        "return_status": rng.choice(tuple(RETURN_STATUSES)),
        "note": rng.choice(NOTES),
        "extra_info": None,
        "contact_id": rng.randrange(1, 200_000),
        "items": items,
        "created_at": created_text,
        "updated_at": updated_text,
    }
    if rng.random() < malformed_rate:
        payload.update(malformations(rng))
    return payload


def windows(
    orders: int, days: int, seed: int, malformed_rate: float
) -> Iterator[tuple[dt.date, list[dict[str, Any]]]]:
    """Deterministic day windows holding `orders` orders between them."""
    rng = random.Random(seed)
    next_id = 1
    for index in range(days):
        day = FIRST_DAY + dt.timedelta(days=index)
        count = orders // days + (1 if index < orders % days else 0)
        batch = [order(rng, next_id + n, day, malformed_rate) for n in range(count)]
        next_id += count
        yield day, batch


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process (all DuckDB threads): stable even when other jobs share cores."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Stopwatch:
    """Wall and CPU seconds of one phase."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def run(self, fn: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = fn()
        self.wall += time.perf_counter() - wall
        self.cpu += cpu_seconds() - cpu
        return result

    def rate(self, count: int, what: str) -> str:
        return (
            f"{count / self.wall:>12,.0f} {what}/s  ({self.wall:.1f} s wall, {self.cpu:.1f} s CPU, "
            f"{count / self.cpu:,.0f} {what} per CPU-second)"
        )


Phase = Callable[[Warehouse, Stopwatch], NormalizeResult]
FLOOR_SQL = Path(__file__).with_name("floor.sql")


def timed_runs(
    path: Path, landed_copy: Path, memory_limit: str | None, repeat: int, phase: Phase
) -> list[tuple[Stopwatch, NormalizeResult]]:
    """Run `phase` `repeat` times, each on a fresh copy of the landed file in a warehouse opened
    afresh (as the Dagster step opens it), sorted by wall; each pays for its checkpoint."""
    runs = []
    for _ in range(repeat):
        shutil.copyfile(landed_copy, path)
        watch = Stopwatch()
        with Warehouse(path, memory_limit=memory_limit) as warehouse:
            result = phase(warehouse, watch)
            watch.run(lambda: warehouse.execute("checkpoint"))
        runs.append((watch, result))
    return sorted(runs, key=lambda run: run[0].wall)


def normalize_staged(
    days: list[dt.date], warehouse: Warehouse, watch: Stopwatch
) -> NormalizeResult:
    """The normalize a sync's Dagster step runs: from rows staged at landing."""
    return watch.run(lambda: warehouse.normalize_windows(days))


def normalize_unstaged(
    days: list[dt.date], warehouse: Warehouse, watch: Stopwatch
) -> NormalizeResult:
    """Raw JSON -> tables with the parse counted: staging emptied first (off the clock), as in a
    warehouse landed by a version before staging, so the normalize parses every raw payload."""
    # As in tests/test_normalize.py.
    warehouse.connection.execute("DELETE FROM staging.items")
    warehouse.connection.execute("DELETE FROM staging.orders")
    warehouse.execute("checkpoint")
    return normalize_staged(days, warehouse, watch)


def floor(warehouse: Warehouse, watch: Stopwatch) -> NormalizeResult:
    """`floor.sql`: the least raw JSON -> tables can cost here (one parse, casts, two plain
    tables, nothing checked), with the connector's own parse (`sql/parse_rules.sql`)."""
    warehouse.execute("parse_rules")
    con = warehouse.connection
    for statement in con.extract_statements(FLOOR_SQL.read_text()):
        last = watch.run(partial(con.execute, statement))
    orders, items = last.fetchall()[0]  # floor.sql ends by counting what it wrote
    return replace(NormalizeResult.empty(), orders=orders, items=items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--malformed-rate", type=float, default=0.01)
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file (default: a temp dir)")
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help=f"DuckDB memory_limit ('none': DuckDB's 80%% of RAM; default {DEFAULT_MEMORY_LIMIT})",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="normalize runs, each on a fresh copy (median shown)"
    )
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-normalize-") as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        fetched_at = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
        generating, landing = Stopwatch(), Stopwatch()
        renormalizing, one_window = Stopwatch(), Stopwatch()
        landed = 0
        days: list[dt.date] = []
        memory_limit = None if args.memory_limit.lower() == "none" else args.memory_limit
        with Warehouse(path, memory_limit=memory_limit) as warehouse:
            warehouse.ensure_schema()
            batches = windows(args.orders, args.days, args.seed, args.malformed_rate)
            while (window := generating.run(lambda: next(batches, None))) is not None:
                day, batch = window
                stats = {"pages": len(batch) // 100 + 1}
                land = partial(
                    warehouse.land_window, day, batch, fetched_at=fetched_at, stats=stats
                )
                landed += landing.run(land)
                days.append(day)
            # Each phase pays for writing its rows into the file, as a sync does when it closes.
            landing.run(lambda: warehouse.execute("checkpoint"))
            rss_after_landing = peak_rss_mib()
        # The normalize is a Dagster step of its own, which opens the warehouse afresh. Each
        # repeat normalizes a fresh copy of the landed file: this machine's speed varies.
        landed_copy = Path(tmp) / "landed.duckdb"
        shutil.copyfile(path, landed_copy)
        timed = partial(timed_runs, path, landed_copy, memory_limit, args.repeat)
        staged_runs = timed(partial(normalize_staged, days))
        cold_runs = timed(partial(normalize_unstaged, days))
        floor_runs = timed(floor)
        result = staged_runs[-1][1]
        with Warehouse(path, memory_limit=memory_limit) as warehouse:
            again = renormalizing.run(lambda: warehouse.normalize_windows(days))
            renormalizing.run(lambda: warehouse.execute("checkpoint"))
            middle = days[len(days) // 2 : len(days) // 2 + 1]
            single = one_window.run(lambda: warehouse.normalize_windows(middle))
        size_mib = Path(path).stat().st_size / 2**20
    load_after = os.getloadavg()[0]

    print(
        f"orders generated          {landed:>12,}  in {generating.wall:.1f} s (not counted below)"
    )
    print(f"landing                   {landing.rate(landed, 'orders')}")
    for label, runs in (
        ("normalize staged->tables", staged_runs),
        ("raw JSON->tables (parse)", cold_runs),
        ("floor: parse+cast only  ", floor_runs),
    ):
        watch, counts = runs[len(runs) // 2]
        print(f"{label}  {watch.rate(counts.orders, 'orders')} (median run)")
        print(f"                          {watch.rate(counts.items, 'items')}")
        rates = sorted(counts.orders / watch.wall for watch, counts in runs)
        print(
            f"  over {len(rates)} runs          median {statistics.median(rates):,.0f} orders/s, "
            f"each: {', '.join(f'{rate:,.0f}' for rate in rates)}"
        )
    print(f"re-normalize (no change)  {renormalizing.rate(again.orders, 'orders')}")
    print(
        f"normalize one window      {single.orders:>12,} orders in {one_window.wall:.2f} s "
        "(on the full warehouse)"
    )
    print(
        f"result                    orders={result.orders:,} items={result.items:,} "
        f"products={result.products:,} issues={result.issues:,} "
        f"status_changes={result.status_changes:,} unknown_values={result.unknown_status_values}"
    )
    print(f"database file             {size_mib:>12,.0f} MiB")
    print(
        f"peak RSS                  {peak_rss_mib():>12,.0f} MiB "
        f"(after landing {rss_after_landing:,.0f})"
    )
    print(f"DuckDB memory_limit       {args.memory_limit:>12}")
    print(
        f"machine                   {os.cpu_count()} cores, load average {load_before:.1f} before, "
        f"{load_after:.1f} after (other jobs share the cores when it is above 2)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
