"""Run the asset graph in-process, as the UI would: used by the `orders-connector` CLI."""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from typing import Any

import dagster as dg

from dagster_defs.definitions import SYNC_JOB, build_definitions
from dagster_defs.partitions import start_date_from_env, timezone_from_env
from dagster_defs.resources import duckdb_path_from_env
from orders_connector.errors import ConfigurationError
from orders_connector.settings import ApiSettings
from orders_connector.warehouse import Warehouse

QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RunOutcome:
    """What a CLI-driven run did: success, the first failure's reason, check results."""

    success: bool
    reason: str | None
    checks: list[tuple[str, bool, str]]


def instance() -> dg.DagsterInstance:
    """The DAGSTER_HOME instance when there is one (runs then show in the UI), else ephemeral."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_windows(
    start: dt.date, end: dt.date, *, db: str, tags: dict[str, str] | None = None
) -> RunOutcome:
    """Materialize the sync job over [start, end] in one run (the single-run backfill path)."""
    if end < start:
        raise ConfigurationError(f"--end {end} is before --start {start}")
    ApiSettings.from_env()  # fail at start-up, one clear line, before any request
    timezone = timezone_from_env()
    first_partition = min(start_date_from_env(), start)
    defs = build_definitions(start_date=first_partition, timezone=timezone, duckdb_path=db)
    job = defs.resolve_job_def(SYNC_JOB)
    result = job.execute_in_process(
        instance=instance(),
        run_config=QUIET_LOGGERS,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
            **(tags or {}),
        },
    )
    checks = [
        (e.check_name, e.passed, str(e.severity.value))
        for e in result.get_asset_check_evaluations()
    ]
    return RunOutcome(success=result.success, reason=failure_reason(result), checks=checks)


def failure_reason(result: dg.ExecuteInProcessResult) -> str | None:
    """The innermost error message of the first failed step, on one line."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error: Any = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            if error is not None:
                return " ".join(str(error.message).split())
    return None if result.success else "the run failed (see the Dagster event log)"


def sync_through_dagster(start: dt.date, end: dt.date, *, db: str | None) -> int:
    path = db or duckdb_path_from_env()
    print(f"syncing {start} .. {end} into {path}", file=sys.stderr)
    outcome = run_windows(start, end, db=path)
    print_summary(path, start, end, outcome)
    if not outcome.success:
        print(f"error: {outcome.reason}", file=sys.stderr)
        return 1
    return 0


def print_summary(path: str, start: dt.date, end: dt.date, outcome: RunOutcome) -> None:
    if os.path.exists(path):
        with Warehouse(path, timezone=timezone_from_env(), read_only=True) as warehouse:
            rows = warehouse.fetch("summary_windows", {"start": start, "end": end})
        print(
            f"{'window':<12}{'orders':>8}{'items':>8}{'api total':>11}{'issues':>8}{'requests':>10}"
        )
        for day, orders, items, total, issues, requests in rows:
            print(f"{day!s:<12}{orders:>8}{items:>8}{total:>11}{issues:>8}{requests:>10}")
        if rows:
            totals = [sum(int(r[i] or 0) for r in rows) for i in range(1, 6)]
            print(
                f"{'total':<12}{totals[0]:>8}{totals[1]:>8}{totals[2]:>11}{totals[3]:>8}{totals[4]:>10}"
            )
    for name, passed, severity in outcome.checks:
        print(f"check {name}: {'passed' if passed else 'FAILED (' + severity.lower() + ')'}")


def demo(*, days: int, orders: int, db: str | None) -> int:
    """Sandbox on a free port, backfill the last `days` windows, checks, and what landed."""
    from orders_connector.sandbox import SandboxConfig, SandboxServer
    from orders_connector.settings import zone
    from orders_connector.windows import today_in

    timezone = timezone_from_env()
    end = today_in(zone(timezone))
    start = end - dt.timedelta(days=days - 1)
    path = db or duckdb_path_from_env()
    config = SandboxConfig(
        orders=orders, start=start, end=end, seed=1, token="sandbox-token", timezone=timezone
    )
    with SandboxServer(config) as sandbox:
        os.environ["ORDERS_API_BASE_URL"] = sandbox.base_url
        os.environ["ORDERS_API_TOKEN"] = "sandbox-token"
        os.environ.setdefault("ORDERS_START_DATE", start.isoformat())
        print(f"sandbox API at {sandbox.base_url} ({orders} orders, {start} .. {end})")
        print(f"backfilling {days} day windows into {path} through Dagster ...")
        outcome = run_windows(start, end, db=path)
    print_summary(path, start, end, outcome)
    if outcome.success:
        print_landed(path)
        print(
            "\nExplore it in the Dagster UI (two terminals, from this folder):\n"
            "  .venv/bin/orders-connector sandbox --port 8765\n"
            f"  ORDERS_API_BASE_URL=http://127.0.0.1:8765 ORDERS_API_TOKEN=sandbox-token "
            f"ORDERS_START_DATE={start} ORDERS_DUCKDB_PATH={path} .venv/bin/dagster dev"
        )
        return 0
    print(f"error: {outcome.reason}", file=sys.stderr)
    return 1


def print_landed(path: str) -> None:
    with Warehouse(path, timezone=timezone_from_env(), read_only=True) as warehouse:
        [(orders, items, products, issues, history)] = warehouse.fetch("summary_totals")
        statuses = warehouse.fetch("summary_statuses")
    print(
        f"\nlanded: {orders} orders, {items} items, {products} products, "
        f"{issues} data issues, {history} status observations"
    )
    for kind, code, count, known in statuses:
        print(f"  {kind:<20}{code:<24}{count:>6}{'' if known else '  (unknown code)'}")
