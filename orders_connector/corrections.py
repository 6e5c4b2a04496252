"""The corrections a write-back run works on: the `order_status_corrections` table plus an
optional user-supplied SELECT (`sql/corrections.sql` or the file `ORDERS_CORRECTIONS_SQL` names).

Rows are merged per order, field by field: the most recent `requested_at` wins (rows without one
count as oldest), and a NULL target leaves the field to older rows. A field whose target an
earlier run already verified, or found already in place, after the request was made is settled
and left out, so a correction that stays in the table is never pushed again over a later change
made in the CRM.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb

from orders_connector.enums import STATUS_FIELDS, StatusField
from orders_connector.errors import ConfigurationError

CORRECTIONS_SQL_ENV: Final = "ORDERS_CORRECTIONS_SQL"
CORRECTIONS_SQL_NAME: Final = "corrections.sql"
CORRECTION_COLUMNS: Final[tuple[str, ...]] = (
    "order_id",
    "financial_status",
    "fulfillment_status",
    "return_status",
    "reason",
    "requested_at",
    "expected_financial_status",
    "expected_fulfillment_status",
    "expected_return_status",
)
TABLE_ORIGIN: Final = "order_status_corrections"
_REPO_SQL_DIR: Final = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class FieldRequest:
    """What one correction asks of one status field."""

    target: str
    expected: str | None
    requested_at: dt.datetime | None
    reason: str | None
    origin: str


@dataclass
class Correction:
    """Everything asked of one order, one request per status field."""

    order_id: int
    fields: dict[StatusField, FieldRequest] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        reasons = dict.fromkeys(r.reason for r in self.fields.values() if r.reason)
        return "; ".join(reasons) or None


@dataclass
class CorrectionSet:
    """The merged corrections of a run and what was left out on the way."""

    corrections: list[Correction]
    rows_read: int
    rows_without_order: int
    settled_fields: int
    sources: list[str]


def corrections_sql_path(explicit: str | None = None) -> Path | None:
    """The user's corrections SELECT: `explicit`, else $ORDERS_CORRECTIONS_SQL, else an existing
    `sql/corrections.sql` (working directory first, then the project's sql folder)."""
    named = explicit or os.environ.get(CORRECTIONS_SQL_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigurationError(f"corrections SQL file {named} does not exist")
        return path
    for folder in (Path.cwd() / "sql", _REPO_SQL_DIR):
        candidate = folder / CORRECTIONS_SQL_NAME
        if candidate.is_file():
            return candidate
    return None


def read_user_corrections(conn: duckdb.DuckDBPyConnection, path: Path) -> list[dict[str, Any]]:
    """The rows of the user's SELECT, by column name; whatever it does is rolled back."""
    text = path.read_text(encoding="utf-8")
    try:
        statements = conn.extract_statements(text)
    except duckdb.Error as exc:
        raise ConfigurationError(f"corrections SQL {path} does not parse: {exc}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise ConfigurationError(
            f"corrections SQL {path} must hold exactly one SELECT "
            f"(found {len(statements)} statement(s))"
        )
    # A transaction that is always rolled back: the query reads the warehouse, never changes it.
    conn.execute("BEGIN TRANSACTION")
    try:
        cursor = conn.execute(statements[0])
        names = [column[0] for column in cursor.description or ()]
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        raise ConfigurationError(f"corrections SQL {path} failed: {exc}") from None
    finally:
        conn.execute("ROLLBACK")
    if "order_id" not in names:
        raise ConfigurationError(f"corrections SQL {path} returns no order_id column")
    if not any(name in names for name in STATUS_FIELDS):
        raise ConfigurationError(
            f"corrections SQL {path} returns none of {', '.join(STATUS_FIELDS)}"
        )
    known = [name for name in names if name in CORRECTION_COLUMNS]
    return [{name: row[names.index(name)] for name in known} for row in rows]


def table_rows(rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of `corrections_pending.sql` (columns in CORRECTION_COLUMNS order) as dicts."""
    return [dict(zip(CORRECTION_COLUMNS, row, strict=True)) for row in rows]


def merge_corrections(
    sources: Iterable[tuple[str, Sequence[Mapping[str, Any]]]],
    settled: Mapping[tuple[int, str, str], dt.datetime],
) -> CorrectionSet:
    """One `Correction` per order from every source's rows, settled fields left out.

    `settled` maps (order_id, field, value) to the last time a run verified that value or
    found it already in place.
    """
    stamped: list[tuple[dt.datetime | None, int, str, Mapping[str, Any]]] = []
    rows_read = rows_without_order = 0
    names: list[str] = []
    for origin, rows in sources:
        names.append(origin)
        for row in rows:
            rows_read += 1
            order_id = _order_id(row.get("order_id"))
            if order_id is None:
                rows_without_order += 1
                continue
            stamped.append((_instant(row.get("requested_at")), len(stamped), origin, row))
    # Oldest first so that newer rows overwrite; rows without requested_at count as oldest.
    stamped.sort(key=lambda s: (s[0] is not None, s[0] or dt.datetime.min, s[1]))
    merged: dict[int, Correction] = {}
    for requested_at, _, origin, row in stamped:
        order_id = _order_id(row.get("order_id"))
        assert order_id is not None
        for status in STATUS_FIELDS:
            target = _text(row.get(status))
            if target is None:
                continue
            correction = merged.setdefault(order_id, Correction(order_id))
            correction.fields[status] = FieldRequest(
                target=target,
                expected=_text(row.get(f"expected_{status}")),
                requested_at=requested_at,
                reason=_text(row.get("reason")),
                origin=origin,
            )
    settled_fields = 0
    kept: list[Correction] = []
    for order_id in sorted(merged):
        correction = merged[order_id]
        for status, request in list(correction.fields.items()):
            if _is_settled(order_id, status, request, settled):
                del correction.fields[status]
                settled_fields += 1
        if correction.fields:
            kept.append(correction)
    return CorrectionSet(
        corrections=kept,
        rows_read=rows_read,
        rows_without_order=rows_without_order,
        settled_fields=settled_fields,
        sources=names,
    )


def _is_settled(
    order_id: int,
    status: StatusField,
    request: FieldRequest,
    settled: Mapping[tuple[int, str, str], dt.datetime],
) -> bool:
    settled_at = settled.get((order_id, status, request.target))
    if settled_at is None:
        return False
    return request.requested_at is None or settled_at >= request.requested_at


def _order_id(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _instant(value: object) -> dt.datetime | None:
    """An aware UTC datetime; a naive one (a TIMESTAMP column) is taken as UTC."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    if isinstance(value, str) and value.strip():
        try:
            return _instant(dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None
