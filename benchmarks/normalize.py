"""Benchmark: land synthetic raw orders through `Warehouse.land_window`, then time
`Warehouse.normalize_windows` over every day.

    .venv/bin/python benchmarks/normalize.py                  # 1,000,000 orders over 90 days
    .venv/bin/python benchmarks/normalize.py --orders 100000  # quicker while iterating

Prints landing and normalizing throughput (orders/s, items/s) and the process's peak RSS. The
payloads have the API's shapes (money as decimal strings, product price as a number, API-local
timestamps, CJK text) and about 1% malformed values of every kind the normalizer must flag.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orders_connector.enums import FINANCIAL_STATUSES, FULFILLMENT_STATUSES, RETURN_STATUSES
from orders_connector.warehouse import Warehouse

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--malformed-rate", type=float, default=0.01)
    parser.add_argument("--db", type=Path, default=None, help="DuckDB file (default: a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-normalize-") as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        fetched_at = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
        generate_seconds = land_seconds = 0.0
        landed = 0
        days: list[dt.date] = []
        with Warehouse(path) as warehouse:
            warehouse.ensure_schema()
            started = time.perf_counter()
            for day, batch in windows(args.orders, args.days, args.seed, args.malformed_rate):
                generated = time.perf_counter()
                generate_seconds += generated - started
                landed += warehouse.land_window(
                    day, batch, fetched_at=fetched_at, stats={"pages": len(batch) // 100 + 1}
                )
                started = time.perf_counter()
                land_seconds += started - generated
                days.append(day)
            rss_after_landing = peak_rss_mib()

            started = time.perf_counter()
            result = warehouse.normalize_windows(days)
            normalize_seconds = time.perf_counter() - started

            started = time.perf_counter()
            again = warehouse.normalize_windows(days)
            renormalize_seconds = time.perf_counter() - started

            started = time.perf_counter()
            one_day = warehouse.normalize_windows(days[len(days) // 2 : len(days) // 2 + 1])
            one_day_seconds = time.perf_counter() - started
        size_mib = Path(path).stat().st_size / 2**20

    print(
        f"orders generated          {landed:>12,}  in {generate_seconds:7.1f} s (not timed below)"
    )
    print(
        f"landing                   {landed / land_seconds:>12,.0f} orders/s "
        f"({land_seconds:.1f} s, {len(days)} windows)"
    )
    print(
        f"normalize raw->tables     {result.orders / normalize_seconds:>12,.0f} orders/s "
        f"({normalize_seconds:.1f} s)"
    )
    print(f"                          {result.items / normalize_seconds:>12,.0f} items/s")
    print(
        f"re-normalize (no change)  {again.orders / renormalize_seconds:>12,.0f} orders/s "
        f"({renormalize_seconds:.1f} s, {again.status_changes} status changes)"
    )
    print(
        f"normalize one window      {one_day.orders:>12,} orders in {one_day_seconds:.2f} s "
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
