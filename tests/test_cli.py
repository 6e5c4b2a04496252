"""`orders-connector` as users run it: a subprocess, environment variables, exit codes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from dagster_support import TOKEN, query, truth_orders

from orders_connector.sandbox import SandboxServer

MakeSandbox = Callable[..., SandboxServer]
CLI = str(Path(sys.executable).parent / "orders-connector")
START = dt.date(2025, 10, 1)
END = dt.date(2025, 10, 5)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def crm(make_sandbox: MakeSandbox) -> SandboxServer:
    return make_sandbox(orders=120, start=START, end=END, seed=5, token=TOKEN)


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, executable: str = CLI
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERS_", "DAGSTER_"))}
    return subprocess.run(
        [executable, *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def api_env(crm: SandboxServer, token: str = TOKEN) -> dict[str, str]:
    return {
        "ORDERS_API_BASE_URL": crm.base_url,
        "ORDERS_API_TOKEN": token,
        "ORDERS_START_DATE": START.isoformat(),
    }


def test_sync_lands_the_range_and_prints_a_summary(crm: SandboxServer, tmp_path: Path) -> None:
    db = tmp_path / "nested" / "orders.duckdb"
    done = run_cli(
        "sync",
        "--start",
        "2025-10-01",
        "--end",
        "2025-10-05",
        "--db",
        str(db),
        env=api_env(crm),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    days = [START + dt.timedelta(days=i) for i in range(5)]
    truth = truth_orders(crm, days)
    assert query(db, "SELECT count(*) FROM orders")[0][0] == len(truth)
    [total] = [line.split() for line in done.stdout.splitlines() if line.startswith("total")]
    assert int(total[1]) == len(truth)
    assert "check window_count_matches_api: passed" in done.stdout
    assert "window 2025-10-0" in done.stderr  # progress as windows land
    assert TOKEN not in done.stdout + done.stderr


def test_sync_with_a_revoked_token_fails_with_one_clear_line(
    crm: SandboxServer, tmp_path: Path
) -> None:
    wrong = "revoked-token-51c2"
    done = run_cli(
        "sync",
        "--start",
        "2025-10-01",
        "--end",
        "2025-10-02",
        "--db",
        str(tmp_path / "o.duckdb"),
        env=api_env(crm, token=wrong),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "HTTP 401" in error and "Unauthenticated" in error
    assert wrong not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ORDERS_API_BASE_URL": "https://acme.example"}, "ORDERS_API_TOKEN is not set"),
        (
            {"ORDERS_API_BASE_URL": "http://crm.example.com", "ORDERS_API_TOKEN": "t"},
            "refusing http://",
        ),
        ({"ORDERS_API_BASE_URL": "not a url", "ORDERS_API_TOKEN": "t"}, "base_url"),
        (
            {
                "ORDERS_API_BASE_URL": "https://acme.example",
                "ORDERS_API_TOKEN": "t",
                "ORDERS_API_TIMEZONE": "Mars/Olympus",
            },
            "unknown timezone",
        ),
        (
            {
                "ORDERS_API_BASE_URL": "https://acme.example",
                "ORDERS_API_TOKEN": "t",
                "ORDERS_START_DATE": "2999-01-01",
            },
            "in the future",
        ),
    ],
)
def test_bad_configuration_fails_before_any_request(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    done = run_cli(
        "sync",
        "--start",
        "2025-10-01",
        "--end",
        "2025-10-01",
        "--db",
        str(tmp_path / "o.duckdb"),
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0], done.stderr
    assert not (tmp_path / "o.duckdb").exists()


def test_refresh_prints_windows_and_why(crm: SandboxServer, tmp_path: Path) -> None:
    db = str(tmp_path / "o.duckdb")
    env = api_env(crm)
    assert (
        run_cli(
            "sync",
            "--start",
            "2025-10-01",
            "--end",
            "2025-10-05",
            "--db",
            db,
            env=env,
            cwd=tmp_path,
        ).returncode
        == 0
    )
    order_id = next(iter(truth_orders(crm, [END])))
    crm.state.mutate(order_id, fulfillment_status="problem")
    done = run_cli(
        "refresh",
        "--as-of",
        "2025-10-05",
        "--lookback-days",
        "2",
        "--db",
        db,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "2025-10-05  lookback" in done.stdout
    assert f"order {order_id}: fulfillment_status" in done.stdout
    assert "-> problem" in done.stdout


@pytest.mark.slow
def test_non_editable_install_ships_sql_and_runs_from_anywhere(
    crm: SandboxServer, tmp_path: Path
) -> None:
    """`pip install .` (a wheel, not the source tree) must carry sql/ and work from any folder."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "orders_connector/sql/ddl.sql" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**api_env(crm), "PYTHONPATH": str(target)}
    done = run_cli(
        "-c",
        "import sys; from orders_connector.cli import main; sys.exit(main())",
        env=env,
        cwd=elsewhere,
        executable=sys.executable,
    )
    assert done.returncode == 2  # no subcommand: usage error, but the installed package imported
    code = (
        "import sys, orders_connector; assert 'site' in orders_connector.__file__;"
        "from orders_connector.cli import main;"
        "sys.exit(main(['sync','--start','2025-10-01','--end','2025-10-02','--db','o.duckdb']))"
    )
    done = run_cli("-c", code, env=env, cwd=elsewhere, executable=sys.executable)
    assert done.returncode == 0, done.stderr
    assert query(elsewhere / "o.duckdb", "SELECT count(*) FROM orders")[0][0] > 0
