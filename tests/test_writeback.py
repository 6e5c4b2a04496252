"""Write-back against the sandbox API over loopback and a real DuckDB file.

The sandbox records every write it receives, so "sent nothing" and "sent exactly this" are
checked on what the server saw, not on what the client believes it did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from writeback_support import (
    SANDBOX,
    TIMEZONE,
    TOKEN,
    add_corrections,
    api_settings,
    audit_log,
    history,
    local_statuses,
    outcomes,
    reset_orders,
    sync,
)

from orders_connector.corrections import CORRECTIONS_SQL_ENV
from orders_connector.sandbox import SandboxServer
from orders_connector.settings import ApiSettings
from orders_connector.transitions import TransitionPolicy
from orders_connector.warehouse import Warehouse
from orders_connector.writeback import WritebackOptions, WritebackReport, run_writeback
from orders_connector.writeback_audit import plan_markdown, plan_text

MakeSandbox = Callable[..., SandboxServer]
APPLY = WritebackOptions(dry_run=False)


@pytest.fixture
def crm(make_sandbox: MakeSandbox) -> SandboxServer:
    sandbox = make_sandbox(**SANDBOX)
    reset_orders(sandbox, range(1, 16))
    return sandbox


@pytest.fixture
def db(tmp_path: Path, crm: SandboxServer) -> Path:
    path = tmp_path / "orders.duckdb"
    sync(path, api_settings(crm))
    return path


def run(crm: SandboxServer, db: Path, options: WritebackOptions, **kw: Any) -> WritebackReport:
    settings: ApiSettings = kw.pop("settings", None) or api_settings(crm)
    with Warehouse(db, timezone=TIMEZONE) as warehouse:
        return run_writeback(settings, warehouse, options, **kw)


def sent_fields(crm: SandboxServer) -> set[tuple[int | None, str, Any]]:
    return {(w.order_id, name, value) for w in crm.state.writes for name, value in w.body.items()}


def planned_fields(rows: list[dict[str, Any]], outcome: str) -> set[tuple[int | None, str, Any]]:
    return {(r["order_id"], r["field"], r["new_value"]) for r in rows if r["outcome"] == outcome}


FIRST_CORRECTIONS = (
    {"order_id": 1, "fulfillment_status": "received", "reason": "carrier says delivered"},
    {"order_id": 2, "financial_status": "refunded", "return_status": "returned"},
    {"order_id": 3, "fulfillment_status": "preparing"},
)


def test_a_dry_run_reads_but_sends_no_write_and_logs_the_whole_plan(
    crm: SandboxServer, db: Path
) -> None:
    add_corrections(db, *FIRST_CORRECTIONS)
    crm.state.reset_logs()
    report = run(crm, db, WritebackOptions())
    assert crm.state.writes == []
    assert {r.method for r in crm.state.requests} == {"GET"}
    assert report.updates_sent == 0
    assert outcomes(audit_log(db, report.run_id)) == {
        (1, "fulfillment_status"): "dry_run",
        (2, "financial_status"): "dry_run",
        (2, "return_status"): "dry_run",
        (3, "fulfillment_status"): "skipped_equal",
    }
    [first] = [r for r in audit_log(db) if r["order_id"] == 1]
    assert (first["old_value"], first["new_value"]) == ("preparing", "received")
    assert "| 1 | fulfillment_status | preparing | received | dry_run |" in plan_markdown(
        report.rows
    )
    assert crm.state.get(1)["fulfillment_status"] == "preparing"


def test_apply_sends_exactly_the_changed_fields_of_exactly_the_planned_orders(
    crm: SandboxServer, db: Path
) -> None:
    add_corrections(db, *FIRST_CORRECTIONS)
    planned = planned_fields(audit_log(db, run(crm, db, WritebackOptions()).run_id), "dry_run")
    report = run(crm, db, APPLY)
    assert sent_fields(crm) == planned
    assert sorted(w.order_id for w in crm.state.writes) == [1, 2]
    assert {(w.method, w.method_override, w.status) for w in crm.state.writes} == {
        ("PUT", False, 200)
    }
    assert planned_fields(audit_log(db, report.run_id), "verified") == planned
    assert crm.state.get(1)["fulfillment_status"] == "received"
    assert crm.state.get(2)["financial_status"] == "refunded"
    assert report.orders_written == 2


def test_a_verified_write_updates_the_local_order_and_the_next_sync_sees_no_source_change(
    crm: SandboxServer, db: Path
) -> None:
    add_corrections(db, FIRST_CORRECTIONS[0])
    run(crm, db, APPLY)
    assert local_statuses(db, 1) == ("paid", "received", "no_need")
    assert history(db, 1)[-1] == ("writeback", "paid", "received", "no_need", "preparing")
    assert sync(db, api_settings(crm)) == 0
    assert history(db, 1)[-1][0] == "writeback"


def test_a_second_apply_sends_nothing_and_never_undoes_a_later_crm_change(
    crm: SandboxServer, db: Path
) -> None:
    add_corrections(db, *FIRST_CORRECTIONS)
    run(crm, db, APPLY)
    writes = len(crm.state.writes)
    again = run(crm, db, APPLY)
    assert len(crm.state.writes) == writes
    assert again.updates_sent == 0 and again.corrections == 0
    # Staff move the parcel on in the CRM; the old correction still sits in the table.
    crm.state.mutate(1, fulfillment_status="returned")
    run(crm, db, APPLY)
    assert len(crm.state.writes) == writes
    assert crm.state.get(1)["fulfillment_status"] == "returned"


def test_a_new_request_for_an_order_is_sent_even_after_an_older_one_settled(
    crm: SandboxServer, db: Path
) -> None:
    add_corrections(db, FIRST_CORRECTIONS[0])
    run(crm, db, APPLY)
    crm.state.mutate(1, fulfillment_status="preparing")
    add_corrections(db, {"order_id": 1, "fulfillment_status": "received", "reason": "again"})
    report = run(crm, db, APPLY)
    assert outcomes(audit_log(db, report.run_id)) == {(1, "fulfillment_status"): "verified"}
    assert crm.state.get(1)["fulfillment_status"] == "received"


def test_conflict_invalid_refused_and_422_are_logged_while_the_other_orders_are_written(
    crm: SandboxServer, db: Path
) -> None:
    crm.faults.reject_update_ids.add(7)
    add_corrections(
        db,
        {
            "order_id": 4,
            "fulfillment_status": "received",
            "expected_fulfillment_status": "unshipped",
        },
        {"order_id": 5, "fulfillment_status": "delivered"},
        {"order_id": 6, "financial_status": "pending"},
        {"order_id": 7, "fulfillment_status": "received"},
        {
            "order_id": 8,
            "fulfillment_status": "fulfilled",
            "expected_fulfillment_status": "preparing",
        },
        {"order_id": 9, "return_status": "request_return"},
        # One field conflicts: the other is held back, a correction is sent whole or not at all.
        {"order_id": 10, "financial_status": "refunded"},
        {"order_id": 10, "return_status": "returned", "expected_return_status": "returning"},
        {"order_id": 9999, "fulfillment_status": "received"},
    )
    report = run(crm, db, APPLY)
    rows = audit_log(db, report.run_id)
    assert outcomes(rows) == {
        (4, "fulfillment_status"): "conflict",
        (5, "fulfillment_status"): "invalid",
        (6, "financial_status"): "refused_transition",
        (7, "fulfillment_status"): "failed",
        (8, "fulfillment_status"): "verified",
        (9, "return_status"): "verified",
        (10, "financial_status"): "conflict",
        (10, "return_status"): "conflict",
        (9999, "fulfillment_status"): "failed",
    }
    assert sorted((w.order_id, w.status) for w in crm.state.writes) == [
        (7, 422),
        (8, 200),
        (9, 200),
    ]
    by_key = {(r["order_id"], r["field"]): r for r in rows}
    rejected = by_key[(7, "fulfillment_status")]
    assert rejected["http_status"] == 422
    assert "can no longer be changed" in rejected["message"]
    assert by_key[(9999, "fulfillment_status")]["http_status"] == 404
    assert "expected 'unshipped'" in by_key[(4, "fulfillment_status")]["message"]
    assert "'financial_status:paid->pending'" in by_key[(6, "financial_status")]["message"]
    assert by_key[(10, "financial_status")]["message"].startswith("held back: return_status")
    assert crm.state.get(7)["fulfillment_status"] == "preparing"
    assert crm.state.get(10)["financial_status"] == "paid"
    assert report.failure_share == pytest.approx(2 / 7)  # 5 (invalid) was never tried


@pytest.mark.parametrize("dry_run", [True, False])
def test_max_writes_is_never_exceeded_and_capped_orders_are_not_even_read(
    crm: SandboxServer, db: Path, dry_run: bool
) -> None:
    add_corrections(db, *({"order_id": i, "fulfillment_status": "received"} for i in range(1, 9)))
    crm.state.reset_logs()
    report = run(crm, db, WritebackOptions(dry_run=dry_run, max_writes=3))
    counts = report.counts
    assert counts["capped"] == 5
    assert counts["dry_run" if dry_run else "verified"] == 3
    assert len(crm.state.writes) == (0 if dry_run else 3)
    read = {r.path for r in crm.state.requests if r.method == "GET"}
    assert read == {f"/api/v1/contact-order/{i}" for i in (1, 2, 3)}


def test_the_cap_moves_on_to_the_next_orders_run_after_run(crm: SandboxServer, db: Path) -> None:
    add_corrections(db, *({"order_id": i, "fulfillment_status": "received"} for i in range(1, 9)))
    capped = WritebackOptions(dry_run=False, max_writes=3)
    assert [run(crm, db, capped).updates_sent for _ in range(4)] == [3, 3, 2, 0]
    assert sorted(w.order_id for w in crm.state.writes) == list(range(1, 9))


def test_max_writes_zero_sends_no_request_at_all(crm: SandboxServer, db: Path) -> None:
    add_corrections(db, *FIRST_CORRECTIONS)
    crm.state.reset_logs()
    report = run(crm, db, WritebackOptions(dry_run=False, max_writes=0))
    assert crm.state.requests == []
    assert set(outcomes(audit_log(db, report.run_id)).values()) == {"capped"}


def test_the_post_method_override_works_end_to_end(crm: SandboxServer, db: Path) -> None:
    add_corrections(db, *FIRST_CORRECTIONS)
    planned = planned_fields(audit_log(db, run(crm, db, WritebackOptions()).run_id), "dry_run")
    settings = api_settings(crm, update_method="post_override")
    report = run(crm, db, APPLY, settings=settings)
    assert {(w.method, w.method_override, w.status) for w in crm.state.writes} == {
        ("POST", True, 200)
    }
    assert sent_fields(crm) == planned
    assert planned_fields(audit_log(db, report.run_id), "verified") == planned
    assert crm.state.get(2)["return_status"] == "returned"


def test_a_live_value_outside_the_published_list_needs_an_explicit_policy(
    crm: SandboxServer, db: Path
) -> None:
    crm.state.mutate(11, fulfillment_status="lost_in_space")
    add_corrections(db, {"order_id": 11, "fulfillment_status": "received"})
    refused = run(crm, db, APPLY)
    assert refused.counts["refused_transition"] == 1 and crm.state.writes == []
    policy = TransitionPolicy.parse(["fulfillment_status:*->received"])
    allowed = run(crm, db, WritebackOptions(dry_run=False, policy=policy))
    assert allowed.counts["verified"] == 1
    assert crm.state.get(11)["fulfillment_status"] == "received"


def test_a_user_sql_file_feeds_corrections(
    crm: SandboxServer, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = tmp_path / "corrections.sql"
    query.write_text(
        "SELECT id AS order_id, 'received' AS fulfillment_status, 'carrier feed' AS reason,\n"
        "       fulfillment_status AS expected_fulfillment_status\n"
        "FROM orders WHERE id IN (12, 13)"
    )
    monkeypatch.setenv(CORRECTIONS_SQL_ENV, str(query))
    report = run(crm, db, APPLY)
    assert outcomes(audit_log(db, report.run_id)) == {
        (12, "fulfillment_status"): "verified",
        (13, "fulfillment_status"): "verified",
    }
    assert str(query) in report.sources
    assert run(crm, db, APPLY).updates_sent == 0


def test_a_403_stops_the_run_and_the_rest_is_logged_as_not_attempted(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    reader = "wb-readonly-2b8d04"
    crm = make_sandbox(**SANDBOX, readonly_tokens=(reader,))
    reset_orders(crm, range(1, 4))
    db = tmp_path / "orders.duckdb"
    sync(db, api_settings(crm))
    add_corrections(db, *({"order_id": i, "fulfillment_status": "received"} for i in (1, 2, 3)))
    report = run(crm, db, APPLY, settings=api_settings(crm, token=reader))
    assert [(w.order_id, w.status) for w in crm.state.writes] == [(1, 403)]
    rows = audit_log(db, report.run_id)
    assert [r["outcome"] for r in rows] == ["failed"] * 3
    assert rows[0]["http_status"] == 403
    assert all(r["message"].startswith("not attempted") for r in rows[1:])
    assert report.stopped is not None
    assert reader not in json.dumps(rows, default=str)


def test_an_update_whose_answer_is_lost_is_judged_by_reading_the_order_back(
    crm: SandboxServer, db: Path
) -> None:
    add_corrections(db, FIRST_CORRECTIONS[0])

    class LoseWriteAnswers(httpx.AsyncBaseTransport):
        """The server applies the PUT; a proxy in front answers 502 instead of its answer."""

        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            if request.method != "PUT":
                return response
            await response.aread()
            return httpx.Response(502, text="<html>Bad Gateway</html>", request=request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    report = run(
        crm, db, APPLY, settings=api_settings(crm, max_retries=0), transport=LoseWriteAnswers()
    )
    [row] = audit_log(db, report.run_id)
    assert (row["outcome"], row["http_status"]) == ("verified", 502)
    assert "read back 'received'" in row["message"]
    assert len(crm.state.writes) == 1


def test_the_token_never_reaches_the_log_even_when_a_server_echoes_it(
    crm: SandboxServer, db: Path
) -> None:
    add_corrections(db, FIRST_CORRECTIONS[0])
    order = crm.state.get(1)

    def echo(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"data": order})
        seen = request.headers["authorization"]
        return httpx.Response(
            422,
            json={"message": f"bad request from {seen}", "errors": {"token": [seen]}},
        )

    report = run(crm, db, APPLY, transport=httpx.MockTransport(echo))
    rows = audit_log(db)
    assert [r["outcome"] for r in rows] == ["failed"]
    stored = json.dumps(rows, default=str) + plan_text(report.rows) + plan_markdown(report.rows)
    assert TOKEN not in stored
    assert "[REDACTED]" in rows[0]["message"]
