"""`Warehouse.land_windows`: several windows landed at once, each as `land_window` would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from orders_connector.warehouse import Warehouse, WindowLanding

DAYS = [dt.date(2025, 11, 1) + dt.timedelta(days=n) for n in range(3)]
FETCHED = dt.datetime(2025, 11, 4, 3, 0, tzinfo=dt.UTC)
LATER = FETCHED + dt.timedelta(hours=1)
TABLES = ("raw_orders", "raw_rejected", "sync_windows")


def payload(order_id: Any, day: dt.date, **fields: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "order_created_at": f"{day} 10:00:00",
        "total_price": "100.00",
        "receiver_name": "王小明 🎁",
        "items": [{"id": 1, "quantity": 1}],
        **fields,
    }


def landings(fetched_at: dt.datetime = FETCHED) -> list[WindowLanding]:
    first, second, third = DAYS
    return [
        WindowLanding(
            first,
            [payload(1, first), payload(2, first), payload(1, first, total_price="1.00")],
            fetched_at,
            {"pages": 2, "requests": 3, "meta_total": 3, "seconds": 0.25},
            [({"id": None}, "no usable id")],
        ),
        WindowLanding(second, [], fetched_at, {"pages": 1, "items_source": "none"}),
        WindowLanding(third, [payload(3, third), {"no": "id"}], fetched_at, {}),
    ]


def table(wh: Warehouse, name: str) -> list[tuple[Any, ...]]:
    return wh.connection.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


@pytest.fixture
def pair(tmp_path: Path) -> Any:
    with Warehouse(tmp_path / "one.duckdb") as one, Warehouse(tmp_path / "batch.duckdb") as batch:
        yield one, batch


def test_a_batch_lands_what_landing_each_window_alone_lands(
    pair: tuple[Warehouse, Warehouse],
) -> None:
    one, batch = pair
    counts = [
        one.land_window(
            w.day, w.payloads, fetched_at=w.fetched_at, stats=w.stats, rejected=w.rejected
        )
        for w in landings()
    ]

    assert batch.land_windows(landings()) == counts == [2, 0, 1]
    for name in TABLES:
        assert table(batch, name) == table(one, name), name


def test_a_batch_replaces_its_windows_and_leaves_the_others(
    pair: tuple[Warehouse, Warehouse],
) -> None:
    _, batch = pair
    batch.land_windows(landings())
    other = dt.date(2025, 10, 31)
    batch.land_window(other, [payload(9, other)], fetched_at=FETCHED, stats={})

    batch.land_windows([WindowLanding(DAYS[0], [payload(5, DAYS[0])], LATER, {"pages": 1})])

    rows = batch.connection.execute(
        "SELECT window_date, order_id FROM raw_orders ORDER BY ALL"
    ).fetchall()
    assert rows == [(other, 9), (DAYS[0], 5), (DAYS[2], 3)]
    rejected = batch.connection.execute(
        "SELECT DISTINCT window_date FROM raw_rejected ORDER BY ALL"
    ).fetchall()
    assert rejected == [(DAYS[2],)]


def test_a_batch_with_a_payload_that_cannot_be_stored_changes_nothing(
    pair: tuple[Warehouse, Warehouse],
) -> None:
    _, batch = pair
    batch.land_windows(landings())
    before = {name: table(batch, name) for name in TABLES}
    broken = [
        WindowLanding(DAYS[0], [payload(7, DAYS[0])], LATER, {}),
        WindowLanding(DAYS[1], [payload(8, DAYS[1], note=object())], LATER, {}),
    ]

    with pytest.raises(ValueError, match="cannot be stored as JSON"):
        batch.land_windows(broken)

    assert {name: table(batch, name) for name in TABLES} == before


def test_a_batch_refuses_a_window_twice_unknown_stats_and_naive_times(
    pair: tuple[Warehouse, Warehouse],
) -> None:
    _, batch = pair
    twice = [WindowLanding(DAYS[0], [], FETCHED, {}), WindowLanding(DAYS[0], [], FETCHED, {})]
    with pytest.raises(ValueError, match="once"):
        batch.land_windows(twice)
    with pytest.raises(ValueError, match="unknown stats"):
        batch.land_windows([WindowLanding(DAYS[0], [], FETCHED, {"bogus": 1})])
    with pytest.raises(ValueError, match="timezone-aware"):
        batch.land_windows([WindowLanding(DAYS[0], [], dt.datetime(2025, 11, 4), {})])
    assert batch.land_windows([]) == []
