"""`orders-connector sync` killed with SIGKILL half-way, and two syncs at once on one file.

The sandbox answers slowly enough that a backfill is mid-way when the test acts; the test
watches the sandbox's request log (the DuckDB file is locked by the writer) to know when.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dagster_support import TOKEN, query
from reliability_support import (
    DAYS,
    END,
    START,
    cli_env,
    compare,
    error_lines,
    every_table_reads,
    finish,
    half_windows,
    order_searches,
    start_sync,
    sync_here,
    wait_for,
)

from orders_connector.sandbox import Faults, SandboxServer

pytestmark = pytest.mark.slow

MakeSandbox = Callable[..., SandboxServer]
DATA: dict[str, Any] = {"orders": 300, "start": START, "end": END, "seed": 11, "token": TOKEN}
# About 70 page requests a backfill at 5 orders a page.
PAGE_ENV = {"ORDERS_API_PER_PAGE": "5"}


def extraction_went_quiet(crm: SandboxServer, quiet_seconds: float = 0.4) -> Callable[[], bool]:
    """True once requests were answered and none came for a while: the sync lands or normalizes."""

    def check() -> bool:
        requests = crm.state.requests
        return bool(requests) and time.monotonic() - requests[-1].time > quiet_seconds

    return check


def searches_answered(crm: SandboxServer, count: int) -> Callable[[], bool]:
    return lambda: len(order_searches(crm)) >= count


KILL_POINTS = {
    "while fetching": lambda crm: searches_answered(crm, 8),
    "after fetching": extraction_went_quiet,
}


@pytest.mark.parametrize("moment", list(KILL_POINTS))
def test_a_backfill_killed_half_way_leaves_whole_windows_and_a_rerun_converges(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    moment: str,
) -> None:
    crm = make_sandbox(**DATA, faults=Faults(latency_ms=40))
    db = tmp_path / "orders.duckdb"
    env = cli_env(crm, TOKEN, **PAGE_ENV)
    process = start_sync(db, env, tmp_path)
    try:
        reached = wait_for(KILL_POINTS[moment](crm))
        process.send_signal(signal.SIGKILL)
    finally:
        code, _, _ = finish(process)
    assert reached, "the backfill ended before the test could kill it"
    assert code == -signal.SIGKILL

    # The file opens, and every window it holds is whole.
    assert every_table_reads(db)
    assert half_windows(db, crm) == []
    landed = {day for (day,) in query(db, "SELECT window_date FROM sync_windows")}
    assert landed <= set(DAYS)
    if moment == "while fetching":
        assert landed != set(DAYS)  # it really was killed half-way

    crm.faults = Faults()
    code, out, err = sync_here(monkeypatch, capsys, env, db)
    assert code == 0, err
    comparison = compare(db, crm)
    assert comparison.exact, comparison
    assert "check unique_order_ids: passed" in out


def test_two_syncs_at_once_on_one_file_leave_it_whole(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """The second run waits for the file lock (or fails with one clear line); nothing breaks."""
    crm = make_sandbox(**DATA, faults=Faults(latency_ms=20))
    db = tmp_path / "orders.duckdb"
    env = cli_env(crm, TOKEN, **PAGE_ENV)
    first = start_sync(db, env, tmp_path)
    second = start_sync(db, env, tmp_path)
    outcomes = [finish(first), finish(second)]

    codes = [code for code, _, _ in outcomes]
    assert 0 in codes, outcomes[0][2]
    for code, _, err in outcomes:
        if code != 0:
            [line] = error_lines(err)
            assert "held by another process" in line, err
    crm.faults = Faults()
    comparison = compare(db, crm)
    assert comparison.exact, comparison
    assert every_table_reads(db)
