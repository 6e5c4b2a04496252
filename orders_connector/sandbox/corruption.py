"""Real-world breakage laid over a served order: undocumented enum values and bad fields.

Which orders are hit, and how, depends only on (seed, order id), so re-reading an order gives
the same payload. A field written since (by a client or by staff) is served as written.
`order_created_at` is never broken: the server filters on it, so it is always a real datetime.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from typing import Any

from orders_connector.sandbox.catalog import UNDOCUMENTED_VALUES
from orders_connector.sandbox.hashing import (
    SALT_MALFORMED,
    SALT_UNKNOWN,
    SALT_VARIANT,
    rng_for,
    unit,
)

Order = dict[str, Any]
MONEY_FIELDS = ("subtotal_price", "total_discount", "shipping_fee", "total_tax", "total_price")
BROKEN_DATE_FIELDS = ("order_updated_at", "created_at", "updated_at")


def apply_unknown_enums(
    order: Order, seed: int, rate: float, written: Collection[str] = ()
) -> None:
    order_id = order["id"]
    if rate <= 0 or unit(seed, SALT_UNKNOWN, order_id) >= rate:
        return
    rng = rng_for(seed, SALT_UNKNOWN, order_id)
    fields = [name for name in UNDOCUMENTED_VALUES if name not in written]
    if not fields:
        return
    for name in rng.sample(fields, rng.randint(1, min(2, len(fields)))):
        order[name] = rng.choice(UNDOCUMENTED_VALUES[name])


def apply_malformed(order: Order, seed: int, rate: float, written: Collection[str] = ()) -> None:
    order_id = order["id"]
    if rate <= 0 or unit(seed, SALT_MALFORMED, order_id) >= rate:
        return
    rng = rng_for(seed, SALT_VARIANT, order_id)
    _description, breaker = _BREAKERS[rng.randrange(len(_BREAKERS))]
    breaker(order, rng, written)


def _pick(rng: random.Random, fields: tuple[str, ...], written: Collection[str]) -> str | None:
    free = [name for name in fields if name not in written]
    return rng.choice(free) if free else None


def _money_text(order: Order, rng: random.Random, written: Collection[str]) -> None:
    field = _pick(rng, MONEY_FIELDS, written)
    if field:
        order[field] = "N/A"


def _money_thousands(order: Order, rng: random.Random, written: Collection[str]) -> None:
    field = _pick(rng, ("subtotal_price", "total_price"), written)
    if field:
        order[field] = f"{max(float(order[field]), 1234.0):,.2f}"


def _money_number(order: Order, rng: random.Random, written: Collection[str]) -> None:
    field = _pick(rng, MONEY_FIELDS, written)
    if field:
        value = float(order[field])
        order[field] = int(value) if value.is_integer() else value


def _money_null(order: Order, rng: random.Random, written: Collection[str]) -> None:
    field = _pick(rng, MONEY_FIELDS, written)
    if field:
        order[field] = None


def _date_zero(order: Order, rng: random.Random, written: Collection[str]) -> None:
    field = _pick(rng, BROKEN_DATE_FIELDS, written)
    if field:
        order[field] = "0000-00-00 00:00:00"


def _date_impossible(order: Order, rng: random.Random, written: Collection[str]) -> None:
    field = _pick(rng, BROKEN_DATE_FIELDS, written)
    if field:
        order[field] = f"{order['order_created_at'][:4]}-02-30 10:00:00"


def _contact_text(order: Order, rng: random.Random, written: Collection[str]) -> None:
    if "contact_id" not in written:
        order["contact_id"] = f"{order['contact_id']}a"


def _note_object(order: Order, rng: random.Random, written: Collection[str]) -> None:
    if "note" not in written:
        order["note"] = {"text": order["note"] or "x"}


def _items_null(order: Order, rng: random.Random, written: Collection[str]) -> None:
    order["items"] = None


def _items_missing(order: Order, rng: random.Random, written: Collection[str]) -> None:
    order.pop("items", None)


def _items_not_list(order: Order, rng: random.Random, written: Collection[str]) -> None:
    items = order.get("items") or []
    # PHP serialises an array with gaps in its keys as a JSON object.
    order["items"] = {str(i * 2): item for i, item in enumerate(items)} if items else "[]"


def _item_quantity_word(order: Order, rng: random.Random, written: Collection[str]) -> None:
    items = order.get("items")
    if items:
        items[0]["quantity"] = "two"
    else:
        order["items"] = None


def _product_price_text(order: Order, rng: random.Random, written: Collection[str]) -> None:
    items = order.get("items")
    if items:
        items[-1]["product"]["price"] = "abc"
    else:
        order["items"] = None


_Breaker = Callable[[Order, random.Random, Collection[str]], None]
_BREAKERS: tuple[tuple[str, _Breaker], ...] = (
    ("money N/A", _money_text),
    ("money with thousands separator", _money_thousands),
    ("money as a number", _money_number),
    ("money null", _money_null),
    ("zero date", _date_zero),
    ("impossible date", _date_impossible),
    ("contact_id not a number", _contact_text),
    ("object where a string is expected", _note_object),
    ("items null", _items_null),
    ("items missing", _items_missing),
    ("items not a list", _items_not_list),
    ("item quantity as a word", _item_quantity_word),
    ("product price as text", _product_price_text),
)
