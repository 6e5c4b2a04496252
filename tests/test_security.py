"""The token stays secret, the transport stays safe, SQL never carries data, write-back never
writes by mistake, and bad configuration stops before the first request."""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
import re
import shutil
import ssl
import subprocess
import threading
import traceback
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from dagster_support import TOKEN, definitions
from reliability_support import END, START, order_searches, when
from writeback_support import add_corrections, reset_orders

from dagster_defs.assets.writeback import WRITEBACK_ASSET, WRITEBACK_JOB
from dagster_defs.partitions import range_tags
from dagster_defs.resources import OrdersApiResource, orders_api_from_env
from dagster_defs.runner import failure_reason
from dagster_defs.schedules import SYNC_JOB
from orders_connector import cli
from orders_connector.client import OrdersClient
from orders_connector.enums import STATUS_FIELDS
from orders_connector.errors import AuthenticationError, ConfigurationError, TransportError
from orders_connector.sandbox import Faults, SandboxServer
from orders_connector.settings import ApiSettings
from orders_connector.sync import land_windows
from orders_connector.warehouse import Warehouse
from orders_connector.windows import DayWindow
from orders_connector.writeback import WritebackOptions

MakeSandbox = Callable[..., SandboxServer]
REPO = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("orders_connector", "dagster_defs", "benchmarks", "scripts")
NEW_TOKEN = "rotated-secret-90c1d7"


# --- the token never leaves -------------------------------------------------------------------


def event_log_text(instance: dg.DagsterInstance, run_id: str) -> str:
    """Everything the instance stored about a run: its record and every event of its log."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    parts = [repr(run.run_config), repr(run.tags), repr(run)]
    for entry in instance.all_logs(run_id):
        parts.append(repr(entry))
        parts.append(entry.user_message or "")
    return "\n".join(parts)


def result_text(result: dg.ExecuteInProcessResult) -> str:
    """Every event of a result, its metadata, and any failure's whole error chain."""
    parts = []
    for event in result.all_events:
        parts.append(repr(event))
        parts.append(event.message or "")
        if event.is_step_failure and event.step_failure_data is not None:
            error: Any = event.step_failure_data.error
            while error is not None:
                parts.append(error.to_string())
                error = error.cause
    return "\n".join(parts)


@pytest.mark.slow
def test_the_token_is_in_no_log_event_metadata_exception_file_or_audit_row(
    make_sandbox: MakeSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    crm = make_sandbox(
        orders=120,
        start=START,
        end=END,
        seed=3,
        token=TOKEN,
        faults=Faults(error_rate=0.1, html_200_rate=0.05, drop_rate=0.05),
    )
    db = tmp_path / "orders.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    defs = definitions(crm, db, per_page=10, max_retries=10)

    def run(job: str, run_config: dict[str, Any] | None = None) -> dg.ExecuteInProcessResult:
        return defs.resolve_job_def(job).execute_in_process(
            instance=instance,
            tags=range_tags(START, END),
            run_config=run_config,
            raise_on_error=False,
        )

    results = [run(SYNC_JOB)]
    assert results[0].success
    # A write-back that applies (its audit rows land in the file), one refused by the server.
    reset_orders(crm, [1, 2])
    add_corrections(
        db,
        {"order_id": 1, "fulfillment_status": "fulfilled"},
        {"order_id": 2, "fulfillment_status": "fulfilled"},
    )
    crm.faults.reject_update_ids.add(2)
    writeback_config = {"ops": {WRITEBACK_ASSET: {"config": {"dry_run": False}}}}
    results.append(run(WRITEBACK_JOB, writeback_config))  # its failure-share check may fail
    # The token regenerated half-way through a sync: 401s, a failed run.
    with when(lambda: len(order_searches(crm)) > 5, lambda: crm.state.rotate_token(NEW_TOKEN)):
        results.append(run(SYNC_JOB))
    assert not results[-1].success

    # The library path raises the same 401 as an exception a caller could log whole.
    settings = ApiSettings(base_url=crm.base_url, token=TOKEN, max_retries=0)
    with Warehouse(tmp_path / "other.duckdb") as warehouse, pytest.raises(AuthenticationError) as e:
        land_windows(settings, warehouse, [DayWindow(START)])
    raised = "".join(traceback.format_exception(e.value)) + repr(e.value) + repr(e.value.args)

    stored = db.read_bytes() + (tmp_path / "other.duckdb").read_bytes()
    texts = {
        "python logs": caplog.text,
        "exception": raised,
        "dagster events": "\n".join(result_text(r) for r in results),
        "instance event log": "\n".join(event_log_text(instance, r.run_id) for r in results),
        "resource repr": repr(defs.resources["orders_api"]) + str(defs.resources["orders_api"]),
    }
    for where, text in texts.items():
        assert text, f"nothing captured from {where}: the search would prove nothing"
        assert TOKEN not in text, where
    assert TOKEN.encode() not in stored
    assert "401" in texts["dagster events"] and "can no longer be changed" in caplog.text
    with duckdb.connect(str(db), read_only=True) as con:
        [(audit_rows,)] = con.execute("SELECT count(*) FROM writeback_log").fetchall()
    assert audit_rows >= 2


def test_a_credential_in_a_mistyped_base_url_is_not_echoed() -> None:
    for url in ("acme.firstline.cc/?token=abc123secret", "ftp://acme/?access_token=abc123secret"):
        with pytest.raises(ConfigurationError) as raised:
            ApiSettings.build(base_url=url, token="t")
        assert "abc123secret" not in str(raised.value)
        assert "base_url" in str(raised.value)


# --- the transport ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://crm.example.com",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://10.0.0.8:8080",
        "http://[2001:db8::1]",
    ],
)
def test_plain_http_to_a_remote_host_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(ConfigurationError, match="refusing http://"):
        ApiSettings.build(base_url=url, token="t")
    assert ApiSettings.build(base_url=url, token="t", allow_insecure_http=True).base_url == url


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://localhost", "http://[::1]:80", "http://127.8.9.1"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert ApiSettings.build(base_url=url, token="t").base_url == url


def test_every_orders_api_variable_reaches_the_dagster_resource(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "ORDERS_API_BASE_URL": "http://crm.example.com",
        "ORDERS_API_TOKEN": "t",
        "ORDERS_API_ALLOW_HTTP": "true",
        "ORDERS_API_VERIFY_TLS": "false",
        "ORDERS_API_PER_PAGE": "7",
        "ORDERS_API_TIMEOUT_SECONDS": "2.5",
        "ORDERS_API_UPDATE_METHOD": "post_override",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resource = orders_api_from_env(timezone="Asia/Taipei", items_mode="auto", env=env)
    settings = resource.model_copy(update={"base_url": env["ORDERS_API_BASE_URL"], "token": "t"})
    assert settings.settings().model_dump(
        include={
            "allow_insecure_http",
            "verify_tls",
            "per_page",
            "timeout_seconds",
            "update_method",
        }
    ) == {
        "allow_insecure_http": True,
        "verify_tls": False,
        "per_page": 7,
        "timeout_seconds": 2.5,
        "update_method": "post_override",
    }
    assert ApiSettings.from_env(env).verify_tls is False


def test_tls_verification_is_on_unless_turned_off() -> None:
    assert ApiSettings(base_url="https://acme.example", token="t").verify_tls is True
    assert OrdersApiResource(base_url="https://acme.example", token="t").verify_tls is True
    assert orders_api_from_env(timezone="Asia/Taipei", items_mode="auto", env={}).verify_tls


@pytest.fixture
def self_signed_https(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on loopback whose certificate no one vouches for."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a throw-away certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"data": {"id": 1}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.anyio
async def test_an_untrusted_certificate_is_refused_by_default(self_signed_https: str) -> None:
    strict = ApiSettings(base_url=self_signed_https, token="t", max_retries=0)
    async with OrdersClient(strict) as client:
        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get_order(1)
    relaxed = strict.model_copy(update={"verify_tls": False})
    async with OrdersClient(relaxed) as client:
        assert (await client.get_order(1))["id"] == 1


# --- SQL never carries data -------------------------------------------------------------------

SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|MERGE|FROM|WHERE|VALUES|PRAGMA)\b"
)
EXECUTING = {"execute", "executemany", "sql", "query", "fetch", "fetchall", "from_query"}


def python_sources() -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in (REPO / d).rglob("*.py"))


def _builds_text(node: ast.AST) -> bool:
    """An f-string, `%` or `.format()` on a string, or `+` of strings: text built at run time."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return any(
            isinstance(side, ast.Constant | ast.JoinedStr) and _text_of(side)
            for side in (node.left, node.right)
        )
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _text_of(node: ast.AST) -> str:
    """The literal text parts of an expression that builds a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text_of(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return f"{_text_of(node.left)} {_text_of(node.right)}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _text_of(node.func.value)
    return ""


def sql_built_from_values(paths: list[Path]) -> list[str]:
    """Places in the sources that build SQL text at run time or pass built text to a query."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            if _builds_text(node) and SQL_WORDS.search(_text_of(node).upper() + " "):
                text = _text_of(node)
                # Words such as "from" in prose are fine; SQL has two keywords or more.
                if len(SQL_WORDS.findall(text)) >= 2:
                    found.append(f"{where}: SQL text built with values: {text[:60]!r}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in EXECUTING
                and node.args
                and _builds_text(node.args[0])
            ):
                found.append(f"{where}: .{node.func.attr}() called with text built at run time")
    return found


def test_no_python_source_builds_sql_from_values() -> None:
    sources = python_sources()
    assert len(sources) > 40, "the sources were not found"
    assert sql_built_from_values(sources) == []


def test_the_scan_catches_sql_built_from_values(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(con, day, table):\n"
        "    con.execute(f\"DELETE FROM raw_orders WHERE window_date = '{day}'\")\n"
        "    con.execute('SELECT * FROM orders WHERE id = %s' % day)\n"
        "    sql = 'SELECT id FROM ' + table + ' WHERE x = 1'\n"
        "    con.sql('SELECT {} FROM orders'.format(day))\n"
    )
    found = sql_built_from_values([bad])
    assert len([f for f in found if "called with text built" in f]) == 3, found
    assert any("bad.py:4" in f for f in found), found


def sql_files() -> list[Path]:
    return sorted((REPO / "sql").glob("*.sql"))


TEMPLATE_MARKS = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\(?[a-z_]*\)?s|\{\{")


@pytest.mark.parametrize("path", sql_files(), ids=lambda p: p.name)
def test_every_sql_file_takes_values_as_bound_parameters(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    without_comments = re.sub(r"--[^\n]*", "", text)
    assert not TEMPLATE_MARKS.search(without_comments), "a Python template mark in SQL"
    statements = duckdb.connect().extract_statements(text)
    assert statements, "no statement"
    # Window dates, ids and times are parameters ($name), never literals typed into the file.
    assert not re.search(r"'\d{4}-\d{2}-\d{2}", without_comments), "a date literal"


def test_hostile_values_travel_as_values(tmp_path: Path) -> None:
    hostile = "x'); DROP TABLE orders; --"
    with Warehouse(tmp_path / "o.duckdb") as warehouse:
        day = START
        payload = {
            "id": 1,
            "order_number": hostile,
            "note": "'; DELETE FROM raw_orders; --",
            "order_created_at": f"{day} 10:00:00",
            "items": [],
        }
        warehouse.land_window(
            day, [payload], fetched_at=dt.datetime.now(dt.UTC), stats={"meta_total": 1}
        )
        warehouse.normalize_windows([day])
        rows = warehouse.connection.execute("SELECT order_number FROM orders").fetchall()
    assert rows == [(hostile,)]
    with pytest.raises(ValueError, match="not a day window key"):
        DayWindow.parse("2025-10-01'; DROP TABLE orders; --")


# --- write-back never writes by mistake -------------------------------------------------------


@pytest.mark.slow
def test_write_back_sends_only_status_fields_within_max_writes_and_only_when_asked(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    crm = make_sandbox(orders=60, start=START, end=END, seed=3, token=TOKEN)
    reset_orders(crm, range(1, 13))
    db = tmp_path / "orders.duckdb"
    defs = definitions(crm, db)
    instance = dg.DagsterInstance.ephemeral()
    assert (
        defs.resolve_job_def(SYNC_JOB)
        .execute_in_process(instance=instance, tags=range_tags(START, END))
        .success
    )
    # A correction SELECT that also returns money, notes, dates and contacts.
    corrections_sql = tmp_path / "corrections.sql"
    corrections_sql.write_text(
        "SELECT id AS order_id, 'refunded' AS financial_status, 'received' AS "
        "fulfillment_status, '1.00' AS total_price, 'hacked' AS note, 9 AS contact_id, "
        "'2001-01-01 00:00:00' AS order_created_at FROM orders WHERE id <= 12"
    )

    def writeback(config: dict[str, Any]) -> dg.ExecuteInProcessResult:
        run_config = {
            "ops": {
                WRITEBACK_ASSET: {"config": {"corrections_sql": str(corrections_sql), **config}}
            }
        }
        return defs.resolve_job_def(WRITEBACK_JOB).execute_in_process(
            instance=instance, run_config=run_config
        )

    assert WritebackOptions().dry_run and writeback({}).success  # the default is a dry run
    assert crm.state.writes == []
    assert writeback({"dry_run": False, "max_writes": 5}).success
    writes = crm.state.writes
    assert 0 < len(writes) <= 5
    for write in writes:
        assert set(write.body) <= set(STATUS_FIELDS), write.body
    assert {w.order_id for w in writes} <= set(range(1, 13))


# --- bad configuration stops before any request -----------------------------------------------


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """`cli.main` sets up the package logger for a terminal; put it back afterwards."""
    logger = logging.getLogger("orders_connector")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        yield
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


BAD_SETTINGS: list[tuple[dict[str, str], str]] = [
    ({"ORDERS_API_TOKEN": ""}, "ORDERS_API_TOKEN is not set"),
    ({"ORDERS_API_TOKEN": "   "}, "token is empty"),
    ({"ORDERS_API_BASE_URL": ""}, "ORDERS_API_BASE_URL is not set"),
    ({"ORDERS_API_BASE_URL": "ftp://acme.example"}, "base_url must look like https://host"),
    ({"ORDERS_API_BASE_URL": "https://"}, "base_url must look like https://host"),
    ({"ORDERS_API_BASE_URL": "https://u:pw@acme.example"}, "must not carry"),
    ({"ORDERS_API_BASE_URL": "https://acme.example/?a=1"}, "must not carry"),
    ({"ORDERS_API_TIMEZONE": "Taipei"}, "unknown timezone"),
    ({"ORDERS_START_DATE": "2999-01-01"}, "in the future"),
    ({"ORDERS_START_DATE": "yesterday"}, "start_date"),
    ({"ORDERS_API_PER_PAGE": "lots"}, "per_page"),
    ({"ORDERS_API_VERIFY_TLS": "maybe"}, "verify_tls"),
    ({"ORDERS_API_MAX_RETRIES": "-1"}, "max_retries"),
    ({"ORDERS_API_AUTH_SCHEME": "basic"}, "auth_scheme"),
]
COMMANDS = [
    ["sync", "--start", "2025-10-01", "--end", "2025-10-02"],
    ["refresh", "--as-of", "2025-10-05"],
    ["writeback", "--apply"],
]


@pytest.mark.parametrize(("bad", "expected"), BAD_SETTINGS, ids=lambda v: str(v)[:40])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_bad_configuration_is_one_line_before_any_request(
    sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_logging: None,
    bad: dict[str, str],
    expected: str,
    command: list[str],
) -> None:
    good = {
        "ORDERS_API_BASE_URL": sandbox.base_url,
        "ORDERS_API_TOKEN": sandbox.config.token,
        "ORDERS_START_DATE": "2025-10-01",
    }
    for name, value in {**good, **bad}.items():
        monkeypatch.setenv(name, value)
    db = tmp_path / "o.duckdb"

    code = cli.main([*command, "--db", str(db)])

    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0], err
    assert sandbox.state.requests == []
    assert not db.exists()


def test_a_range_outside_the_partitions_is_one_clear_line(
    sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_logging: None,
) -> None:
    monkeypatch.setenv("ORDERS_API_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("ORDERS_API_TOKEN", sandbox.config.token)
    monkeypatch.setenv("ORDERS_START_DATE", "2025-10-01")
    future = dt.date.today() + dt.timedelta(days=30)
    code = cli.main(["sync", "--start", "2025-10-01", "--end", future.isoformat()])
    err = capsys.readouterr().err
    assert code == 2, err
    [line] = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("error:") and "future" in line, err
    assert sandbox.state.requests == []


def test_a_dagster_run_with_bad_resource_settings_fails_before_any_request(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    defs = definitions(sandbox, tmp_path / "o.duckdb", per_page=0)
    result = defs.resolve_job_def(SYNC_JOB).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), tags=range_tags(START, START), raise_on_error=False
    )
    assert not result.success
    reason = failure_reason(result)
    assert reason is not None and "invalid configuration" in reason and "per_page" in reason
    assert "\n" not in reason
    assert sandbox.state.requests == []
