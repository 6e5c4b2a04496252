"""The `order_status_writeback` asset and its job, run by Dagster against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource
from writeback_support import (
    SANDBOX,
    TIMEZONE,
    TOKEN,
    add_corrections,
    api_settings,
    audit_log,
    outcomes,
    reset_orders,
    sync,
)

from dagster_defs.assets.writeback import (
    FAILURE_CHECK,
    WRITEBACK_ASSET,
    WRITEBACK_JOB,
    order_status_writeback,
)
from dagster_defs.resources import OrdersApiResource
from orders_connector.sandbox import SandboxServer

MakeSandbox = Callable[..., SandboxServer]
CORRECTIONS = (
    {"order_id": 1, "fulfillment_status": "received"},
    {"order_id": 2, "financial_status": "refunded"},
    {"order_id": 3, "return_status": "request_return"},
)


@pytest.fixture
def crm(make_sandbox: MakeSandbox) -> SandboxServer:
    sandbox = make_sandbox(**SANDBOX)
    reset_orders(sandbox, range(1, 6))
    return sandbox


@pytest.fixture
def db(tmp_path: Path, crm: SandboxServer) -> Path:
    path = tmp_path / "orders.duckdb"
    sync(path, api_settings(crm))
    add_corrections(path, *CORRECTIONS)
    return path


def materialize(
    crm: SandboxServer, db: Path, config: dict[str, Any] | None = None, **api: Any
) -> dg.ExecuteInProcessResult:
    resources = {
        "orders_api": OrdersApiResource(
            base_url=crm.base_url, token=TOKEN, timezone=TIMEZONE, max_retries=1, **api
        ),
        "duckdb": DuckDBResource(database=str(db)),
    }
    run_config = {"ops": {WRITEBACK_ASSET: {"config": config or {}}}}
    return dg.materialize(
        [order_status_writeback],
        resources=resources,
        run_config=run_config,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def metadata_of(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    [materialization] = result.asset_materializations_for_node(WRITEBACK_ASSET)
    return {key: value.value for key, value in materialization.metadata.items()}


def check_of(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == FAILURE_CHECK
    return evaluation


def test_by_default_the_asset_is_a_dry_run_whose_plan_is_in_the_metadata(
    crm: SandboxServer, db: Path
) -> None:
    result = materialize(crm, db)
    assert result.success
    assert crm.state.writes == []
    metadata = metadata_of(result)
    assert metadata["dry_run"] is True
    assert metadata["outcome_dry_run"] == 3 and metadata["updates_sent"] == 0
    assert "| 1 | fulfillment_status | preparing | received | dry_run |" in metadata["plan"]
    assert metadata["run_id"] == result.run_id
    assert set(outcomes(audit_log(db, result.run_id)).values()) == {"dry_run"}
    assert check_of(result).passed


def test_dry_run_false_writes_and_verifies(crm: SandboxServer, db: Path) -> None:
    result = materialize(crm, db, {"dry_run": False})
    assert result.success and check_of(result).passed
    assert sorted(w.order_id for w in crm.state.writes) == [1, 2, 3]
    assert metadata_of(result)["outcome_verified"] == 3


def test_max_writes_from_the_run_config_caps_the_updates(crm: SandboxServer, db: Path) -> None:
    result = materialize(crm, db, {"dry_run": False, "max_writes": 1})
    assert len(crm.state.writes) == 1
    metadata = metadata_of(result)
    assert (metadata["outcome_verified"], metadata["outcome_capped"]) == (1, 2)


def test_the_method_override_setting_reaches_the_server(crm: SandboxServer, db: Path) -> None:
    result = materialize(crm, db, {"dry_run": False}, update_method="post_override")
    assert result.success
    assert {(w.method, w.method_override) for w in crm.state.writes} == {("POST", True)}
    assert {name for w in crm.state.writes for name in w.body} == {
        "fulfillment_status",
        "financial_status",
        "return_status",
    }
    assert all(len(w.body) == 1 for w in crm.state.writes)


def test_the_blocking_check_fails_the_run_when_too_many_orders_fail(
    crm: SandboxServer, db: Path
) -> None:
    crm.faults.reject_update_ids.update({1, 2})
    result = materialize(crm, db, {"dry_run": False})
    assert not result.success
    evaluation = check_of(result)
    assert not evaluation.passed
    assert evaluation.metadata["failure_share"].value == pytest.approx(0.6667, abs=1e-4)
    # The run failed, yet the good order was written and everything is in the log.
    assert crm.state.get(3)["return_status"] == "request_return"
    assert outcomes(audit_log(db, result.run_id))[(1, "fulfillment_status")] == "failed"


def test_a_higher_threshold_lets_the_same_run_pass(crm: SandboxServer, db: Path) -> None:
    crm.faults.reject_update_ids.add(1)
    result = materialize(crm, db, {"dry_run": False, "max_failure_share": 0.5})
    assert result.success and check_of(result).passed


def test_a_malformed_transition_rule_fails_before_any_request(crm: SandboxServer, db: Path) -> None:
    crm.state.reset_logs()
    result = materialize(crm, db, {"allow_transitions": ["financial_status:refunded->nope"]})
    assert not result.success
    assert crm.state.requests == []


def test_the_token_is_in_no_metadata_nor_log_row(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    crm = make_sandbox(**SANDBOX)
    reset_orders(crm, range(1, 4))
    db = tmp_path / "orders.duckdb"
    sync(db, api_settings(crm))
    add_corrections(db, *CORRECTIONS)
    crm.faults.reject_update_ids.add(2)
    results = [materialize(crm, db, {"dry_run": dry}) for dry in (True, False)]
    stored = json.dumps([metadata_of(r) for r in results], default=str)
    stored += json.dumps(audit_log(db), default=str)
    checks = [{k: v.value for k, v in check_of(r).metadata.items()} for r in results]
    stored += json.dumps(checks, default=str)
    assert TOKEN not in stored
    assert "can no longer be changed" in stored


def test_the_writeback_job_is_opt_in_and_outside_every_schedule() -> None:
    from dagster_defs.definitions import build_definitions
    from orders_connector.settings import SyncSettings

    defs = build_definitions(SyncSettings(timezone=TIMEZONE))
    job = defs.resolve_job_def(WRITEBACK_JOB)
    assert job.asset_layer.executable_asset_keys == {dg.AssetKey(WRITEBACK_ASSET)}
    for schedule in defs.schedules or ():
        scheduled = defs.resolve_job_def(schedule.job_name)
        assert dg.AssetKey(WRITEBACK_ASSET) not in scheduled.asset_layer.executable_asset_keys
    for other in defs.jobs or ():
        if other.name != WRITEBACK_JOB:
            resolved = defs.resolve_job_def(other.name)
            assert dg.AssetKey(WRITEBACK_ASSET) not in resolved.asset_layer.executable_asset_keys
