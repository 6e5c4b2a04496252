"""What docs/deploy.md promises and can be checked on one machine: the example instance settings
load and give the connector's pool one slot, the pool in the docs is the code's, and an `md:`
warehouse path reaches Dagster's DuckDB resource unchanged."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with dagster, its stubs do not
from dagster._core.instance.config import PoolGranularity
from dagster_duckdb import DuckDBResource

from dagster_defs.assets.extraction import DUCKDB_POOL
from dagster_defs.assets.reporting import reporting_views
from dagster_defs.definitions import build_definitions
from dagster_defs.resources import OrdersApiResource
from orders_connector.settings import SyncSettings

REPO = Path(__file__).resolve().parent.parent
DEPLOY_MD = REPO / "docs" / "deploy.md"
DAGSTER_YAML = REPO / "docs" / "deploy" / "dagster.yaml"
MD_PATH = "md:firstline_orders"


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One DAGSTER_HOME with the example settings for the module (an instance takes seconds)."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(DAGSTER_YAML, home / "dagster.yaml")
    return home


@pytest.fixture(scope="module")
def instance(dagster_home: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.from_config(str(dagster_home)) as loaded:
        yield loaded


def all_assets() -> list[dg.AssetsDefinition]:
    defs = build_definitions(SyncSettings(timezone="Asia/Taipei"))
    return [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]


def test_the_example_settings_load_with_one_slot_per_pool_per_step(
    instance: dg.DagsterInstance,
) -> None:
    pools = instance.get_concurrency_config().pool_config
    assert pools.default_pool_limit == 1
    assert pools.pool_granularity == PoolGranularity.OP
    assert pools.op_granularity_run_buffer == 0
    assert instance.event_log_storage.supports_global_concurrency_limits


def test_a_run_on_that_instance_gives_the_connectors_pool_one_slot(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    result = dg.materialize(
        [reporting_views],
        instance=instance,
        resources={
            "orders_api": OrdersApiResource(base_url="http://127.0.0.1:9", token="unused"),
            "duckdb": DuckDBResource(database=str(tmp_path / "orders.duckdb")),
        },
    )
    assert result.success
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
    assert info.slot_count == 1
    assert info.pending_step_count == 0 and info.claimed_slots == []  # released after the run


def test_the_documented_cli_command_sets_the_pool_limit_explicitly(
    dagster_home: Path, instance: dg.DagsterInstance
) -> None:
    command = re.search(r"`(dagster instance concurrency set [^`]+)`", DEPLOY_MD.read_text())
    assert command is not None
    dagster = Path(sys.executable).parent / "dagster"
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    args = command.group(1).split()[1:]
    subprocess.run([str(dagster), *args], env=env, check=True, capture_output=True)
    [pool] = [p for p in instance.event_log_storage.get_pool_limits() if p.name == DUCKDB_POOL]
    assert (pool.limit, pool.from_default) == (1, False)


def test_the_pool_in_the_docs_is_the_one_every_asset_declares() -> None:
    pools = {a.op.pool for a in all_assets()}
    assert pools == {DUCKDB_POOL}
    documented = set(re.findall(r"firstline_\w+", DEPLOY_MD.read_text() + DAGSTER_YAML.read_text()))
    assert documented - {"firstline_orders", "firstline_orders_trial"} == {DUCKDB_POOL}


def test_the_pool_table_names_every_asset_step() -> None:
    text = DEPLOY_MD.read_text()
    table = text[text.index("| asset | calls the API |") : text.index("With the pool's limit")]
    named = set(re.findall(r"^\| `(\w+)`", table, flags=re.MULTILINE))
    assert named == {a.op.name for a in all_assets()}


def test_the_yaml_shown_in_the_page_is_the_tested_file() -> None:
    text = DEPLOY_MD.read_text()
    shown = re.search(r"```yaml\n(concurrency:.*?)```", text, flags=re.DOTALL)
    assert shown is not None
    assert yaml.safe_load(shown.group(1)) == yaml.safe_load(DAGSTER_YAML.read_text())


def test_an_md_path_from_the_environment_reaches_the_duckdb_resource_unchanged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORDERS_DUCKDB_PATH", MD_PATH)
    defs = build_definitions(SyncSettings.from_env())
    assert defs.resources is not None
    assert defs.resources["duckdb"].database == MD_PATH
    assert list(tmp_path.iterdir()) == []  # nothing was created locally


def test_the_db_option_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_DUCKDB_PATH", "data/orders.duckdb")
    assert SyncSettings.from_env(duckdb_path=MD_PATH).duckdb_path == MD_PATH
