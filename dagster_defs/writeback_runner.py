"""`orders-connector writeback`: the write-back job run in-process, as the UI would run it."""

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dagster_defs.assets.writeback import WRITEBACK_ASSET, WRITEBACK_JOB
from dagster_defs.definitions import build_definitions
from dagster_defs.runner import QUIET_LOGGERS, failure_reason, instance, read_warehouse
from orders_connector.settings import ApiSettings, SyncSettings
from orders_connector.transitions import TransitionPolicy
from orders_connector.writeback import run_rows
from orders_connector.writeback_audit import AuditRow, outcome_counts, plan_text


@dataclass
class WritebackRunOutcome:
    """What the job did: success, why not, the failure-share check, and the audit rows."""

    success: bool
    reason: str | None
    run_id: str
    checks: list[tuple[str, bool]]
    rows: list[AuditRow]


def writeback_run_config(
    *, apply: bool, max_writes: int, allow_transitions: Sequence[str]
) -> dict[str, Any]:
    config = {
        "dry_run": not apply,
        "max_writes": max_writes,
        "allow_transitions": list(allow_transitions),
    }
    return {"ops": {WRITEBACK_ASSET: {"config": config}}, **QUIET_LOGGERS}


def checked_configuration(*, db: str | None, allow_transitions: Sequence[str]) -> SyncSettings:
    """Fail at start-up, one clear line, before any request (and before anything is printed)."""
    ApiSettings.from_env()
    TransitionPolicy.parse(allow_transitions)
    return SyncSettings.from_env(duckdb_path=db)


def run_writeback_job(
    *, apply: bool, max_writes: int, db: str | None, allow_transitions: Sequence[str] = ()
) -> WritebackRunOutcome:
    """One run of `firstline_orders_writeback` on the DuckDB file `db`."""
    sync = checked_configuration(db=db, allow_transitions=allow_transitions)
    job = build_definitions(sync).resolve_job_def(WRITEBACK_JOB)
    result = job.execute_in_process(
        instance=instance(),
        run_config=writeback_run_config(
            apply=apply, max_writes=max_writes, allow_transitions=allow_transitions
        ),
        raise_on_error=False,
    )
    rows: list[AuditRow] = []
    # A run that failed before it opened the file leaves nothing to read.
    if os.path.exists(sync.duckdb_path):
        with read_warehouse(sync) as warehouse:
            if warehouse.fetch("writeback_log_exists"):
                rows = run_rows(warehouse, result.run_id)
    return WritebackRunOutcome(
        success=result.success,
        reason=failure_reason(result),
        run_id=result.run_id,
        checks=[(e.check_name, e.passed) for e in result.get_asset_check_evaluations()],
        rows=rows,
    )


def writeback_through_dagster(
    *, apply: bool, max_writes: int, db: str | None, allow_transitions: Sequence[str] = ()
) -> int:
    """The CLI command: run, print the plan/outcome table and a summary; 0 when all went well."""
    checked_configuration(db=db, allow_transitions=allow_transitions)
    mode = "APPLY: updates will be sent" if apply else "dry run: nothing will be sent"
    print(f"write-back ({mode}), max {max_writes} updates", file=sys.stderr)
    outcome = run_writeback_job(
        apply=apply, max_writes=max_writes, db=db, allow_transitions=allow_transitions
    )
    if outcome.rows:
        print(plan_text(outcome.rows))
    else:
        print("no corrections to work on")
    counts = ", ".join(f"{n} {k}" for k, n in outcome_counts(outcome.rows).items() if n)
    print(f"\nrun {outcome.run_id}: {counts or 'nothing to do'}")
    for name, passed in outcome.checks:
        print(f"check {name}: {'passed' if passed else 'FAILED'}")
    if not apply and any(r.outcome == "dry_run" for r in outcome.rows):
        print("nothing was sent; run again with --apply to send the dry_run rows")
    if not outcome.success:
        print(f"error: {outcome.reason}", file=sys.stderr)
        return 1
    return 0
