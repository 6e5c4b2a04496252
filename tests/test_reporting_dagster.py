"""The reporting views as Dagster assets: in both sync jobs, with their column schemas."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from dagster_support import SANDBOX, definitions, query, run_job, truth_orders

from dagster_defs.assets.extraction import DUCKDB_POOL
from dagster_defs.assets.reporting import REPORTING_ASSET, reporting_views
from dagster_defs.schedules import DAILY_JOB, SYNC_JOB
from orders_connector.reporting import VIEW_NAMES
from orders_connector.sandbox import SandboxServer
from orders_connector.schema import VIEWS

DAYS = [dt.date(2025, 10, 2), dt.date(2025, 10, 3)]


@pytest.fixture
def crm(make_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    return make_sandbox(**{**SANDBOX, "orders": 60})


def test_a_sync_run_leaves_the_views_in_place_with_their_rows(
    crm: SandboxServer, tmp_path: Path
) -> None:
    db = tmp_path / "orders.duckdb"
    result = run_job(definitions(crm, db), SYNC_JOB, DAYS[0], DAYS[-1])
    assert result.success
    truth = truth_orders(crm, DAYS)
    per_day = Counter(dt.date.fromisoformat(o["order_created_at"][:10]) for o in truth.values())
    assert dict(query(db, "SELECT order_day, sum(orders) FROM daily_sales GROUP BY 1")) == per_day
    counts = {
        m.asset_key.path[-1]: m.metadata["dagster/row_count"].value
        for m in result.asset_materializations_for_node(REPORTING_ASSET)
    }
    assert set(counts) == set(VIEW_NAMES)
    assert counts["orders_enriched"] == len(truth)


@pytest.mark.parametrize("job", [SYNC_JOB, DAILY_JOB])
def test_both_sync_jobs_create_the_views(crm: SandboxServer, tmp_path: Path, job: str) -> None:
    selected = definitions(crm, tmp_path / "x.duckdb").resolve_job_def(job).asset_layer
    keys = {key.path[-1] for key in selected.executable_asset_keys}
    assert set(VIEW_NAMES) <= keys


def test_each_view_asset_shows_the_declared_columns_and_reads_its_sources() -> None:
    specs = {spec.key.path[-1]: spec for spec in reporting_views.specs}
    assert set(specs) == set(VIEW_NAMES)
    for view, spec in specs.items():
        schema = spec.metadata["dagster/column_schema"]
        assert [(c.name, c.type, c.description) for c in schema.columns] == [
            (c.name, c.type, c.description) for c in VIEWS[view].columns
        ]
        assert spec.description == VIEWS[view].description
        assert spec.group_name == "firstline_orders" and spec.kinds == {"duckdb"}
    assert {d.asset_key.path[-1] for d in specs["daily_sales"].deps} == {"orders_enriched"}
    assert {d.asset_key.path[-1] for d in specs["order_status_durations"].deps} == {
        "order_status_history"
    }
    assert reporting_views.op.pool == DUCKDB_POOL
    assert isinstance(reporting_views, dg.AssetsDefinition)
