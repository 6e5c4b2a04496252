"""One order's payload, produced on demand from (seed, id, creation time).

The shapes follow the vendor's order model and API-NOTES "Order items": money as decimal
strings, the nested product price as a number, timestamps "YYYY-MM-DD HH:MM:SS" API-local.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from orders_connector.enums import FINANCIAL_STATUSES, FULFILLMENT_STATUSES, RETURN_STATUSES
from orders_connector.sandbox.catalog import (
    CITIES,
    EXTRA_INFOS,
    GIVEN_CHARS,
    NOTES,
    ORDER_SOURCES,
    SURNAMES,
    Product,
)
from orders_connector.sandbox.hashing import SALT_CONTACT, SALT_ORDER, SALT_PERSON, key, rng_for
from orders_connector.sandbox.timeline import SECONDS_PER_DAY

T = TypeVar("T")
MAX_ITEMS_PER_ORDER = 7  # item ids are (order_id - 1) * 7 + k + 1 for k < 7

_FINANCIAL_WEIGHTS = {
    "pending": 10, "paid": 45, "cod": 10, "remitted": 5, "failed": 4,
    "pending_refund": 4, "pending_partial_refund": 3, "partial_refunded": 3, "refunded": 6,
}  # fmt: skip
_FULFILLMENT_WEIGHTS = {
    "unshipped": 12, "preparing": 10, "partial": 4, "fulfilled": 20, "arrived": 8,
    "received": 30, "returned": 5, "expired": 4, "problem": 3,
}  # fmt: skip
_RETURN_WEIGHTS = {
    "no_need": 70, "request_return": 4, "returning": 4, "checking": 3, "refused": 2,
    "returned": 6, "partial_return": 3, "in_origin_cvs": 3, "in_hub": 3, "problem": 2,
}  # fmt: skip
_ITEM_COUNT_WEIGHTS = (4, 38, 26, 14, 9, 5, 4)  # 0..6 items


@dataclass(frozen=True)
class DataSpec:
    """Everything an order's payload depends on besides its id and creation time."""

    seed: int
    orders: int
    origin: dt.datetime
    step: float
    products: tuple[Product, ...]

    @functools.cached_property
    def contact_pool(self) -> int:
        return max(50, self.orders // 3)

    @functools.cached_property
    def contact_salt(self) -> int:
        return key(self.seed, SALT_CONTACT, 0)

    @functools.cached_property
    def origin_ordinal(self) -> int:
        return self.origin.toordinal()

    def day_of(self, seconds: int) -> dt.date:
        return dt.date.fromordinal(self.origin_ordinal + seconds // SECONDS_PER_DAY)


def money(value: float) -> str:
    return f"{value:.2f}"


def contact_of(spec: DataSpec, order_id: int) -> int:
    """Customer id of a generated order: one multiply, so a contact filter can scan 1M ids."""
    mixed = ((order_id ^ spec.contact_salt) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    return 5001 + (mixed ^ (mixed >> 29)) % spec.contact_pool


def order_number_of(order_id: int, day: dt.date) -> str:
    """Unique because the id is; the date part follows the shop's numbering habit."""
    return f"FL{day:%Y%m%d}{order_id:04d}"


def item_id_of(order_id: int, position: int) -> int:
    return (order_id - 1) * MAX_ITEMS_PER_ORDER + position + 1


class _Weighted(Generic[T]):
    """A weighted choice costing one random draw (rng.choices is slow in a hot loop)."""

    def __init__(self, weights: Mapping[T, int]) -> None:
        self.values = tuple(weights)
        self.cumulative = tuple(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.total)]


_FINANCIAL = _Weighted(_FINANCIAL_WEIGHTS)
_FULFILLMENT = _Weighted(_FULFILLMENT_WEIGHTS)
_RETURN = _Weighted(_RETURN_WEIGHTS)
_ITEM_COUNT = _Weighted(dict(enumerate(_ITEM_COUNT_WEIGHTS)))
_QUANTITY = _Weighted({1: 70, 2: 20, 3: 8, 5: 2})
_SOURCE = _Weighted(dict(ORDER_SOURCES))


def _statuses(rng: random.Random, order_id: int) -> tuple[str, str, str]:
    # The first ten ids walk through every published value, so even a tiny data set uses
    # each enum value at least once.
    if order_id <= 10:
        return (
            list(FINANCIAL_STATUSES)[(order_id - 1) % len(FINANCIAL_STATUSES)],
            list(FULFILLMENT_STATUSES)[(order_id - 1) % len(FULFILLMENT_STATUSES)],
            list(RETURN_STATUSES)[(order_id - 1) % len(RETURN_STATUSES)],
        )
    return _FINANCIAL.pick(rng), _FULFILLMENT.pick(rng), _RETURN.pick(rng)


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(SURNAMES) + given


def phone(rng: random.Random) -> str:
    return f"09{rng.randrange(100):02d}-{rng.randrange(1000):03d}-{rng.randrange(1000):03d}"


def address(rng: random.Random) -> str:
    postcode, district, roads = rng.choice(CITIES)
    lane = f"{rng.randrange(1, 300)}巷" if rng.random() < 0.3 else ""
    floor = f"{rng.randrange(2, 21)}樓" if rng.random() < 0.6 else ""
    return f"{postcode}{district}{rng.choice(roads)}{lane}{rng.randrange(1, 400)}號{floor}"


def generate_items(
    spec: DataSpec, rng: random.Random, order_id: int, stamp: str
) -> list[dict[str, Any]]:
    count = _ITEM_COUNT.pick(rng)
    items = []
    for position, product in enumerate(rng.sample(spec.products, count)):
        quantity = _QUANTITY.pick(rng)
        before = product.price * quantity
        discount = round(before * rng.choice((0.1, 0.2)), 0) if rng.random() < 0.15 else 0.0
        items.append(
            {
                "id": item_id_of(order_id, position),
                "quantity": quantity,
                "total_price_before_discounts": money(before),
                "total_discount": money(discount),
                "total_price_after_discounts": money(before - discount),
                "product_id": product.id,
                "contact_order_id": order_id,
                "product": product.as_item_product(),
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return items


def stamp(spec: DataSpec, seconds: int) -> str:
    """Seconds since the origin as "YYYY-MM-DD HH:MM:SS" (datetime arithmetic is slower)."""
    days, rest = divmod(seconds, SECONDS_PER_DAY)
    hours, rest = divmod(rest, 3600)
    day = dt.date.fromordinal(spec.origin_ordinal + days)
    return f"{day.isoformat()} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def generate_order(spec: DataSpec, order_id: int, created_seconds: int) -> dict[str, Any]:
    """The order as the API stores it, items embedded; same inputs, same payload."""
    rng = rng_for(spec.seed, SALT_ORDER, order_id)
    created = created_seconds
    implied = int((order_id - 0.5) * spec.step)
    # The CRM record appears when the shop system syncs it: minutes later, or days later for
    # a back-dated order.
    record_created = max(created + rng.randrange(30, 900), implied)
    financial, fulfillment, returned = _statuses(rng, order_id)
    settled = financial != "pending" or fulfillment != "unshipped"
    order_updated = created + rng.randrange(600, 6 * SECONDS_PER_DAY) if settled else created
    record_updated = max(record_created, order_updated + rng.randrange(5, 300))
    record_stamp = stamp(spec, record_created)

    contact_id = contact_of(spec, order_id)
    contact_rng = rng_for(spec.seed, SALT_PERSON, contact_id)
    # Most orders ship to the customer themself; some are gifts to someone else.
    receiver_rng = contact_rng if rng.random() < 0.8 else rng
    receiver_name = person_name(receiver_rng)
    receiver_phone = None if rng.random() < 0.05 else phone(receiver_rng)
    receiver_address = address(receiver_rng)

    items = generate_items(spec, rng, order_id, record_stamp)
    subtotal = sum(float(item["total_price_before_discounts"]) for item in items)
    discount = sum(float(item["total_discount"]) for item in items)
    if subtotal and rng.random() < 0.1:
        discount += rng.choice((50, 100, 200))
    shipping = 0.0 if not items or subtotal >= 1000 else float(rng.choice((60, 80, 100, 120)))
    total = max(subtotal - discount, 0.0) + shipping
    tax = round(total / 21, 0) if rng.random() < 0.2 else 0.0
    if rng.random() < 0.03:
        # The vendor's own example does not add up; neither do a few real orders.
        total += rng.choice((-30, 1, 15, 100))

    source = _SOURCE.pick(rng)
    number = order_number_of(order_id, spec.day_of(created))
    return {
        "id": order_id,
        "order_source": source,
        "order_created_at": stamp(spec, created),
        "order_updated_at": stamp(spec, order_updated),
        "order_number": number,
        "order_name": f"#{number}" if source != "manual" else f"{receiver_name}的訂單",
        "receiver_name": receiver_name,
        "receiver_address": receiver_address,
        "receiver_phone": receiver_phone,
        "subtotal_price": money(subtotal),
        "total_discount": money(discount),
        "shipping_fee": money(shipping),
        "total_tax": money(tax),
        "total_price": money(total),
        "financial_status": financial,
        "fulfillment_status": fulfillment,
        "return_status": returned,
        "note": rng.choice(NOTES) if rng.random() < 0.45 else None,
        "extra_info": rng.choice(EXTRA_INFOS) if rng.random() < 0.35 else None,
        "contact_id": contact_id,
        "items": items,
        "created_at": record_stamp,
        "updated_at": stamp(spec, record_updated),
    }
