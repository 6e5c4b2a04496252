"""`orders-connector writeback` as a user runs it: a subprocess, settings from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from writeback_support import (
    DAYS,
    SANDBOX,
    TOKEN,
    add_corrections,
    api_settings,
    audit_log,
    reset_orders,
    sync,
)

from orders_connector.sandbox import SandboxServer

MakeSandbox = Callable[..., SandboxServer]
CLI = Path(sys.executable).parent / "orders-connector"


def writeback(
    crm: SandboxServer, db: Path, *args: str, **more_env: str
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ORDERS_")}
    env.pop("DAGSTER_HOME", None)
    env.update(
        ORDERS_API_BASE_URL=crm.base_url,
        ORDERS_API_TOKEN=TOKEN,
        ORDERS_START_DATE=DAYS[0].isoformat(),
        **more_env,
    )
    return subprocess.run(
        [str(CLI), "writeback", "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_the_cli_plans_by_default_and_sends_only_with_apply_within_max_writes_and_method(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    crm = make_sandbox(**SANDBOX)
    reset_orders(crm, range(1, 4))
    db = tmp_path / "orders.duckdb"
    sync(db, api_settings(crm))
    add_corrections(
        db,
        {"order_id": 1, "fulfillment_status": "received"},
        {"order_id": 2, "financial_status": "refunded"},
        {"order_id": 3, "financial_status": "pending"},
    )

    planned = writeback(crm, db)
    assert planned.returncode == 0, planned.stderr
    assert crm.state.writes == []
    lines = planned.stdout.splitlines()
    assert lines[0].split() == ["order", "field", "live", "target", "outcome", "http", "message"]
    assert lines[1].split()[:5] == ["1", "fulfillment_status", "preparing", "received", "dry_run"]
    assert lines[3].split()[:5] == [
        "3",
        "financial_status",
        "paid",
        "pending",
        "refused_transition",
    ]
    assert "run again with --apply" in planned.stdout

    applied = writeback(
        crm, db, "--apply", "--max-writes", "1", ORDERS_API_UPDATE_METHOD="post_override"
    )
    assert applied.returncode == 0, applied.stderr
    assert [(w.order_id, w.method, w.method_override, w.body) for w in crm.state.writes] == [
        (1, "POST", True, {"fulfillment_status": "received"})
    ]
    assert "1 verified, 2 capped" in applied.stdout
    [run_line] = [line for line in applied.stdout.splitlines() if line.startswith("run ")]
    run_id = run_line.split()[1].rstrip(":")
    assert [r["outcome"] for r in audit_log(db, run_id)] == ["verified", "capped", "capped"]
    for output in (planned, applied):
        assert TOKEN not in output.stdout + output.stderr


def test_a_bad_transition_rule_is_one_clear_line_and_nothing_is_sent(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    crm = make_sandbox(**SANDBOX)
    result = writeback(
        crm, tmp_path / "orders.duckdb", "--apply", "--allow-transition", "refunded->pending"
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: allow_transitions entry")
    assert crm.state.requests == []
