"""Properties of the parsers (money, timestamps, status codes; in Python and in the SQL
normalization) and of day-window splitting, over generated inputs."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from orders_connector.enums import STATUS_ENUMS, STATUS_FIELDS
from orders_connector.models import Order, api_local_to_utc, parse_api_datetime
from orders_connector.warehouse import Warehouse
from orders_connector.windows import DayWindow, local_day_of, split_days

# CI's two cores are shared: a slow example is not a failure.
NO_DEADLINE = settings(deadline=None)
MONEY = st.decimals(
    min_value=Decimal("-9999999999999999.99"),
    max_value=Decimal("9999999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
DATETIMES = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31))
ANY_TEXT = st.text(max_size=30)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT


def api_text(moment: dt.datetime) -> str:
    """The API's `YYYY-MM-DD HH:MM:SS`, years zero-padded as the server writes them."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )


def issues_of(order: Order, field: str) -> list[str]:
    return [i.problem for i in order.parse_issues if i.field == field]


# --- money (Python) ---------------------------------------------------------------------------


@NO_DEADLINE
@given(MONEY)
def test_a_decimal_string_is_read_exactly(amount: Decimal) -> None:
    order = Order.model_validate({"id": 1, "total_price": str(amount)})
    assert order.total_price == amount
    assert issues_of(order, "total_price") == []


@NO_DEADLINE
@given(MONEY)
def test_a_thousands_separated_amount_keeps_its_value_and_says_so(amount: Decimal) -> None:
    order = Order.model_validate({"id": 1, "subtotal_price": f"{amount:,.2f}"})
    assert order.subtotal_price == amount
    expected = ["thousands separator removed"] if abs(amount) >= 1000 else []
    assert issues_of(order, "subtotal_price") == expected


@NO_DEADLINE
@given(st.integers(min_value=-(10**15), max_value=10**15) | st.floats(allow_nan=False, width=32))
def test_a_json_number_is_read_as_the_number_it_prints_as(number: int | float) -> None:
    assume(not isinstance(number, float) or abs(number) != float("inf"))
    order = Order.model_validate({"id": 1, "shipping_fee": number})
    assert order.shipping_fee == Decimal(str(number))
    assert issues_of(order, "shipping_fee") == []


@NO_DEADLINE
@given(JSON_SCALARS | st.lists(ANY_TEXT, max_size=2) | st.dictionaries(ANY_TEXT, ANY_TEXT))
@example("N/A")
@example("NaN")
@example("-Infinity")
@example("1,234.00")
@example("12,34")
def test_any_money_value_is_a_number_or_none_with_one_issue(raw: Any) -> None:
    order = Order.model_validate({"id": 1, "total_price": raw})
    problems = issues_of(order, "total_price")
    assert order.id == 1
    if order.total_price is None:
        blank = raw is None or (isinstance(raw, str) and not raw.strip())
        assert problems == ([] if blank else problems) and (blank or len(problems) == 1)
    else:
        assert order.total_price.is_finite()
        assert problems in ([], ["thousands separator removed"])


# --- timestamps (Python) ----------------------------------------------------------------------


@NO_DEADLINE
@given(DATETIMES)
def test_an_api_timestamp_is_read_back_to_the_second(moment: dt.datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert parse_api_datetime(api_text(moment)) == moment
    assert parse_api_datetime(api_text(moment).replace(" ", "T")) == moment


@NO_DEADLINE
@given(
    st.integers(min_value=1, max_value=9999),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=29, max_value=32),
)
@example(2025, 2, 30)
@example(0, 0, 0)
def test_an_impossible_date_is_none_with_an_issue(year: int, month: int, day: int) -> None:
    assume(year == 0 or day > calendar.monthrange(year, month)[1])
    raw = f"{year:04d}-{month:02d}-{day:02d} 10:00:00"
    order = Order.model_validate({"id": 1, "order_updated_at": raw})
    assert order.order_updated_at is None
    assert len(issues_of(order, "order_updated_at")) == 1


@NO_DEADLINE
@given(
    DATETIMES.filter(lambda d: dt.datetime(2, 1, 1) <= d <= dt.datetime(9998, 12, 31)),
    st.sampled_from(["Asia/Taipei", "UTC", "Asia/Kolkata", "Pacific/Chatham"]),
)
def test_local_to_utc_and_back_is_the_same_wall_time(moment: dt.datetime, zone: str) -> None:
    """Zones without daylight saving, so every wall time exists exactly once."""
    tz = ZoneInfo(zone)
    assume(zone != "Pacific/Chatham" or moment.year < 1900)  # Chatham has DST since then
    utc = api_local_to_utc(moment, tz)
    assert utc.tzinfo is not None and utc.utcoffset() == dt.timedelta(0)
    assert utc.astimezone(tz).replace(tzinfo=None) == moment


# --- status codes (Python) --------------------------------------------------------------------


@NO_DEADLINE
@given(
    st.sampled_from(STATUS_FIELDS).flatmap(
        lambda f: st.tuples(st.just(f), st.sampled_from(list(STATUS_ENUMS[f])))
    )
)
def test_a_published_code_is_known_and_labelled(field_and_code: tuple[str, str]) -> None:
    field, code = field_and_code
    order = Order.model_validate({"id": 1, field: code})
    assert getattr(order, field) == code
    assert order.status_label(field) == STATUS_ENUMS[field][code]  # type: ignore[arg-type]
    assert issues_of(order, field) == []


@NO_DEADLINE
@given(st.sampled_from(STATUS_FIELDS), ANY_TEXT.filter(lambda t: t.strip() != ""))
def test_any_other_code_is_kept_as_sent_and_flagged(field: str, code: str) -> None:
    assume(code not in STATUS_ENUMS[field])  # type: ignore[index]
    order = Order.model_validate({"id": 1, field: code})
    assert getattr(order, field) == code
    assert order.status_label(field) is None  # type: ignore[arg-type]
    assert order.unknown_statuses == {field: code[:200]}


# --- the SQL normalization --------------------------------------------------------------------

WINDOW = dt.date(2025, 10, 3)
FETCHED = dt.datetime(2025, 10, 4, 1, 0, tzinfo=dt.UTC)
MONEY_TEXTS = (
    MONEY.map(str)
    | MONEY.map(lambda d: f"{d:,.2f}")
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.from_regex(r"\A-?\d{1,6}(\.\d{1,4})?\Z")
    | ANY_TEXT
    | st.none()
)
STAMP_TEXTS = DATETIMES.map(lambda d: api_text(d.replace(microsecond=0))) | ANY_TEXT | st.none()


def normalized(payloads: list[dict[str, Any]]) -> tuple[dict[int, tuple[Any, ...]], set[Any]]:
    """Land one window and normalize it in a fresh in-memory warehouse: rows and issues."""
    with Warehouse(":memory:") as warehouse:
        warehouse.land_window(
            WINDOW,
            payloads,
            fetched_at=FETCHED,
            stats={"meta_total": len(payloads)},
        )
        warehouse.normalize_windows([WINDOW])
        rows = warehouse.connection.execute(
            "SELECT id, total_price, order_updated_at, financial_status FROM orders"
        ).fetchall()
        issues = set(
            warehouse.connection.execute(
                "SELECT order_id, field, problem FROM order_data_issues"
            ).fetchall()
        )
    return {row[0]: row[1:] for row in rows}, issues


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            MONEY_TEXTS,
            STAMP_TEXTS,
            ANY_TEXT | st.sampled_from(list(STATUS_ENUMS["financial_status"])),
        ),
        min_size=1,
        max_size=25,
    )
)
@example([("1.005", "2025-02-30 10:00:00", "paid"), ("1e3", "2025-1-3 10:00:00", "PAID")])
@example([("0.001", None, ""), ("12,345.60", "0000-00-00 00:00:00", "未付款")])
@example([("0.00", "INFINITY", ""), ("1", "2025-01-01 10:00:00", "\x1f")])
def test_sql_normalization_never_loses_an_order_nor_changes_a_value_silently(
    values: list[tuple[Any, Any, str]],
) -> None:
    payloads = [
        {
            "id": order_id,
            "order_created_at": f"{WINDOW} 12:00:00",
            "total_price": money,
            "order_updated_at": stamp,
            "financial_status": status,
            "items": [],
        }
        for order_id, (money, stamp, status) in enumerate(values, start=1)
    ]
    rows, issues = normalized(payloads)

    assert set(rows) == {p["id"] for p in payloads}  # nothing lost, nothing invented
    for payload in payloads:
        order_id = payload["id"]
        total_price, updated_at, status = rows[order_id]
        money, stamp = payload["total_price"], payload["order_updated_at"]
        if total_price is not None:
            # A number that lands is exactly the number that was sent.
            assert total_price == Decimal(str(money).strip()), (money, total_price)
        elif money is not None and str(money).strip():
            assert (order_id, "total_price", "invalid_decimal") in issues, money
        if updated_at is not None:
            assert api_text(updated_at) == stamp.strip() or updated_at == parse_api_datetime(stamp)
        elif stamp is not None and stamp.strip():
            assert (order_id, "order_updated_at", "invalid_timestamp") in issues, stamp
        # Blank means spaces only (SQL's trim); any other character is a value, kept as sent.
        expected_status = (
            payload["financial_status"] if payload["financial_status"].strip(" ") else None
        )
        assert status == expected_status
        unknown = (order_id, "financial_status", "unknown_enum") in issues
        assert unknown == (
            expected_status is not None and expected_status not in STATUS_ENUMS["financial_status"]
        )


# --- day windows ------------------------------------------------------------------------------

DAYS = st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2100, 12, 31))


@NO_DEADLINE
@given(DAYS, st.integers(min_value=0, max_value=800))
def test_split_days_covers_the_range_once_in_order(start: dt.date, length: int) -> None:
    end = start + dt.timedelta(days=length)
    windows = split_days(start, end)
    assert len(windows) == length + 1
    assert windows[0].day == start and windows[-1].day == end
    assert all(b.day - a.day == dt.timedelta(days=1) for a, b in itertools.pairwise(windows))
    assert [DayWindow.parse(w.key) for w in windows] == windows


@NO_DEADLINE
@given(DAYS, st.integers(min_value=1, max_value=400))
def test_an_end_before_the_start_is_refused(start: dt.date, back: int) -> None:
    with pytest.raises(ValueError, match="before start"):
        split_days(start, start - dt.timedelta(days=back))


@NO_DEADLINE
@given(
    DAYS,
    st.integers(min_value=0, max_value=60),
    st.datetimes(min_value=dt.datetime(1969, 1, 1), max_value=dt.datetime(2101, 12, 31)),
)
def test_exactly_one_window_of_a_range_holds_an_order_of_that_range(
    start: dt.date, length: int, created: dt.datetime
) -> None:
    end = start + dt.timedelta(days=length)
    text = api_text(created.replace(microsecond=0))
    holding = [w for w in split_days(start, end) if w.holds(text)]
    inside = start <= created.date() <= end
    assert len(holding) == (1 if inside else 0)
    if inside:
        assert holding[0].day == created.date()


@NO_DEADLINE
@given(DAYS, st.sampled_from(["unknown", "inclusive", "exclusive"]))
def test_a_windows_query_covers_its_day(day: dt.date, window_end: str) -> None:
    params = DayWindow(day).query_params(window_end)  # type: ignore[arg-type]
    first = dt.date.fromisoformat(params["order_created_at__start"])
    last = dt.date.fromisoformat(params["order_created_at__end"])
    assert first == day
    # Inclusive: the end day is read; otherwise the end is the next day (read or not).
    assert last == (day if window_end == "inclusive" else day + dt.timedelta(days=1))


@NO_DEADLINE
@given(JSON_SCALARS | st.lists(ANY_TEXT, max_size=2))
@example("0000-00-00 00:00:00")
@example("2025-02-30 10:00:00")
@example("2025-10-03")
def test_local_day_of_anything_is_a_date_or_none(raw: Any) -> None:
    day = local_day_of(raw)
    assert day is None or (isinstance(raw, str) and raw[:10] == day.isoformat())
