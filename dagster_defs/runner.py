"""Run the asset graph in-process, as the UI would: used by the `orders-connector` CLI."""

import datetime as dt
import os
import sys
from dataclasses import dataclass
from typing import Any

import dagster as dg

from dagster_defs.definitions import build_definitions
from dagster_defs.partitions import range_tags
from dagster_defs.schedules import DAILY_JOB, SYNC_JOB, refresh_run_config
from orders_connector.errors import ConfigurationError
from orders_connector.freshness import lookback_windows
from orders_connector.settings import ApiSettings, SyncSettings, zone
from orders_connector.warehouse import Warehouse
from orders_connector.windows import today_in

QUIET_LOGGERS: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RunOutcome:
    """What a CLI-driven run did: success, the first failure's reason, check results."""

    success: bool
    reason: str | None
    checks: list[tuple[str, bool, str]]
    started_at: dt.datetime
    result: dg.ExecuteInProcessResult


def instance() -> dg.DagsterInstance:
    """The DAGSTER_HOME instance when there is one (runs then show in the UI), else ephemeral."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def check_range(sync: SyncSettings, start: dt.date, end: dt.date) -> None:
    """A range of day windows that exist: start <= end <= today (API-local)."""
    if end < start:
        raise ConfigurationError(f"end {end} is before start {start}")
    today = today_in(zone(sync.timezone))
    if end > today:
        # Dagster would run (and mark materialized) partitions that do not exist yet.
        raise ConfigurationError(
            f"end {end} is in the future (today is {today} in {sync.timezone})"
        )


def run_job(
    job_name: str,
    sync: SyncSettings,
    start: dt.date,
    end: dt.date,
    run_config: dict[str, Any] | None = None,
) -> RunOutcome:
    """Materialize a job over the partitions [start, end] in one run (single-run backfill)."""
    check_range(sync, start, end)
    ApiSettings.from_env()  # fail at start-up, one clear line, before any request
    # Partitions must reach back to the first window asked for.
    sync = sync.model_copy(update={"start_date": min(sync.start_date, start)})
    job = build_definitions(sync).resolve_job_def(job_name)
    started_at = dt.datetime.now(dt.UTC)
    result = job.execute_in_process(
        instance=instance(),
        run_config={**QUIET_LOGGERS, **(run_config or {})},
        raise_on_error=False,
        tags=range_tags(start, end),
    )
    checks = [
        (e.check_name, e.passed, str(e.severity.value))
        for e in result.get_asset_check_evaluations()
    ]
    return RunOutcome(result.success, failure_reason(result), checks, started_at, result)


def failure_reason(result: dg.ExecuteInProcessResult) -> str | None:
    """The innermost error message of the first failed step, on one line."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error: Any = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            if error is not None:
                # Our own errors say what went wrong; their module path adds nothing.
                message = str(error.message).removeprefix(
                    f"orders_connector.errors.{error.cls_name}: "
                )
                return " ".join(message.split())
    return None if result.success else "the run failed (see the Dagster event log)"


def finish(outcome: RunOutcome) -> int:
    for name, passed, severity in outcome.checks:
        print(f"check {name}: {'passed' if passed else 'FAILED (' + severity.lower() + ')'}")
    if outcome.success:
        return 0
    print(f"error: {outcome.reason}", file=sys.stderr)
    return 1


def sync_through_dagster(start: dt.date, end: dt.date, *, db: str | None) -> int:
    sync = SyncSettings.from_env(duckdb_path=db)
    ApiSettings.from_env()
    check_range(sync, start, end)
    print(f"syncing {start} .. {end} into {sync.duckdb_path}", file=sys.stderr)
    outcome = run_job(SYNC_JOB, sync, start, end)
    print_windows(sync, start, end)
    return finish(outcome)


def refresh_through_dagster(
    *, as_of: dt.date | None, lookback_days: int | None, db: str | None
) -> int:
    """Exactly what the daily schedule runs, as if today were `as_of`."""
    sync = SyncSettings.from_env(duckdb_path=db, lookback_days=lookback_days)
    ApiSettings.from_env()
    as_of = as_of or today_in(zone(sync.timezone))
    windows = lookback_windows(as_of, sync.lookback_days, sync.start_date)
    print(f"refresh as of {as_of}: lookback {windows[0].day} .. {windows[-1].day}", file=sys.stderr)
    outcome = run_job(
        DAILY_JOB,
        sync,
        windows[0].day,
        windows[-1].day,
        refresh_run_config(sync, as_of=as_of),
    )
    if outcome.success:
        print_refresh(sync, outcome)
    return finish(outcome)


def read_warehouse(sync: SyncSettings) -> Warehouse:
    """The warehouse opened read-only for a command's report after its run."""
    return Warehouse(
        sync.duckdb_path,
        timezone=sync.timezone,
        read_only=True,
        memory_limit=sync.duckdb_memory_limit,
    )


def print_refresh(sync: SyncSettings, outcome: RunOutcome) -> None:
    with read_warehouse(sync) as warehouse:
        windows = warehouse.fetch("report_refreshed_windows", {"since": outcome.started_at})
        changes = warehouse.fetch("report_status_changes", {"since": outcome.started_at})
    refreshed = {
        m.partition or "": m
        for m in outcome.result.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey("raw_orders")
    }
    print(f"{'window':<12}{'reason':<14}{'orders':>8}{'requests':>10}")
    for day, orders, requests in windows:
        reason = "lookback" if day.isoformat() in refreshed else "open orders"
        print(f"{day!s:<12}{reason:<14}{orders:>8}{requests:>10}")
    print(f"{len(changes)} status changes seen")
    for order_id, field, before, after in changes:
        print(f"  order {order_id}: {field} {before} -> {after}")


def print_windows(sync: SyncSettings, start: dt.date, end: dt.date) -> None:
    if not os.path.exists(sync.duckdb_path):
        return
    with read_warehouse(sync) as warehouse:
        rows = warehouse.fetch("summary_windows", {"start": start, "end": end})
    header = (
        f"{'window':<12}{'orders':>8}{'items':>8}{'api total':>11}{'issues':>8}{'requests':>10}"
    )
    print(header)
    for day, orders, items, total, issues, requests in rows:
        print(f"{day!s:<12}{orders:>8}{items:>8}{total:>11}{issues:>8}{requests:>10}")
    if rows:
        t = [sum(int(r[i] or 0) for r in rows) for i in range(1, 6)]
        print(f"{'total':<12}{t[0]:>8}{t[1]:>8}{t[2]:>11}{t[3]:>8}{t[4]:>10}")


def demo(*, days: int, orders: int, db: str | None) -> int:
    """Sandbox on a free port, backfill the last `days` windows, checks, and what landed."""
    from orders_connector.sandbox import SandboxConfig, SandboxServer

    sync = SyncSettings.from_env(duckdb_path=db)
    end = today_in(zone(sync.timezone))
    start = end - dt.timedelta(days=days - 1)
    sync = sync.model_copy(update={"start_date": min(sync.start_date, start)})
    config = SandboxConfig(
        orders=orders, start=start, end=end, seed=1, token="sandbox-token", timezone=sync.timezone
    )
    with SandboxServer(config) as sandbox:
        os.environ["ORDERS_API_BASE_URL"] = sandbox.base_url
        os.environ["ORDERS_API_TOKEN"] = "sandbox-token"
        print(f"sandbox API at {sandbox.base_url} ({orders} orders, {start} .. {end})")
        print(f"backfilling {days} day windows into {sync.duckdb_path} through Dagster ...")
        outcome = run_job(SYNC_JOB, sync, start, end)
    print_windows(sync, start, end)
    code = finish(outcome)
    if code == 0:
        print_landed(sync)
        print(
            "\nExplore it in the Dagster UI (two terminals, from this folder):\n"
            "  .venv/bin/orders-connector sandbox --port 8765\n"
            "  ORDERS_API_BASE_URL=http://127.0.0.1:8765 ORDERS_API_TOKEN=sandbox-token "
            f"ORDERS_START_DATE={start} ORDERS_DUCKDB_PATH={sync.duckdb_path} .venv/bin/dagster dev"
        )
    return code


def print_landed(sync: SyncSettings) -> None:
    with read_warehouse(sync) as warehouse:
        [(orders, items, products, issues, history)] = warehouse.fetch("summary_totals")
        statuses = warehouse.fetch("summary_statuses")
    print(
        f"\nlanded: {orders} orders, {items} items, {products} products, "
        f"{issues} data issues, {history} status observations"
    )
    for kind, code, count, known in statuses:
        print(f"  {kind:<20}{code:<24}{count:>6}{'' if known else '  (unknown code)'}")
