"""Reverse ETL: corrected statuses from the warehouse, written back through the update endpoint.

plan -> apply -> audit, one order at a time:

1. plan: each target code must be published (else `invalid`, never sent); the order is read
   fresh; a target equal to the live value needs nothing (`skipped_equal`); a live value other
   than `expected_*` means someone changed it since (`conflict`); the move must fit the life
   cycle and policy (`transitions.py`, else `refused_transition`). One of these on any field
   holds back the whole order: a correction is sent whole or not at all.
2. apply (only when not a dry run): one update carrying only the three status fields that
   change, through the client (PUT, or POST `_method=put`, retried and paced); then a second
   read verifies the values took (`applied` -> `verified`, else `failed`). Verified statuses go
   into the local `orders` row and a `order_status_history` row with source 'writeback'.
3. audit: every targeted field of every order gets one `writeback_log` row per run.

At most `max_writes` updates per run; later orders are `capped` (not even read). A dry run
sends no write at all. An API failure on one order is logged and the run goes on, except a
401/403, after which nothing more is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from orders_connector.client import OrdersClient
from orders_connector.corrections import (
    TABLE_ORIGIN,
    Correction,
    CorrectionSet,
    corrections_sql_path,
    merge_corrections,
    read_user_corrections,
    table_rows,
)
from orders_connector.enums import STATUS_ENUMS, STATUS_FIELDS, StatusField
from orders_connector.errors import (
    AuthenticationError,
    ConfigurationError,
    OrdersApiError,
    PermissionDeniedError,
)
from orders_connector.models import OrderUpdate
from orders_connector.redaction import Redactor
from orders_connector.settings import ApiSettings
from orders_connector.transitions import TransitionPolicy
from orders_connector.warehouse import Warehouse
from orders_connector.writeback_audit import (
    BLOCKING,
    OUTCOMES,
    AuditRow,
    Outcome,
    failure_share,
    outcome_counts,
)

log = logging.getLogger("orders_connector.writeback")

DEFAULT_MAX_WRITES: Final = 100
WRITEBACK_SOURCE: Final = "writeback"


@dataclass(frozen=True)
class WritebackOptions:
    """How one run behaves. The defaults are the safe ones: a dry run, at most 100 updates."""

    dry_run: bool = True
    max_writes: int = DEFAULT_MAX_WRITES
    policy: TransitionPolicy = field(default_factory=TransitionPolicy)
    corrections_sql: str | None = None

    def __post_init__(self) -> None:
        if self.max_writes < 0:
            raise ConfigurationError(f"max_writes must be >= 0, got {self.max_writes}")


@dataclass
class WritebackReport:
    """What a run did; `rows` are its `writeback_log` rows."""

    run_id: str
    dry_run: bool
    max_writes: int
    policy: str
    rows: list[AuditRow] = field(default_factory=list)
    corrections: int = 0
    rows_read: int = 0
    rows_without_order: int = 0
    settled_fields: int = 0
    sources: list[str] = field(default_factory=list)
    updates_sent: int = 0
    requests: int = 0
    seconds: float = 0.0
    stopped: str | None = None

    @property
    def counts(self) -> dict[Outcome, int]:
        return outcome_counts(self.rows)

    @property
    def failure_share(self) -> float:
        return failure_share(self.rows)

    @property
    def orders_written(self) -> int:
        return len({r.order_id for r in self.rows if r.outcome in ("applied", "verified")})


def ensure_writeback_schema(warehouse: Warehouse) -> None:
    """Create the warehouse tables, `order_status_corrections` and `writeback_log` if missing."""
    warehouse.ensure_schema()
    warehouse.execute("corrections_ddl")
    warehouse.execute("writeback_ddl")


def load_corrections(warehouse: Warehouse, options: WritebackOptions) -> CorrectionSet:
    """The run's corrections: the table plus the user's SELECT, merged, settled fields dropped."""
    ensure_writeback_schema(warehouse)
    sources: list[tuple[str, Sequence[Mapping[str, Any]]]] = [
        (TABLE_ORIGIN, table_rows(warehouse.fetch("corrections_pending")))
    ]
    path = corrections_sql_path(options.corrections_sql)
    if path is not None:
        sources.append((str(path), read_user_corrections(warehouse.connection, path)))
    settled = {
        (int(order_id), str(name), str(value)): _utc(at)
        for order_id, name, value, at in warehouse.fetch("writeback_settled")
    }
    return merge_corrections(sources, settled)


def run_rows(warehouse: Warehouse, run_id: str) -> list[AuditRow]:
    """The `writeback_log` rows of one run, as the run wrote them."""
    return [
        AuditRow(int(order_id), _status_field(name), old, new, _outcome(outcome), status, msg, at)
        for order_id, name, old, new, outcome, status, msg, at in warehouse.fetch(
            "writeback_log_of_run", {"run_id": run_id}
        )
    ]


def _status_field(name: str) -> StatusField:
    for known in STATUS_FIELDS:
        if known == name:
            return known
    raise ValueError(f"writeback_log holds an unknown field {name!r}")


def _outcome(name: str) -> Outcome:
    for known in OUTCOMES:
        if known == name:
            return known
    raise ValueError(f"writeback_log holds an unknown outcome {name!r}")


def new_run_id() -> str:
    return f"writeback-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def run_writeback(
    settings: ApiSettings,
    warehouse: Warehouse,
    options: WritebackOptions,
    *,
    run_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WritebackReport:
    """One write-back run, start to end (see the module docstring)."""
    return asyncio.run(write_back(settings, warehouse, options, run_id=run_id, transport=transport))


async def write_back(
    settings: ApiSettings,
    warehouse: Warehouse,
    options: WritebackOptions,
    *,
    run_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WritebackReport:
    """`run_writeback` for callers that already run an event loop."""
    started = time.monotonic()
    report = WritebackReport(
        run_id=run_id or new_run_id(),
        dry_run=options.dry_run,
        max_writes=options.max_writes,
        policy=options.policy.describe(),
    )
    found = load_corrections(warehouse, options)
    report.corrections = len(found.corrections)
    report.rows_read = found.rows_read
    report.rows_without_order = found.rows_without_order
    report.settled_fields = found.settled_fields
    report.sources = found.sources
    journal = Journal(report, warehouse, Redactor([settings.token.get_secret_value()]))
    log.info(
        "write-back %s: %d corrections (%s), %s, max_writes=%d",
        report.run_id,
        report.corrections,
        ", ".join(found.sources),
        "dry run" if options.dry_run else "APPLY",
        options.max_writes,
    )
    try:
        async with OrdersClient(settings, transport=transport) as client:
            run = _Run(client, options, journal, report)
            for correction in found.corrections:
                await run.work_on(correction)
            report.requests = client.stats.requests
    finally:
        # Interrupted or not, what was decided so far belongs in the audit.
        journal.flush()
    report.rows = journal.rows
    report.seconds = time.monotonic() - started
    return report


@dataclass(frozen=True)
class Decision:
    """What the plan says about one field before anything is sent; outcome None = send it."""

    field: StatusField
    old: str | None
    new: str
    outcome: Outcome | None
    message: str | None


def invalid_targets(correction: Correction) -> list[Decision]:
    """Fields whose target is not a published code, each with why."""
    return [
        Decision(
            name,
            None,
            request.target,
            "invalid",
            f"{request.target!r} is not a published {name} code",
        )
        for name, request in correction.fields.items()
        if request.target not in STATUS_ENUMS[name]
    ]


def judge(
    correction: Correction, live: Mapping[str, Any], policy: TransitionPolicy
) -> list[Decision]:
    """Each targeted field against the freshly read order: equal, conflict, refused, or send."""
    decisions: list[Decision] = []
    for name, request in correction.fields.items():
        current = _live_value(live, name)
        outcome: Outcome | None = None
        message: str | None = None
        if current == request.target:
            outcome, message = "skipped_equal", "already the target value"
        elif request.expected is not None and request.expected != current:
            outcome = "conflict"
            message = f"live value {current!r}, the correction expected {request.expected!r}"
        else:
            message = policy.refusal(name, current, request.target)
            outcome = "refused_transition" if message else None
        decisions.append(Decision(name, current, request.target, outcome, message))
    return hold_back(decisions)


def hold_back(decisions: Sequence[Decision]) -> list[Decision]:
    """All or nothing: a blocked field keeps every other changing field of the order unsent."""
    blockers = [d for d in decisions if d.outcome in BLOCKING]
    if not blockers:
        return list(decisions)
    first = blockers[0]
    assert first.outcome is not None
    return [
        Decision(
            d.field,
            d.old,
            d.new,
            first.outcome,
            f"held back: {first.field} of this order is {first.outcome}",
        )
        if d.outcome is None
        else d
        for d in decisions
    ]


def _live_value(live: Mapping[str, Any], name: str) -> str | None:
    value = live.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _utc(value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Journal:
    """Writes audit rows and local updates to the warehouse.

    Rows of an accepted write are committed at once, before the verifying read, so that a crash
    cannot leave a write that the audit does not know about.
    """

    def __init__(self, report: WritebackReport, warehouse: Warehouse, redactor: Redactor) -> None:
        self._report = report
        self._warehouse = warehouse
        self._redactor = redactor
        self._pending: dict[tuple[int, str], AuditRow] = {}
        self._rows: dict[tuple[int, str], AuditRow] = {}

    def record(self, row: AuditRow) -> None:
        if row.message is not None:
            row = row.with_outcome(
                row.outcome,
                message=self._redactor.text(row.message),
                http_status=row.http_status,
            )
        key = (row.order_id, row.field)
        self._rows[key] = row
        self._pending[key] = row

    @property
    def rows(self) -> list[AuditRow]:
        """The latest row of every (order, field) recorded so far."""
        return list(self._rows.values())

    def flush(self, local_statuses: tuple[int, Mapping[str, str | None]] | None = None) -> None:
        """Store the rows recorded since the last flush (and a verified order's statuses)."""
        if not self._pending and local_statuses is None:
            return
        warehouse = self._warehouse
        with warehouse.transaction():
            for row in self._pending.values():
                warehouse.execute("writeback_log_insert", row.params(self._report.run_id))
            if local_statuses is not None:
                order_id, statuses = local_statuses
                params: dict[str, object] = {"order_id": order_id, **statuses}
                if warehouse.fetch("writeback_update_order", params):
                    warehouse.execute("writeback_history_append", {**params, "observed_at": _now()})
        self._pending.clear()


class _Run:
    """The per-order steps of one run, sharing the client, the cap and the journal."""

    def __init__(
        self,
        client: OrdersClient,
        options: WritebackOptions,
        journal: Journal,
        report: WritebackReport,
    ) -> None:
        self.client = client
        self.options = options
        self.journal = journal
        self.report = report
        self.planned_updates = 0

    def record(self, order_id: int, decisions: Sequence[Decision]) -> None:
        at = _now()
        for d in decisions:
            assert d.outcome is not None
            self.journal.record(
                AuditRow(order_id, d.field, d.old, d.new, d.outcome, None, d.message, at)
            )

    def record_all(
        self,
        correction: Correction,
        outcome: Outcome,
        message: str,
        *,
        http_status: int | None = None,
        live: Mapping[str, Any] | None = None,
    ) -> None:
        at = _now()
        for name, request in correction.fields.items():
            old = None if live is None else _live_value(live, name)
            self.journal.record(
                AuditRow(
                    correction.order_id,
                    name,
                    old,
                    request.target,
                    outcome,
                    http_status,
                    message,
                    at,
                )
            )

    async def work_on(self, correction: Correction) -> None:
        order_id = correction.order_id
        invalid = invalid_targets(correction)
        if invalid:
            valid = [
                Decision(name, None, request.target, None, None)
                for name, request in correction.fields.items()
                if request.target in STATUS_ENUMS[name]
            ]
            self.record(order_id, hold_back([*invalid, *valid]))
            return
        if self.report.stopped is not None:
            self.record_all(correction, "failed", f"not attempted: {self.report.stopped}")
            return
        if self.planned_updates >= self.options.max_writes:
            self.record_all(
                correction,
                "capped",
                f"max_writes={self.options.max_writes} reached earlier in this run; not read",
            )
            return
        try:
            live = await self.client.get_order(order_id)
        except OrdersApiError as exc:
            self.fail(correction, exc, "reading the order failed")
            return
        decisions = judge(correction, live, self.options.policy)
        changes = [d for d in decisions if d.outcome is None]
        self.record(order_id, [d for d in decisions if d.outcome is not None])
        if not changes:
            return
        self.planned_updates += 1
        if self.options.dry_run:
            self.record(
                order_id,
                [
                    Decision(d.field, d.old, d.new, "dry_run", "would send (dry run)")
                    for d in changes
                ],
            )
            return
        await self.apply(order_id, changes)

    def fail(self, correction: Correction, exc: OrdersApiError, what: str) -> None:
        self.record_all(correction, "failed", f"{what}: {exc}", http_status=exc.status)
        self.stop_on_auth(exc)

    def stop_on_auth(self, exc: OrdersApiError) -> None:
        if isinstance(exc, AuthenticationError | PermissionDeniedError):
            self.report.stopped = f"the run stopped after HTTP {exc.status} ({type(exc).__name__})"
            log.error("write-back %s: %s", self.report.run_id, self.report.stopped)

    async def apply(self, order_id: int, changes: Sequence[Decision]) -> None:
        update = OrderUpdate.model_validate({d.field: d.new for d in changes})
        self.report.updates_sent += 1
        at = _now()
        try:
            await self.client.update_order(order_id, update)
        except OrdersApiError as exc:
            await self.after_failed_update(order_id, changes, exc)
            return
        for d in changes:
            self.journal.record(
                AuditRow(order_id, d.field, d.old, d.new, "applied", None, "sent; verifying", at)
            )
        self.journal.flush()
        await self.verify(order_id, changes, note="")

    async def after_failed_update(
        self, order_id: int, changes: Sequence[Decision], exc: OrdersApiError
    ) -> None:
        self.stop_on_auth(exc)
        status = exc.status
        if status is not None and 400 <= status < 500:
            # The API answered and refused: nothing was written.
            self.record_failed(order_id, changes, f"update refused: {exc}", status)
            return
        # 5xx, no answer, or an unreadable one: the write may have taken. Reading decides.
        await self.verify(order_id, changes, note=f"update answer: {exc}; ", status=status)

    def record_failed(
        self, order_id: int, changes: Sequence[Decision], message: str, status: int | None
    ) -> None:
        at = _now()
        for d in changes:
            self.journal.record(
                AuditRow(order_id, d.field, d.old, d.new, "failed", status, message, at)
            )

    async def verify(
        self, order_id: int, changes: Sequence[Decision], *, note: str, status: int | None = None
    ) -> None:
        try:
            live = await self.client.get_order(order_id)
        except OrdersApiError as exc:
            self.stop_on_auth(exc)
            if note:
                self.record_failed(
                    order_id, changes, f"{note}reading it back failed: {exc}", status
                )
            else:
                at = _now()
                for d in changes:
                    self.journal.record(
                        AuditRow(
                            order_id,
                            d.field,
                            d.old,
                            d.new,
                            "applied",
                            exc.status,
                            f"sent and accepted; reading it back failed: {exc}",
                            at,
                        )
                    )
            self.journal.flush()
            return
        at = _now()
        took = False
        for d in changes:
            now_live = _live_value(live, d.field)
            if now_live == d.new:
                took = True
                message = f"{note}read back {d.new!r}" if note else None
                self.journal.record(
                    AuditRow(order_id, d.field, d.old, d.new, "verified", status, message, at)
                )
            else:
                message = f"{note}read back {now_live!r} instead of {d.new!r}"
                self.journal.record(
                    AuditRow(order_id, d.field, d.old, d.new, "failed", status, message, at)
                )
        statuses: dict[str, str | None] = {n: _live_value(live, n) for n in STATUS_FIELDS}
        self.journal.flush((order_id, statuses) if took else None)
