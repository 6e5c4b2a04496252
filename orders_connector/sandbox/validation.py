"""Laravel-style validation of order and item writes: cleaned values, or 422 field errors.

Messages follow Laravel 10 (attribute names with spaces). Fields nobody validates are
dropped, as `$request->validated()` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from orders_connector.enums import STATUS_ENUMS
from orders_connector.sandbox.catalog import ORDER_SOURCES, UNDOCUMENTED_VALUES
from orders_connector.sandbox.clock import format_timestamp, parse_timestamp

Errors = dict[str, list[str]]
Cleaned = dict[str, Any]

MONEY_FIELDS = ("subtotal_price", "total_discount", "shipping_fee", "total_tax", "total_price")
TEXT_FIELDS = (
    "order_number", "order_name", "receiver_name", "receiver_address", "receiver_phone",
    "note", "extra_info",
)  # fmt: skip
DATE_FIELDS = ("order_created_at", "order_updated_at")
ITEM_MONEY_FIELDS = (
    "total_price_before_discounts",
    "total_discount",
    "total_price_after_discounts",
)
REQUIRED_ON_CREATE = ("order_source", "order_number", "contact_id")

# The server's own lists are wider than the published ones: it accepts what it serves.
ACCEPTED_VALUES: dict[str, frozenset[str]] = {
    "order_source": frozenset(
        [source for source, _ in ORDER_SOURCES] + list(UNDOCUMENTED_VALUES["order_source"])
    ),
    **{
        name: frozenset(list(values) + list(UNDOCUMENTED_VALUES[name]))
        for name, values in STATUS_ENUMS.items()
    },
}


def summary(errors: Errors) -> str:
    """Laravel's top-level 422 message: the first error and how many more there are."""
    messages = [message for field_errors in errors.values() for message in field_errors]
    first, more = messages[0], len(messages) - 1
    if more == 0:
        return first
    return f"{first} (and {more} more error{'s' if more > 1 else ''})"


def _label(name: str) -> str:
    return name.replace("_", " ")


def as_integer(value: Any) -> int | None:
    """Laravel's `integer` rule: ints, integral floats and digit strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isdigit() and digits.isascii():
            return int(text)
    return None


def as_money(value: Any) -> str | None:
    """Laravel's `numeric` rule, stored the way a DECIMAL(12,2) column gives it back."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return str(number.quantize(Decimal("0.01")))


def validate_order(
    body: Mapping[str, Any],
    *,
    creating: bool,
    zone: ZoneInfo,
    number_owner: Callable[[str], int | None],
    order_id: int | None = None,
) -> tuple[Cleaned, Errors]:
    errors: Errors = {}
    cleaned: Cleaned = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if creating:
        for name in REQUIRED_ON_CREATE:
            if body.get(name) is None:
                fail(name, f"The {_label(name)} field is required.")
    for name, value in body.items():
        if name in errors:
            continue
        if value is None:
            if name in REQUIRED_ON_CREATE and not creating:
                fail(name, f"The {_label(name)} field is required.")
            elif name in ACCEPTED_VALUES or name in TEXT_FIELDS + DATE_FIELDS + MONEY_FIELDS:
                cleaned[name] = None
            continue
        if name in ACCEPTED_VALUES:
            if not isinstance(value, str) or value not in ACCEPTED_VALUES[name]:
                fail(name, f"The selected {_label(name)} is invalid.")
            else:
                cleaned[name] = value
        elif name in TEXT_FIELDS:
            if not isinstance(value, str):
                fail(name, f"The {_label(name)} field must be a string.")
            elif len(value) > 255 and name != "note":
                fail(name, f"The {_label(name)} field must not be greater than 255 characters.")
            else:
                cleaned[name] = value
        elif name in MONEY_FIELDS:
            amount = as_money(value)
            if amount is None:
                fail(name, f"The {_label(name)} field must be a number.")
            else:
                cleaned[name] = amount
        elif name in DATE_FIELDS:
            moment = parse_timestamp(value, zone) if isinstance(value, str) else None
            if moment is None:
                fail(name, f"The {_label(name)} field must be a valid date.")
            else:
                cleaned[name] = format_timestamp(moment)
        elif name == "contact_id":
            number = as_integer(value)
            if number is None:
                fail(name, f"The {_label(name)} field must be an integer.")
            else:
                cleaned[name] = number
    number = cleaned.get("order_number")
    if number is not None:
        owner = number_owner(number)
        if owner is not None and owner != order_id:
            fail("order_number", "The order number has already been taken.")
    return cleaned, errors


def validate_item(
    body: Mapping[str, Any], *, product_price: Callable[[int], int | None]
) -> tuple[Cleaned, Errors]:
    errors: Errors = {}
    cleaned: Cleaned = {}
    product_id = as_integer(body.get("product_id"))
    price: int | None = None
    if body.get("product_id") is None:
        errors["product_id"] = ["The product id field is required."]
    elif product_id is None:
        errors["product_id"] = ["The product id field must be an integer."]
    else:
        price = product_price(product_id)
        if price is None:
            errors["product_id"] = ["The selected product id is invalid."]
        cleaned["product_id"] = product_id
    quantity = as_integer(body.get("quantity"))
    if body.get("quantity") is None:
        errors["quantity"] = ["The quantity field is required."]
    elif quantity is None:
        errors["quantity"] = ["The quantity field must be an integer."]
    elif quantity < 1:
        errors["quantity"] = ["The quantity field must be at least 1."]
    else:
        cleaned["quantity"] = quantity
    for name in ITEM_MONEY_FIELDS:
        if body.get(name) is not None:
            amount = as_money(body[name])
            if amount is None:
                errors[name] = [f"The {_label(name)} field must be a number."]
            else:
                cleaned[name] = amount
    if errors or price is None or quantity is None:
        return cleaned, errors
    before = Decimal(cleaned.get("total_price_before_discounts") or price * quantity)
    discount = Decimal(cleaned.get("total_discount") or 0)
    cleaned.setdefault("total_price_before_discounts", str(before.quantize(Decimal("0.01"))))
    cleaned.setdefault("total_discount", str(discount.quantize(Decimal("0.01"))))
    cleaned.setdefault(
        "total_price_after_discounts", str((before - discount).quantize(Decimal("0.01")))
    )
    return cleaned, errors
