"""How close `extract_windows` gets to what the server allows.

Starts a sandbox with per-request latency and a Laravel-style throttle, extracts every day
window once at concurrency 1 and once at the default settings, and prints orders/s,
requests/s, the share of 429s, and the ratio to the throttle bound
min(throttle rate, concurrency / latency). A fresh sandbox per run, in its own process (as a remote
server would be, its work does not compete with the client for the GIL), so each run also
meets the throttle's window from its start.

    .venv/bin/python benchmarks/extract_quick.py            # ~2.5 minutes
    .venv/bin/python benchmarks/extract_quick.py --orders 20000 --throttle 1200
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection

from sandbox_process import busiest_window

from orders_connector.extract import WindowExtract, extract_windows
from orders_connector.sandbox import Faults, SandboxConfig, SandboxServer
from orders_connector.settings import ApiSettings
from orders_connector.windows import split_days

TOKEN = "benchmark-token"


@dataclass
class RunResult:
    label: str
    concurrency: int
    orders: int
    requests: int
    throttled: int
    seconds: float
    bound: float
    server_max_in_window: int
    truth_matches: bool


def serve(config: SandboxConfig, days: list[dt.date], conn: Connection) -> None:
    """The sandbox in its own process, so its CPU work does not share the client's GIL."""
    with SandboxServer(config) as sandbox:
        conn.send(sandbox.base_url)
        conn.recv()  # the client is done
        truth = {day: {int(o["id"]) for o in sandbox.state.orders_on(day)} for day in days}
        conn.send((truth, [request.time for request in sandbox.state.requests]))


def run_once(args: argparse.Namespace, label: str, concurrency: int | None) -> RunResult:
    start = dt.date(2025, 10, 1)
    end = start + dt.timedelta(days=args.days - 1)
    config = SandboxConfig(
        orders=args.orders,
        start=start,
        end=end,
        seed=11,
        token=TOKEN,
        per_page_cap=100,
        faults=Faults(
            latency_ms=args.latency_ms,
            rate_limit_per_minute=args.throttle,
            rate_limit_window_seconds=args.window,
        ),
    )
    windows = split_days(start, end)
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(config, [w.day for w in windows], theirs), daemon=True
    )
    server.start()
    try:
        base_url = ours.recv()
        overrides = {} if concurrency is None else {"max_concurrency": concurrency}
        settings = ApiSettings(
            base_url=base_url, token=TOKEN, timezone=config.timezone, **overrides
        )
        seen: dict[dt.date, set[int]] = {}
        lock = threading.Lock()

        def sink(extract: WindowExtract) -> None:
            with lock:
                seen[extract.window.day] = {int(o["id"]) for o in extract.orders}

        summary = extract_windows(settings, windows, sink)
        ours.send("done")
        truth, arrivals = ours.recv()
    finally:
        server.terminate()
        server.join()
    used = settings.max_concurrency
    bound = min(args.throttle / args.window, used / (args.latency_ms / 1000))
    return RunResult(
        label=label,
        concurrency=used,
        orders=summary.orders,
        requests=summary.requests,
        throttled=summary.throttled,
        seconds=summary.seconds,
        bound=bound,
        server_max_in_window=busiest_window(arrivals, args.window),
        truth_matches=seen == truth,
    )


def report(result: RunResult, throttle: int, window: float) -> None:
    requests_per_second = result.requests / result.seconds
    print(
        f"{result.label:<22} concurrency={result.concurrency:<2} "
        f"orders={result.orders} requests={result.requests} in {result.seconds:.1f}s "
        f"({1000 * result.concurrency * result.seconds / max(result.requests, 1):.0f} ms "
        "per request per slot) | "
        f"{result.orders / result.seconds:8.1f} orders/s {requests_per_second:6.2f} req/s | "
        f"429s {100 * result.throttled / max(result.requests, 1):.2f}% | "
        f"bound {result.bound:.2f} req/s -> {100 * requests_per_second / result.bound:.1f}% | "
        f"server busiest {window:g}s span: {result.server_max_in_window}/{throttle} | "
        f"matches truth: {result.truth_matches}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--throttle", type=int, default=600, help="requests per window")
    parser.add_argument("--window", type=float, default=60.0, help="throttle window, seconds")
    parser.add_argument("--only", choices=["serial", "default"], default=None)
    args = parser.parse_args()
    print(
        f"sandbox: {args.orders} orders over {args.days} days, {args.latency_ms:g} ms latency, "
        f"throttle {args.throttle} requests / {args.window:g}s"
    )
    runs = [("concurrency 1", 1), ("defaults", None)]
    for label, concurrency in runs:
        if args.only == "serial" and concurrency is None:
            continue
        if args.only == "default" and concurrency == 1:
            continue
        report(run_once(args, label, concurrency), args.throttle, args.window)


if __name__ == "__main__":
    main()
