"""The audit of a write-back run: one row per (order, field) a correction targets, the outcomes,
and the plan rendered as a table for people (terminal text and Dagster markdown)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from orders_connector.enums import STATUS_FIELDS, StatusField

Outcome = Literal[
    "dry_run",
    "applied",
    "verified",
    "skipped_equal",
    "conflict",
    "invalid",
    "refused_transition",
    "failed",
    "capped",
]

OUTCOMES: Final[dict[Outcome, str]] = {
    "dry_run": "would be sent; nothing was sent because the run is a dry run",
    "applied": "sent and accepted by the API, not (yet) confirmed by reading the order back",
    "verified": "sent, accepted, and read back from the API with the new value",
    "skipped_equal": "the live value already is the target: nothing to send",
    "conflict": "the live value is not the expected_* value (changed since): not sent",
    "invalid": "the target is not a published code: never sent",
    "refused_transition": "the move goes against the status life cycle and policy: not sent",
    "failed": "the API refused or failed (422, 5xx, lost answer...): see http_status, message",
    "capped": "max_writes was reached earlier in the run: not sent",
}
# Outcomes that stop every other field of the same order from being sent (all or nothing).
BLOCKING: Final[tuple[Outcome, ...]] = ("invalid", "conflict", "refused_transition")
FIELD_ORDER: Final[dict[str, int]] = {name: index for index, name in enumerate(STATUS_FIELDS)}
MAX_MESSAGE_CHARS: Final = 500


@dataclass(frozen=True)
class AuditRow:
    """One line of `writeback_log` (without the run id, which the run adds)."""

    order_id: int
    field: StatusField
    old_value: str | None
    new_value: str | None
    outcome: Outcome
    http_status: int | None
    message: str | None
    at: dt.datetime

    def with_outcome(
        self,
        outcome: Outcome,
        *,
        message: str | None = None,
        http_status: int | None = None,
        at: dt.datetime | None = None,
    ) -> AuditRow:
        return replace(
            self,
            outcome=outcome,
            message=message,
            http_status=http_status,
            at=at or self.at,
        )

    def params(self, run_id: str) -> dict[str, object]:
        """The bound parameters of `writeback_log_insert.sql`."""
        return {
            "run_id": run_id,
            "order_id": self.order_id,
            "field": self.field,
            "old_value": self.old_value,
            "new_value": self.new_value,
            "outcome": self.outcome,
            "http_status": self.http_status,
            "message": (self.message or "")[:MAX_MESSAGE_CHARS] or None,
            "at": self.at,
        }


def sort_rows(rows: Iterable[AuditRow]) -> list[AuditRow]:
    return sorted(rows, key=lambda r: (r.order_id, FIELD_ORDER[r.field]))


def outcome_counts(rows: Iterable[AuditRow]) -> dict[Outcome, int]:
    """Rows per outcome, every outcome present (zeros included), in the documented order."""
    counts = Counter(r.outcome for r in rows)
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}


def failure_share(rows: Sequence[AuditRow]) -> float:
    """Failed orders over orders the run tried to read or write (invalid and capped excluded).

    Counted per order, so an order with three failed fields is one failure, like one request.
    """
    tried: set[int] = set()
    failed: set[int] = set()
    for row in rows:
        if row.outcome in ("invalid", "capped"):
            continue
        tried.add(row.order_id)
        if row.outcome == "failed":
            failed.add(row.order_id)
    return len(failed) / len(tried) if tried else 0.0


PLAN_COLUMNS: Final = ("order", "field", "live", "target", "outcome", "http", "message")


def _cells(row: AuditRow) -> tuple[str, ...]:
    return (
        str(row.order_id),
        row.field,
        row.old_value if row.old_value is not None else "-",
        row.new_value if row.new_value is not None else "-",
        row.outcome,
        str(row.http_status) if row.http_status is not None else "",
        row.message or "",
    )


def plan_markdown(rows: Sequence[AuditRow], *, limit: int = 200) -> str:
    """The plan/outcome table, field by field, as markdown (at most `limit` rows shown)."""
    shown = sort_rows(rows)[:limit]
    lines = [
        "| " + " | ".join(PLAN_COLUMNS) + " |",
        "|" + " --- |" * len(PLAN_COLUMNS),
    ]
    lines += ["| " + " | ".join(_md(c) for c in _cells(r)) + " |" for r in shown]
    if len(rows) > limit:
        lines.append(f"\n{len(rows) - limit} more rows in writeback_log.")
    if not rows:
        lines.append("| (no corrections to work on) |" + " |" * (len(PLAN_COLUMNS) - 1))
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_text(rows: Sequence[AuditRow], *, message_width: int = 72) -> str:
    """The plan/outcome table as aligned plain text for the terminal."""
    table = [PLAN_COLUMNS, *(_cells(r) for r in sort_rows(rows))]
    table = [(*cells[:-1], _clip(cells[-1], message_width)) for cells in table]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(PLAN_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in table
    )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
