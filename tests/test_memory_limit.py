"""DuckDB's memory_limit: what bounds a backfill's peak memory, set by the team that runs it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from dagster_defs.definitions import build_definitions
from dagster_defs.resources import open_warehouse
from orders_connector.errors import ConfigurationError
from orders_connector.settings import DEFAULT_MEMORY_LIMIT, SyncSettings, memory_limit_bytes

TZ = "Asia/Taipei"


def duckdb_shows(limit: str) -> str:
    """How DuckDB itself reports a memory_limit of `limit` (e.g. '256MB' -> '244.1 MiB')."""
    with duckdb.connect(config={"memory_limit": limit}) as con:
        [(shown,)] = con.execute("SELECT current_setting('memory_limit')").fetchall()
    return str(shown)


def limit_in_a_run(resource: DuckDBResource) -> str:
    """The memory_limit the assets' warehouse works under (they all open it this way)."""
    with open_warehouse(resource, TZ) as warehouse:
        [(shown,)] = warehouse.connection.execute(
            "SELECT current_setting('memory_limit')"
        ).fetchall()
    return str(shown)


def resource_from_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, limit: str | None
) -> DuckDBResource:
    monkeypatch.setenv("ORDERS_DUCKDB_PATH", str(tmp_path / "orders.duckdb"))
    if limit is None:
        monkeypatch.delenv("ORDERS_DUCKDB_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("ORDERS_DUCKDB_MEMORY_LIMIT", limit)
    defs = build_definitions(SyncSettings.from_env())
    assert defs.resources is not None
    resource = defs.resources["duckdb"]
    assert isinstance(resource, DuckDBResource)
    return resource


def test_the_assets_work_under_the_memory_limit_set_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    resource = resource_from_env(monkeypatch, tmp_path, "300MB")
    assert limit_in_a_run(resource) == duckdb_shows("300MB") == "286.1 MiB"


def test_without_a_setting_the_assets_work_under_256mb(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    resource = resource_from_env(monkeypatch, tmp_path, None)
    assert DEFAULT_MEMORY_LIMIT == "256MB"
    assert limit_in_a_run(resource) == duckdb_shows("256MB")


def test_a_limit_given_to_a_hand_built_duckdb_resource_is_kept(tmp_path: Path) -> None:
    # Before, the warehouse set its 256MB over whatever the team had configured, silently.
    resource = DuckDBResource(
        database=str(tmp_path / "orders.duckdb"), connection_config={"memory_limit": "1GB"}
    )
    assert limit_in_a_run(resource) == duckdb_shows("1GB")
    plain = DuckDBResource(database=str(tmp_path / "other.duckdb"))
    assert limit_in_a_run(plain) == duckdb_shows(DEFAULT_MEMORY_LIMIT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("256MB", 256 * 10**6), ("1.5GB", 1_500_000_000), ("512MiB", 512 * 2**20), (" 2 gb ", 2e9)],
)
def test_memory_sizes_read_as_duckdb_reads_them(text: str, expected: float) -> None:
    assert memory_limit_bytes(text) == expected
    assert SyncSettings(duckdb_memory_limit=text).duckdb_memory_limit == text.strip()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("12", "not a memory size"),
        ("lots", "not a memory size"),
        ("-1GB", "not a memory size"),
        ("10MB", "too little"),
    ],
)
def test_an_unusable_memory_limit_is_one_clear_configuration_error(
    value: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_DUCKDB_MEMORY_LIMIT", value)
    with pytest.raises(ConfigurationError) as raised:
        SyncSettings.from_env()
    message = str(raised.value)
    assert message.startswith("invalid configuration: duckdb_memory_limit: ")
    assert says in message and repr(value) in message
