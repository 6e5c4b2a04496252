"""Order payloads parse leniently (nothing lost, everything odd reported); writes are strict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from orders_connector.models import (
    FieldIssue,
    Order,
    OrderCreate,
    OrderItem,
    OrderUpdate,
    Page,
    api_local_to_utc,
)

VENDOR_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "order_source": "cyberbiz",
    "order_created_at": "2024-09-27 15:44:03",
    "order_updated_at": "2024-09-27 15:44:03",
    "order_number": "ORD202309260001",
    "order_name": "#1001",
    "receiver_name": "王小明",
    "receiver_address": "台北市信義區",
    "receiver_phone": "0912345678",
    "subtotal_price": "4000.00",
    "total_discount": "0.00",
    "shipping_fee": "60.00",
    "total_tax": "0.00",
    "total_price": "3100.00",
    "financial_status": "paid",
    "fulfillment_status": "fulfilled",
    "return_status": "no_need",
    "note": None,
    "extra_info": None,
    "contact_id": 5263,
    "items": [
        {
            "id": 2,
            "quantity": 1,
            "total_price_before_discounts": "3100.00",
            "total_discount": "0.00",
            "total_price_after_discounts": "3100.00",
            "product_id": 3,
            "contact_order_id": 1,
            "product": {"id": 3, "name": "鞋", "sku": "DD1503-120", "price": 3100},
            "created_at": "2024-09-27 15:44:03",
            "updated_at": "2024-09-27 15:44:03",
        }
    ],
    "created_at": "2024-09-27 15:44:03",
    "updated_at": "2024-09-27 15:44:03",
}


def problems(order: Order | OrderItem) -> dict[str, str]:
    return {issue.field: issue.problem for issue in order.parse_issues}


def test_vendor_example_parses_without_issues() -> None:
    order = Order.model_validate(VENDOR_EXAMPLE)

    assert order.parse_issues == []
    assert order.subtotal_price == Decimal("4000.00")
    assert order.total_price == Decimal("3100.00")  # arithmetic that does not add up is kept
    assert order.order_created_at == dt.datetime(2024, 9, 27, 15, 44, 3)
    assert order.order_created_at.tzinfo is None
    assert order.items[0].product is not None
    assert order.items[0].product.price == Decimal("3100")
    assert order.financial_status_label == "Payment received"
    assert order.fulfillment_status_label == "Shipped"
    assert order.return_status_label == "No return needed"


def test_api_local_time_converts_to_utc_in_the_configured_zone() -> None:
    order = Order.model_validate({**VENDOR_EXAMPLE, "order_created_at": "2025-10-01 00:00:00"})

    taipei = order.created_at_utc(ZoneInfo("Asia/Taipei"))
    los_angeles = order.created_at_utc(ZoneInfo("America/Los_Angeles"))

    assert taipei == dt.datetime(2025, 9, 30, 16, 0, tzinfo=dt.UTC)
    assert los_angeles == dt.datetime(2025, 10, 1, 7, 0, tzinfo=dt.UTC)
    winter = api_local_to_utc(dt.datetime(2025, 12, 1), ZoneInfo("America/Los_Angeles"))
    assert winter == dt.datetime(2025, 12, 1, 8, 0, tzinfo=dt.UTC)


def test_unknown_status_is_kept_as_raw_string_and_reported() -> None:
    order = Order.model_validate({**VENDOR_EXAMPLE, "fulfillment_status": "lost_in_space"})

    assert order.fulfillment_status == "lost_in_space"
    assert order.fulfillment_status_label is None
    assert order.unknown_statuses == {"fulfillment_status": "lost_in_space"}
    assert problems(order) == {"fulfillment_status": "unknown_enum"}


@pytest.mark.parametrize(
    ("field", "raw", "problem"),
    [
        ("total_price", "N/A", "not a decimal"),
        ("shipping_fee", "NaN", "not a finite decimal"),
        ("order_updated_at", "0000-00-00 00:00:00", "not a YYYY-MM-DD HH:MM:SS timestamp"),
        ("created_at", "2025-02-30 10:00:00", "not a YYYY-MM-DD HH:MM:SS timestamp"),
        ("contact_id", "5263a", "not an integer"),
        ("note", {"text": "leave at door"}, "not text"),
    ],
)
def test_malformed_field_becomes_none_and_is_reported(field: str, raw: Any, problem: str) -> None:
    order = Order.model_validate({**VENDOR_EXAMPLE, field: raw})

    assert getattr(order, field) is None
    assert order.id == 1
    assert problems(order) == {field: problem}
    if isinstance(raw, str):
        assert order.parse_issues == [FieldIssue(field=field, raw_value=raw, problem=problem)]


def test_money_variants_that_still_mean_an_amount() -> None:
    order = Order.model_validate(
        {**VENDOR_EXAMPLE, "subtotal_price": "1,234.50", "total_price": 1234.5, "total_tax": None}
    )

    assert order.subtotal_price == Decimal("1234.50")
    assert order.total_price == Decimal("1234.5")
    assert order.total_tax is None
    assert problems(order) == {"subtotal_price": "thousands separator removed"}


def test_item_problems_are_reported_on_the_order_with_their_path() -> None:
    item = {**VENDOR_EXAMPLE["items"][0], "quantity": "two"}
    item["product"] = {**item["product"], "price": "abc"}
    order = Order.model_validate({**VENDOR_EXAMPLE, "items": [item, 7]})

    assert len(order.items) == 1
    assert order.items[0].quantity is None
    assert problems(order) == {
        "items[0].quantity": "not an integer",
        "items[0].product.price": "not a decimal",
        "items[1]": "not an object",
    }


def test_items_sent_as_php_object_or_json_text_are_recovered() -> None:
    item = VENDOR_EXAMPLE["items"][0]
    as_object = Order.model_validate(
        {**VENDOR_EXAMPLE, "items": {"0": item, "2": {**item, "id": 9}}}
    )
    as_text = Order.model_validate({**VENDOR_EXAMPLE, "items": "[]"})
    missing = Order.model_validate({k: v for k, v in VENDOR_EXAMPLE.items() if k != "items"})
    null = Order.model_validate({**VENDOR_EXAMPLE, "items": None})

    assert [i.id for i in as_object.items] == [2, 9]
    assert problems(as_object) == {"items": "not a list (entries recovered)"}
    assert as_text.items == []
    assert missing.items == [] and missing.parse_issues == []
    assert null.items == [] and null.parse_issues == []


def test_unknown_fields_are_kept() -> None:
    order = Order.model_validate({**VENDOR_EXAMPLE, "store_id": 12, "tags": ["vip"]})

    assert order.model_extra == {"store_id": 12, "tags": ["vip"]}


def test_revalidating_a_dumped_order_does_not_duplicate_issues() -> None:
    order = Order.model_validate({**VENDOR_EXAMPLE, "financial_status": "x", "total_price": "?"})

    again = Order.model_validate(order.model_dump())

    assert again.parse_issues == order.parse_issues


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(VENDOR_EXAMPLE)), JSONISH, max_size=8))
def test_any_field_garbage_never_loses_the_order(garbage: dict[str, Any]) -> None:
    payload = {**VENDOR_EXAMPLE, **garbage, "id": 77}

    order = Order.model_validate(payload)

    assert order.id == 77
    for issue in order.parse_issues:
        assert issue.field.split("[")[0].split(".")[0] in payload


def test_order_update_sends_only_the_fields_that_were_set() -> None:
    update = OrderUpdate(financial_status="refunded", total_price=Decimal("4000.00"), note=None)

    assert update.to_payload() == {
        "financial_status": "refunded",
        "total_price": "4000.00",
        "note": None,
    }


def test_order_update_formats_timestamps_the_api_way() -> None:
    update = OrderUpdate(order_updated_at=dt.datetime(2025, 10, 1, 9, 5, 0))

    assert update.to_payload() == {"order_updated_at": "2025-10-01 09:05:00"}


@pytest.mark.parametrize(
    "bad",
    [
        {"financial_status": "paid_twice"},
        {"return_status": "paid"},  # a value of another enum
        {"id": 5},  # not writable
        {"items": []},  # not writable through the order
        {"order_created_at": dt.datetime(2025, 10, 1, tzinfo=dt.UTC)},
    ],
)
def test_order_update_refuses_what_the_api_does_not_accept(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OrderUpdate(**bad)


def test_order_create_requires_source_number_and_contact() -> None:
    with pytest.raises(ValidationError) as raised:
        OrderCreate.model_validate({"order_number": "A1"})
    assert {e["loc"][0] for e in raised.value.errors()} == {"order_source", "contact_id"}

    create = OrderCreate(order_source="cyberbiz", order_number="A1", contact_id=5, total_price="10")
    assert create.to_payload() == {
        "order_source": "cyberbiz",
        "order_number": "A1",
        "contact_id": 5,
        "total_price": "10",
    }


def test_page_envelope_reads_laravel_meta() -> None:
    page = Page.model_validate(
        {
            "data": [{"id": 1}],
            "links": {"first": "/?page=1", "last": "/?page=3", "prev": None, "next": "/?page=2"},
            "meta": {
                "current_page": 1,
                "from": 1,
                "last_page": 3,
                "links": [],
                "path": "/api/v1/contact-order",
                "per_page": "15",
                "to": 15,
                "total": 31,
            },
        }
    )

    assert page.meta.from_ == 1 and page.meta.per_page == 15 and page.meta.last_page == 3
    assert page.links.next == "/?page=2"
    assert page.data == [{"id": 1}]
