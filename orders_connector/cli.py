"""`orders-connector`: the command-line face. It runs the Dagster graph; nothing imports it."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import warnings
from collections.abc import Callable, Sequence

from orders_connector.errors import OrdersConnectorError

SANDBOX_TOKEN = "sandbox-token"
log = logging.getLogger("orders_connector")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except OrdersConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def setup_logging(verbose: bool) -> None:
    # Dagster flags the preview/beta APIs it runs (single-run backfills, partitioned checks) on
    # every load; users of the CLI cannot act on those, so they stay out of its output.
    warnings.filterwarnings("ignore", message=r".*(beta|preview).*", category=Warning)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orders-connector",
        description="FIRST LINE CRM orders into DuckDB, through Dagster.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    sandbox = sub.add_parser("sandbox", help="serve the local FIRST LINE API sandbox")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--orders", type=int, default=2000)
    sandbox.add_argument(
        "--start", type=iso_date, default=None, help="first day (default: 30 days ago)"
    )
    sandbox.add_argument("--end", type=iso_date, default=None, help="last day (default: today)")
    sandbox.add_argument("--seed", type=int, default=1)
    sandbox.add_argument("--token", default=SANDBOX_TOKEN)
    sandbox.add_argument("--latency-ms", type=float, default=0.0)
    sandbox.add_argument("--rate-limit", type=int, default=None, help="requests per minute")
    sandbox.set_defaults(command=run_sandbox)

    sync = sub.add_parser("sync", help="materialize day windows through Dagster, checks included")
    sync.add_argument("--start", type=iso_date, required=True)
    sync.add_argument("--end", type=iso_date, required=True)
    sync.add_argument("--db", default=None, help="DuckDB file (default: $ORDERS_DUCKDB_PATH)")
    sync.set_defaults(command=run_sync)

    refresh = sub.add_parser("refresh", help="what the daily schedule runs: lookback + open orders")
    refresh.add_argument("--as-of", type=iso_date, default=None, help="take this day as today")
    refresh.add_argument("--lookback-days", type=int, default=None, help="default 7")
    refresh.add_argument("--db", default=None, help="DuckDB file (default: $ORDERS_DUCKDB_PATH)")
    refresh.set_defaults(command=run_refresh)

    demo = sub.add_parser("demo", help="sandbox + 30-day backfill into DuckDB + checks + summary")
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--orders", type=int, default=2000)
    demo.add_argument("--db", default=None, help="DuckDB file (default: data/orders.duckdb)")
    demo.set_defaults(command=run_demo)

    writeback = sub.add_parser(
        "writeback",
        help="send order_status_corrections to the CRM (a dry run unless --apply)",
    )
    writeback.add_argument("--apply", action="store_true", help="send the updates (default: plan)")
    writeback.add_argument(
        "--max-writes", type=int, default=100, metavar="N", help="hard cap on updates (100)"
    )
    writeback.add_argument("--db", default=None, help="DuckDB file (default: $ORDERS_DUCKDB_PATH)")
    writeback.add_argument(
        "--allow-transition",
        action="append",
        default=[],
        metavar="RULE",
        help="allow a move against the status life cycle: 'any' or '<field>:<from>-><to>'",
    )
    writeback.set_defaults(command=run_writeback)
    return parser


def run_sandbox(args: argparse.Namespace) -> int:
    from orders_connector.sandbox import SandboxConfig, serve_forever
    from orders_connector.settings import DEFAULT_TIMEZONE, zone
    from orders_connector.windows import today_in

    today = today_in(zone(DEFAULT_TIMEZONE))
    start = args.start or today - dt.timedelta(days=29)
    end = args.end or today
    config = SandboxConfig(
        orders=args.orders, start=start, end=end, seed=args.seed, token=args.token
    )
    config.faults.latency_ms = args.latency_ms
    config.faults.rate_limit_per_minute = args.rate_limit
    serve_forever(config, args.host, args.port)
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from dagster_defs.runner import sync_through_dagster

    return sync_through_dagster(args.start, args.end, db=args.db)


def run_refresh(args: argparse.Namespace) -> int:
    from dagster_defs.runner import refresh_through_dagster

    return refresh_through_dagster(as_of=args.as_of, lookback_days=args.lookback_days, db=args.db)


def run_demo(args: argparse.Namespace) -> int:
    from dagster_defs.runner import demo

    return demo(days=args.days, orders=args.orders, db=args.db)


def run_writeback(args: argparse.Namespace) -> int:
    from dagster_defs.writeback_runner import writeback_through_dagster

    return writeback_through_dagster(
        apply=args.apply,
        max_writes=args.max_writes,
        db=args.db,
        allow_transitions=args.allow_transition,
    )


if __name__ == "__main__":
    raise SystemExit(main())
