"""The opt-in write-back asset: corrected statuses back to the CRM, dry run unless told otherwise.

It sits in its own group and job (`firstline_orders_writeback`), outside the sync job and every
schedule: a person starts it. See docs/writeback.md.
"""

from collections.abc import Iterator
from typing import Any, Final

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_defs.assets.extraction import DUCKDB_POOL
from dagster_defs.resources import OrdersApiResource, open_warehouse
from orders_connector.transitions import TransitionPolicy
from orders_connector.writeback import (
    DEFAULT_MAX_WRITES,
    WritebackOptions,
    WritebackReport,
    run_writeback,
)
from orders_connector.writeback_audit import plan_markdown

WRITEBACK_GROUP: Final = "firstline_writeback"
WRITEBACK_ASSET: Final = "order_status_writeback"
WRITEBACK_JOB: Final = "firstline_orders_writeback"
FAILURE_CHECK: Final = "writeback_failure_share"
# More than one order in ten failing means something is wrong beyond single orders (a changed
# API, a wrong setting): the run is failed so that someone looks before the next one.
DEFAULT_MAX_FAILURE_SHARE: Final = 0.1


class WritebackConfig(dg.Config):
    """Run configuration of `order_status_writeback`; the defaults send nothing."""

    dry_run: bool = Field(
        default=True,
        description="Plan only: read orders, write the plan to writeback_log, send no update.",
    )
    max_writes: int = Field(
        default=DEFAULT_MAX_WRITES,
        ge=0,
        description="Hard cap on update requests this run; later corrections are logged capped.",
    )
    allow_transitions: list[str] = Field(
        default_factory=list,
        description=(
            "Moves allowed beyond the status life cycle: 'any', or '<field>:<from>-><to>' "
            "with '*' for any value, e.g. 'financial_status:refunded->pending'."
        ),
    )
    max_failure_share: float = Field(
        default=DEFAULT_MAX_FAILURE_SHARE,
        ge=0.0,
        le=1.0,
        description="The run fails when a larger share of the orders it tried failed.",
    )
    corrections_sql: str | None = Field(
        default=None,
        description="File with a corrections SELECT (default: $ORDERS_CORRECTIONS_SQL, "
        "else sql/corrections.sql when it exists).",
    )

    def options(self) -> WritebackOptions:
        return WritebackOptions(
            dry_run=self.dry_run,
            max_writes=self.max_writes,
            policy=TransitionPolicy.parse(self.allow_transitions),
            corrections_sql=self.corrections_sql,
        )


def writeback_metadata(report: WritebackReport) -> dict[str, Any]:
    """Counts per outcome (plottable), the run's settings, and the field-by-field plan."""
    metadata: dict[str, Any] = {
        "run_id": report.run_id,
        "dry_run": report.dry_run,
        "max_writes": report.max_writes,
        "transition_policy": report.policy,
        "corrections": report.corrections,
        "correction_rows_read": report.rows_read,
        "rows_without_order_id": report.rows_without_order,
        "settled_fields_left_out": report.settled_fields,
        "sources": ", ".join(report.sources),
        "updates_sent": report.updates_sent,
        "orders_written": report.orders_written,
        "requests": report.requests,
        "seconds": round(report.seconds, 3),
        "failure_share": round(report.failure_share, 4),
        "plan": dg.MetadataValue.md(plan_markdown(report.rows)),
    }
    metadata.update({f"outcome_{name}": count for name, count in report.counts.items()})
    if report.stopped:
        metadata["stopped"] = report.stopped
    return metadata


def failure_check(report: WritebackReport, max_share: float) -> dg.AssetCheckResult:
    share = report.failure_share
    return dg.AssetCheckResult(
        check_name=FAILURE_CHECK,
        passed=share <= max_share and report.stopped is None,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "failure_share": round(share, 4),
            "max_failure_share": max_share,
            "failed_rows": report.counts["failed"],
            "stopped": report.stopped or "no",
        },
    )


@dg.asset(
    name=WRITEBACK_ASSET,
    group_name=WRITEBACK_GROUP,
    deps=["orders"],
    kinds={"python", "duckdb"},
    pool=DUCKDB_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            FAILURE_CHECK,
            asset=WRITEBACK_ASSET,
            blocking=True,
            description="Fails the run when the share of failed orders passes max_failure_share "
            f"(default {DEFAULT_MAX_FAILURE_SHARE:.0%}) or a 401/403 stopped it.",
        )
    ],
)
def order_status_writeback(
    context: dg.AssetExecutionContext,
    config: WritebackConfig,
    orders_api: OrdersApiResource,
    duckdb: DuckDBResource,
) -> Iterator[dg.MaterializeResult[Any]]:
    """Writes order_status_corrections back to the CRM (dry run by default), audited."""
    settings = orders_api.settings()
    options = config.options()
    with open_warehouse(duckdb, settings.timezone) as warehouse:
        report = run_writeback(settings, warehouse, options, run_id=context.run_id)
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n)
    context.log.info(
        f"write-back {'dry run' if report.dry_run else 'apply'}: {report.corrections} "
        f"corrections, {report.updates_sent} updates sent ({counts or 'nothing to do'})"
    )
    yield dg.MaterializeResult(
        metadata=writeback_metadata(report),
        check_results=[failure_check(report, config.max_failure_share)],
    )


writeback_job = dg.define_asset_job(
    WRITEBACK_JOB,
    selection=dg.AssetSelection.assets(WRITEBACK_ASSET),
    description="Sends order_status_corrections to the CRM: a dry run unless dry_run=false.",
)
