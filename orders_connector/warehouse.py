"""The DuckDB warehouse: lands raw order payloads per day window and normalizes them, running
only the named files of `sql/` with bound parameters.

One process writes a DuckDB file at a time; opening a file that another process holds is retried
until `lock_timeout_seconds`, then fails with `WarehouseBusyError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import duckdb

from orders_connector import jsoncodec
from orders_connector.enums import STATUS_ENUMS
from orders_connector.errors import WarehouseBusyError
from orders_connector.settings import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEZONE, zone
from orders_connector.sqlfiles import load_sql

# Keys a sync may report for its window; they become the sync_windows columns of the same name.
STAT_KEYS: Final[tuple[str, ...]] = (
    "meta_total",
    "fetched_ids",
    "orders",
    "items",
    "pages",
    "requests",
    "retries",
    "throttled",
    "drift_rereads",
    "seconds",
    "items_source",
    "open_orders",
)

NORMALIZE_STEPS: Final[tuple[str, ...]] = (
    "parse_rules",
    "normalize_affected",
    "stage_raw",
    "normalize_pick",
    "normalize_orders",
    "normalize_items",
    "normalize_products",
    "refresh_status_dims",
    "normalize_issues",
    "normalize_history",
)

_log = logging.getLogger("orders_connector.warehouse")
_MAX_BIGINT: Final = 2**63 - 1
_LOCK_MARKERS: Final = ("could not set lock", "conflicting lock")
_PROBLEM_VALUE_CHARS: Final = 80


@dataclass(frozen=True)
class NormalizeResult:
    """What one `normalize_windows` call did."""

    orders: int
    items: int
    products: int
    issues: int
    status_changes: int
    unknown_status_values: int
    orders_removed: int = 0

    @classmethod
    def empty(cls) -> NormalizeResult:
        return cls(0, 0, 0, 0, 0, 0, 0)


Params = Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True)
class WindowLanding:
    """One window's payloads for `Warehouse.land_windows`."""

    day: dt.date
    payloads: Sequence[Mapping[str, Any]]
    fetched_at: dt.datetime
    stats: Mapping[str, Any]
    rejected: Sequence[tuple[Mapping[str, Any], str]] = ()


class Warehouse:
    """A DuckDB file (or `:memory:` / `md:` database) holding the raw and normalized orders."""

    def __init__(
        self,
        path: str | Path,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        lock_timeout_seconds: float = 60.0,
        read_only: bool = False,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        zone(timezone)
        self._setup(
            _connect(str(path), read_only=read_only, timeout=lock_timeout_seconds),
            path=str(path),
            timezone=timezone,
            read_only=read_only,
            owned=True,
            memory_limit=memory_limit,
        )

    @classmethod
    def from_connection(
        cls,
        connection: duckdb.DuckDBPyConnection,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        read_only: bool = False,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    ) -> Warehouse:
        """A warehouse on a connection someone else opened (and will close), e.g. Dagster's.

        `memory_limit` (None: leave DuckDB's) applies to the whole database instance.
        """
        zone(timezone)
        warehouse = cls.__new__(cls)
        warehouse._setup(
            connection,
            path="<borrowed connection>",
            timezone=timezone,
            read_only=read_only,
            owned=False,
            memory_limit=memory_limit,
        )
        return warehouse

    def _setup(
        self,
        connection: duckdb.DuckDBPyConnection,
        *,
        path: str,
        timezone: str,
        read_only: bool,
        owned: bool,
        memory_limit: str | None,
    ) -> None:
        self.path = path
        self.timezone = timezone
        self.read_only = read_only
        self._con = connection
        self._owned = owned
        self._depth = 0
        self._schema_ready = False
        self._run("session", {})
        if memory_limit:
            self._run("session_memory_limit", {"memory_limit": memory_limit})

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The underlying connection, for reading (checks, tests)."""
        return self._con

    def close(self) -> None:
        """Close the connection if this warehouse opened it."""
        if self._owned:
            self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"Warehouse({self.path!r}, {mode}, timezone={self.timezone!r})"

    def ensure_schema(self) -> None:
        """Create every table (idempotent) and seed the status dims from `enums.py`."""
        with self.transaction():
            self._run("ddl", {})
            self._run("seed_status_dims", _status_seed_params())
        self._schema_ready = True

    def land_window(
        self,
        day: dt.date,
        payloads: Sequence[Mapping[str, Any]],
        *,
        fetched_at: dt.datetime,
        stats: Mapping[str, Any],
        rejected: Sequence[tuple[Mapping[str, Any], str]] = (),
    ) -> int:
        """Replace the raw rows of window `day` with `payloads`; returns the rows landed.

        Payloads without a usable `id` (and all but the last copy of a repeated id) go to
        raw_rejected with their reason, as do `rejected`. Everything happens in one transaction:
        on any error the window keeps its previous rows and sync_windows row.
        """
        return self.land_windows(
            [WindowLanding(day, payloads, fetched_at=fetched_at, stats=stats, rejected=rejected)]
        )[0]

    def land_windows(self, landings: Sequence[WindowLanding]) -> list[int]:
        """Replace the raw rows of several windows: one bulk load and one commit for all.

        Windows read by one search arrive together; landing them together saves a transaction
        and five statements per window. Each window is replaced whole (and all of them together
        or none on any error). Returns the rows landed per window.
        """
        if not landings:
            return []
        days = [landing.day for landing in landings]
        if len(set(days)) != len(days):
            raise ValueError("each window may be landed once per call")
        for landing in landings:
            _require_aware("fetched_at", landing.fetched_at)
            unknown = sorted(set(landing.stats) - set(STAT_KEYS))
            if unknown:
                raise ValueError(
                    f"unknown stats keys {unknown}; expected some of {list(STAT_KEYS)}"
                )
        self._ensure_schema_once()
        landed: list[int] = []
        with tempfile.TemporaryDirectory(prefix="orders-landing-") as tmp:
            orders_path = Path(tmp) / "orders.ndjson"
            rejected_path = Path(tmp) / "rejected.ndjson"
            windows_path = Path(tmp) / "windows.ndjson"
            with (
                orders_path.open("wb") as orders_file,
                rejected_path.open("wb") as reject_file,
                windows_path.open("wb") as windows_file,
            ):
                for landing in landings:
                    fields = b'"window_date":"%s","fetched_at":"%s",' % (
                        landing.day.isoformat().encode(),
                        landing.fetched_at.isoformat().encode(),
                    )
                    counts = _write_landing(
                        landing.day,
                        landing.payloads,
                        landing.rejected,
                        orders_file,
                        reject_file,
                        fields=fields,
                    )
                    row = {
                        **dict.fromkeys(STAT_KEYS),
                        "orders": counts.orders,
                        "items": counts.items,
                        **landing.stats,
                        "rejected": counts.rejected,
                        "window_date": landing.day.isoformat(),
                        "synced_at": landing.fetched_at.isoformat(),
                    }
                    windows_file.write(_json_bytes(row, f"stats of window {landing.day}") + b"\n")
                    landed.append(counts.orders)
            params = {
                "window_dates": days,
                "orders_path": str(orders_path),
                "rejected_path": str(rejected_path),
                "windows_path": str(windows_path),
            }
            with self.transaction():
                self._run("land_windows", params)
        self._stage_landed(days)
        return landed

    def _stage_landed(self, days: Sequence[dt.date]) -> None:
        """Parse and type the raw rows just landed (sql/stage_raw.sql), in a transaction of its own.

        Landing happens while the next search downloads, so this is where parsing is cheapest;
        the normalize then only picks and upserts. The raw rows are committed first: should
        staging fail, they stay landed, and the normalize stages them again (and reports the
        error there, where parsing belongs).
        """
        try:
            with self._unordered_bulk(), self.transaction():
                self._run("parse_rules", {})
                self._run("stage_landed", {"window_dates": list(days)})
                self._run("stage_raw", {})
        except duckdb.Error as exc:
            _log.warning(
                "staging the %d window(s) just landed failed; the normalize stages them: %s",
                len(days),
                " ".join(str(exc).split()),
            )

    def normalize_windows(
        self,
        days: Sequence[dt.date],
        *,
        observed_at: dt.datetime | None = None,
        source: str = "sync",
    ) -> NormalizeResult:
        """Rebuild orders, items, products, status dims, issues and history for `days`.

        Each order comes from its latest raw row across all windows. `observed_at` stamps the
        status history rows (default: the fetch time of each order's payload). One transaction;
        running it again over the same raw rows changes nothing.
        """
        if observed_at is not None:
            _require_aware("observed_at", observed_at)
        windows = sorted(set(days))
        if not windows:
            return NormalizeResult.empty()
        self._ensure_schema_once()
        params = {
            "days": windows,
            "tz": self.timezone,
            "observed_at": observed_at,
            "source": source,
        }
        with self._unordered_bulk(), self.transaction():
            for step in NORMALIZE_STEPS:
                self._run(step, params)
            row = self._run("normalize_result", {}).fetchone()
            self._run("normalize_cleanup", {})
        assert row is not None
        return NormalizeResult(*(int(value) for value in row))

    def refresh_status_dimensions(self) -> dict[str, dict[str, int | str]]:
        """Add unknown status values from all orders, recount them; a summary per dim table."""
        self._ensure_schema_once()
        with self.transaction():
            self._run("refresh_status_dims", {})
        return {
            dim: {
                "status_values": int(values),
                "unknown_values": int(unknown),
                "orders_with_unknown_value": int(orders),
                "unknown_codes": str(codes),
            }
            for dim, values, unknown, orders, codes in self.fetch("status_dims_summary")
        }

    def execute(self, sql_name: str, params: Params = ()) -> None:
        """Run `sql/<sql_name>.sql` with bound parameters."""
        self._run(sql_name, params)

    def fetch(self, sql_name: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run `sql/<sql_name>.sql` and return the rows of its last statement."""
        return self._run(sql_name, params).fetchall()

    def _ensure_schema_once(self) -> None:
        if not self._schema_ready:
            self.ensure_schema()

    @contextmanager
    def _unordered_bulk(self) -> Iterator[None]:
        """Bulk statements that need no row order inserting on every core (see the SQL file)."""
        self._run("session_insertion_order", {"keep": False})
        try:
            yield
        finally:
            self._run("session_insertion_order", {"keep": True})

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around the block; nested blocks join the outermost one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._con.begin()
        self._depth = 1
        try:
            yield
        except BaseException:
            self._con.rollback()
            raise
        else:
            self._con.commit()
        finally:
            self._depth = 0

    def _run(self, sql_name: str, params: Params) -> duckdb.DuckDBPyConnection:
        statements = self._con.extract_statements(load_sql(sql_name))
        if not statements:
            raise ValueError(f"sql/{sql_name}.sql holds no statement")
        if not isinstance(params, Mapping) and not params:
            params = {}  # a file of several statements without parameters runs whole
        if not isinstance(params, Mapping):
            if len(statements) > 1:
                raise ValueError(
                    f"sql/{sql_name}.sql has {len(statements)} statements: bind named parameters"
                )
            return self._con.execute(statements[0], params)
        result = self._con
        for statement in statements:
            wanted = statement.named_parameters
            missing = wanted - params.keys()
            if missing:
                raise ValueError(f"sql/{sql_name}.sql needs parameters {sorted(missing)}")
            bound = {name: params[name] for name in wanted}
            result = self._con.execute(statement, bound) if bound else self._con.execute(statement)
        return result


@dataclass(frozen=True)
class _Landing:
    orders: int
    items: int
    rejected: int


def _write_landing(
    day: dt.date,
    payloads: Sequence[Mapping[str, Any]],
    rejected: Sequence[tuple[Mapping[str, Any], str]],
    orders_file: IO[bytes],
    reject_file: IO[bytes],
    *,
    fields: bytes = b"",
) -> _Landing:
    """Serialize the window into NDJSON files that DuckDB bulk-loads in one statement each.

    Serializing here (before the transaction) means a payload that is not JSON fails the landing
    without touching the warehouse. A repeated id keeps its last copy, as the freshest read.
    """
    keyed: dict[int, tuple[bytes, int]] = {}
    reject_lines: list[bytes] = []

    def reject(payload: object, reason: str, where: str) -> None:
        line = b'{%s"reason":%s,"payload":%s}\n' % (
            fields,
            _json_bytes(reason, where),
            _json_bytes(payload, where),
        )
        reject_lines.append(line)

    for index, payload in enumerate(payloads):
        where = f"payload #{index} of window {day}"
        if not isinstance(payload, Mapping):
            reject(payload, "payload is not a JSON object", where)
            continue
        order_id = _usable_id(payload.get("id"))
        if order_id is None:
            reject(payload, f"missing or unusable id: {_short(payload.get('id'))}", where)
            continue
        text = _json_bytes(payload, where)
        if order_id in keyed:
            why = _json_bytes(f"duplicate id {order_id}: a later copy was landed", where)
            reject_lines.append(
                b'{%s"reason":%s,"payload":%s}\n' % (fields, why, keyed[order_id][0])
            )
        listed = payload.get("items")
        keyed[order_id] = (text, len(listed) if isinstance(listed, list) else 0)
    for order_id, (text, _) in keyed.items():
        digest = hashlib.md5(text, usedforsecurity=False).hexdigest().encode()
        orders_file.write(
            b'{%s"order_id":%d,"content_hash":"%s","payload":%s}\n'
            % (fields, order_id, digest, text)
        )
    for payload, reason in rejected:
        reject(payload, reason, f"rejected payload of window {day}")
    reject_file.writelines(reject_lines)
    return _Landing(
        orders=len(keyed),
        items=sum(count for _, count in keyed.values()),
        rejected=len(reject_lines),
    )


def _json_bytes(value: object, where: str) -> bytes:
    try:
        return jsoncodec.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} cannot be stored as JSON: {exc}") from exc


def _usable_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        candidate = value
    elif isinstance(value, float) and value.is_integer():
        candidate = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        candidate = int(value.strip())
    else:
        return None
    return candidate if 0 < candidate <= _MAX_BIGINT else None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _PROBLEM_VALUE_CHARS else text[: _PROBLEM_VALUE_CHARS - 3] + "..."


def _require_aware(name: str, value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


def _status_seed_params() -> dict[str, list[str]]:
    prefixes = {
        "financial_status": "financial",
        "fulfillment_status": "fulfillment",
        "return_status": "return",
    }
    params: dict[str, list[str]] = {}
    for field, values in STATUS_ENUMS.items():
        params[f"{prefixes[field]}_codes"] = list(values)
        params[f"{prefixes[field]}_labels"] = list(values.values())
    return params


def _is_file_path(path: str) -> bool:
    return not (path == ":memory:" or path.startswith(":memory:") or path.startswith("md:"))


def _connect(path: str, *, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    if not _is_file_path(path):
        return duckdb.connect(path, read_only=read_only)
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            if not any(marker in str(exc).lower() for marker in _LOCK_MARKERS):
                raise
            if time.monotonic() + pause > deadline:
                raise WarehouseBusyError(
                    f"DuckDB file {path} is locked by another process and was not released "
                    f"within {timeout:g}s (stop the other sync or raise the lock timeout)"
                ) from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
