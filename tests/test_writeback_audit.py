"""How a run's audit reads for people: the plan tables and the failure share."""

from __future__ import annotations

import datetime as dt

from orders_connector.writeback_audit import (
    OUTCOMES,
    AuditRow,
    Outcome,
    failure_share,
    outcome_counts,
    plan_markdown,
    plan_text,
)

AT = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)


def audit(order_id: int, outcome: Outcome, message: str | None = None) -> AuditRow:
    return AuditRow(
        order_id, "fulfillment_status", "preparing", "received", outcome, None, message, AT
    )


def test_the_markdown_plan_is_one_table_row_per_field_and_escapes_pipes() -> None:
    rows = [audit(2, "dry_run"), audit(1, "failed", "HTTP 422: a | b")]
    table = plan_markdown(rows).splitlines()
    assert table[0] == "| order | field | live | target | outcome | http | message |"
    assert table[2].startswith("| 1 | fulfillment_status | preparing | received | failed |")
    assert "a \\| b" in table[2]
    assert table[3].startswith("| 2 |")


def test_a_long_plan_is_cut_with_a_pointer_to_the_log_table() -> None:
    rows = [audit(i, "capped") for i in range(1, 251)]
    table = plan_markdown(rows, limit=200)
    assert table.count("| capped |") == 200
    assert table.endswith("50 more rows in writeback_log.")


def test_an_empty_plan_says_so() -> None:
    assert "no corrections" in plan_markdown([])


def test_the_text_plan_aligns_columns_and_clips_long_messages() -> None:
    text = plan_text([audit(1, "conflict", "x" * 200), audit(12345, "verified")])
    header, first, second = text.splitlines()
    assert header.index("outcome") == first.index("conflict") == second.index("verified")
    assert first.endswith("...") and len(first) < 160


def test_failure_share_counts_orders_that_were_tried() -> None:
    rows = [
        audit(1, "failed"),
        AuditRow(1, "return_status", None, "returned", "failed", 500, None, AT),
        audit(2, "verified"),
        audit(3, "skipped_equal"),
        audit(4, "invalid"),
        audit(5, "capped"),
    ]
    assert failure_share(rows) == 1 / 3
    assert failure_share([audit(1, "capped")]) == 0.0


def test_counts_list_every_outcome_in_the_documented_order() -> None:
    counts = outcome_counts([audit(1, "verified"), audit(2, "verified")])
    assert list(counts) == list(OUTCOMES)
    assert counts["verified"] == 2 and counts["failed"] == 0
