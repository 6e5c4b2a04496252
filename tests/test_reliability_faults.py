"""A bad night of the vendor's API, through the whole pipeline: Dagster runs and the CLI.

Every test runs the real asset graph against the sandbox over loopback and a DuckDB file, turns
one or all of the sandbox's fault switches on, and then compares the tables with the sandbox's
truth: 0 orders lost, 0 duplicated, statuses and items equal, no window half landed. Small data
and short throttle windows make the faults bite within seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dagster_support import TOKEN, definitions, query, run_job
from reliability_support import (
    DAYS,
    END,
    START,
    cli_env,
    compare,
    error_lines,
    finish,
    half_windows,
    order_searches,
    start_sync,
    sync_here,
    truth,
    when,
    window_figures,
)

from dagster_defs.definitions import build_definitions
from dagster_defs.resources import OrdersApiResource
from dagster_defs.schedules import SYNC_JOB
from orders_connector.sandbox import Faults, SandboxServer
from orders_connector.settings import SyncSettings

pytestmark = pytest.mark.slow

MakeSandbox = Callable[..., SandboxServer]
# 120 orders a day read 5 at a time: about 150 page requests a run, so a 2% fault is met.
DATA: dict[str, Any] = {"orders": 600, "start": START, "end": END, "seed": 17, "token": TOKEN}
PAGING: dict[str, Any] = {"per_page": 5, "max_retries": 8}


def requests_answered(sandbox: SandboxServer, statuses: set[int]) -> int:
    return sum(1 for r in sandbox.state.requests if r.status in statuses)


FaultCase = tuple[Faults, dict[str, Any], Callable[[SandboxServer, dict[str, int]], bool]]

FAULTS: dict[str, FaultCase] = {
    # nginx in front answers 500/502/503/504 with an HTML page.
    "5% html 5xx": (
        Faults(error_rate=0.05),
        {},
        lambda sb, figures: requests_answered(sb, {500, 502, 503, 504}) > 0,
    ),
    # The connection closes with no answer.
    "2% dropped connections": (
        Faults(drop_rate=0.02),
        {},
        lambda sb, figures: requests_answered(sb, {0}) > 0,
    ),
    # The answer is held back past the client's read timeout.
    "3% read timeouts": (
        Faults(stall_rate=0.03, stall_seconds=2.0),
        {"timeout_seconds": 0.5},
        lambda sb, figures: figures["retries"] > 0,
    ),
    # A client paced far above the throttle (another process shares the token's quota).
    "429 storm with Retry-After": (
        Faults(rate_limit_per_minute=60, rate_limit_window_seconds=2),
        {"requests_per_minute": 6000},
        lambda sb, figures: figures["throttled"] > 0 and requests_answered(sb, {429}) > 0,
    ),
    # A login or maintenance page served with 200.
    "3% html with 200": (
        Faults(html_200_rate=0.03),
        {},
        lambda sb, figures: figures["retries"] > 0,
    ),
    # Orders created inside the window while it is paged: offset pages shift, totals grow.
    "inserts while paging": (
        Faults(insert_during_paging=3, insert_during_paging_max=6),
        {},
        lambda sb, figures: sb.state.paging_inserts == 6 and figures["drift_rereads"] > 0,
    ),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_dagster_run_survives_the_fault(
    make_sandbox: MakeSandbox, tmp_path: Path, name: str
) -> None:
    faults, api, fault_bit = FAULTS[name]
    crm = make_sandbox(**DATA, faults=faults)
    db = tmp_path / "orders.duckdb"
    result = run_job(definitions(crm, db, **PAGING, **api), SYNC_JOB, START, END)

    assert result.success
    crm.faults = Faults()  # the truth is read without faults
    assert fault_bit(crm, window_figures(db)), f"{name} never happened: the test proves nothing"
    comparison = compare(db, crm)
    assert comparison.exact, comparison
    assert comparison.orders == len(truth(crm)) >= 600


def test_meta_total_shrinking_between_pages_converges(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """Staff move an order out of the window while its pages are read: the total drops."""
    crm = make_sandbox(**DATA)
    db = tmp_path / "orders.duckdb"
    moved = crm.state.orders_on(dt.date(2025, 10, 1))[0]["id"]

    def second_page_of_the_window_asked() -> bool:
        return any(
            q["order_created_at__start"] == "2025-10-01" and q.get("page") not in (None, "1")
            for q in order_searches(crm)
        )

    with when(
        second_page_of_the_window_asked,
        lambda: crm.state.mutate(moved, order_created_at="2025-12-24 10:00:00"),
    ) as fired:
        result = run_job(definitions(crm, db, **PAGING), SYNC_JOB, START, END)

    assert result.success and fired[0]
    assert moved not in truth(crm)
    comparison = compare(db, crm)
    assert comparison.exact, comparison
    totals = {
        q["page"]: q for q in order_searches(crm) if q["order_created_at__start"] == "2025-10-01"
    }
    assert len(totals) > 1  # the window was paged


def test_a_whole_bad_night_through_the_cli(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    """Every fault at once, `orders-connector sync` as a user runs it."""
    crm = make_sandbox(
        **DATA,
        faults=Faults(
            error_rate=0.05,
            drop_rate=0.02,
            stall_rate=0.02,
            stall_seconds=2.0,
            html_200_rate=0.02,
            rate_limit_per_minute=40,  # 20 a second: outrun even on a loaded machine
            rate_limit_window_seconds=2,
            insert_during_paging=3,
            insert_during_paging_max=6,
        ),
    )
    db = tmp_path / "orders.duckdb"
    env = cli_env(
        crm,
        TOKEN,
        ORDERS_API_PER_PAGE="5",
        ORDERS_API_MAX_RETRIES="10",
        ORDERS_API_TIMEOUT_SECONDS="0.5",
        ORDERS_API_REQUESTS_PER_MINUTE="6000",
    )
    code, out, err = finish(start_sync(db, env, tmp_path))

    assert code == 0, err
    seen = {r.status for r in crm.state.requests}
    assert {0, 429} <= seen and seen & {500, 502, 503, 504}, seen
    assert crm.state.paging_inserts == 6
    crm.faults = Faults()
    comparison = compare(db, crm)
    assert comparison.exact, comparison
    figures = window_figures(db)
    assert figures["retries"] > 0 and figures["throttled"] > 0 and figures["drift_rereads"] > 0
    assert "check window_count_matches_api: passed" in out
    assert "check unique_order_ids: passed" in out
    assert TOKEN not in out + err


# --- the token revoked half-way ----------------------------------------------------------------

NEW_TOKEN = "rotated-token-7f1e2a"


def revoke_after(crm: SandboxServer, searches: int) -> Callable[[], bool]:
    return lambda: len(order_searches(crm)) >= searches


def assert_no_partial_window(db: Path, crm: SandboxServer) -> int:
    """Windows landed before the 401 are whole; the rest left nothing. Returns windows landed."""
    assert half_windows(db, crm) == []
    landed_days = {day for (day,) in query(db, "SELECT DISTINCT window_date FROM raw_orders")}
    synced_days = {day for (day,) in query(db, "SELECT window_date FROM sync_windows")}
    assert landed_days <= synced_days <= set(DAYS)
    assert synced_days != set(DAYS)  # the run really stopped half-way
    return len(synced_days)


def test_a_revoked_token_fails_clearly_commits_no_half_window_and_a_new_token_completes(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    crm = make_sandbox(**DATA, faults=Faults(latency_ms=20))
    db = tmp_path / "orders.duckdb"
    env = cli_env(crm, TOKEN, ORDERS_API_PER_PAGE="5")
    with when(revoke_after(crm, 30), lambda: crm.state.rotate_token(NEW_TOKEN)) as fired:
        code, out, err = finish(start_sync(db, env, tmp_path))

    assert fired[0] and code == 1
    [line] = error_lines(err)
    assert "HTTP 401" in line and "token" in line.lower(), line
    assert TOKEN not in out + err and NEW_TOKEN not in out + err
    assert_no_partial_window(db, crm)

    code, out, err = sync_here(monkeypatch, capsys, {**env, "ORDERS_API_TOKEN": NEW_TOKEN}, db)
    assert code == 0, err
    comparison = compare(db, crm)
    assert comparison.exact, comparison


def test_a_revoked_token_fails_the_dagster_run_and_a_new_token_completes(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    crm = make_sandbox(**DATA, faults=Faults(latency_ms=20))
    db = tmp_path / "orders.duckdb"
    with when(revoke_after(crm, 30), lambda: crm.state.rotate_token(NEW_TOKEN)) as fired:
        result = run_job(definitions(crm, db, **PAGING), SYNC_JOB, START, END)

    assert fired[0] and not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "raw_orders"
    assert "401" in str(failure.step_failure_data)
    assert_no_partial_window(db, crm)
    assert query(db, "SELECT count(*) FROM orders") == [(0,)]  # normalization never ran

    renewed = build_definitions(
        SyncSettings(start_date=START, duckdb_path=str(db)),
        orders_api=OrdersApiResource(base_url=crm.base_url, token=NEW_TOKEN, **PAGING),
    )
    assert run_job(renewed, SYNC_JOB, START, END).success
    comparison = compare(db, crm)
    assert comparison.exact, comparison
