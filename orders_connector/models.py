"""Typed views of the API's payloads, and the bodies the client writes.

Reading is lenient: a field the connector cannot parse becomes None and is reported in
`parse_issues`, an unknown status value is kept as the raw string and reported; an order is
never rejected for the shape of one of its fields. Writing is strict: an `OrderUpdate` only holds
fields the API documents as writable, and status values from the published lists.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from orders_connector.enums import STATUS_ENUMS, STATUS_FIELDS, StatusField
from orders_connector.windows import API_TIMESTAMP_FORMAT

FieldKind = Literal["int", "str", "decimal", "datetime", "status", "any"]

_RAW_EXCERPT_CHARS = 200


class FieldIssue(BaseModel):
    """One field the connector could not take at face value."""

    model_config = ConfigDict(frozen=True)

    field: str
    raw_value: str
    problem: str


def api_local_to_utc(local: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A naive API-local timestamp as an aware UTC datetime."""
    if local.tzinfo is not None:
        return local.astimezone(dt.UTC)
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def parse_api_datetime(raw: str) -> dt.datetime:
    """`YYYY-MM-DD HH:MM:SS` (or the ISO `T` form) as a naive API-local datetime."""
    text = raw.strip()
    for fmt in (API_TIMESTAMP_FORMAT, "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError("not a YYYY-MM-DD HH:MM:SS timestamp")


def _raw_text(raw: object) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    return text[:_RAW_EXCERPT_CHARS]


def _as_int(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise ValueError("not an integer")


_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def _as_decimal(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError("not a decimal")
    try:
        # str() first: Decimal(0.1) would carry the float's binary noise into the warehouse.
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueError("not a decimal") from exc
    if not value.is_finite():
        raise ValueError("not a finite decimal")
    return value


def _as_str(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    raise ValueError("not text")


def _parse_one(kind: FieldKind, raw: object) -> tuple[object, str | None]:
    """(parsed value, problem or None). Raises nothing: a bad value becomes (None, problem)."""
    if raw is None or kind == "any":
        return raw, None
    # Already-typed values come back when a dumped model is validated again.
    if (kind == "decimal" and isinstance(raw, Decimal) and raw.is_finite()) or (
        kind == "datetime" and isinstance(raw, dt.datetime)
    ):
        return raw, None
    if kind != "str" and isinstance(raw, str) and not raw.strip():
        return None, None
    try:
        if kind == "int":
            return _as_int(raw), None
        if kind == "decimal":
            if isinstance(raw, str) and _THOUSANDS.match(raw.strip()):
                # "1,234.00" is unambiguous; keep the amount, but say it was rewritten.
                return _as_decimal(raw.replace(",", "")), "thousands separator removed"
            return _as_decimal(raw), None
        if kind == "datetime":
            if not isinstance(raw, str):
                raise ValueError("not a timestamp string")
            return parse_api_datetime(raw), None
        return _as_str(raw), None
    except ValueError as exc:
        return None, str(exc)


def clean_fields(
    data: Mapping[str, Any], kinds: Mapping[str, FieldKind]
) -> tuple[dict[str, Any], list[FieldIssue]]:
    """Parse the known fields of a raw payload; unknown keys pass through untouched."""
    cleaned = dict(data)
    issues: list[FieldIssue] = []
    for name, kind in kinds.items():
        if name not in data:
            continue
        raw = data[name]
        if kind == "status":
            value, problem = _parse_one("str", raw)
            if problem is None and value is not None and value not in STATUS_ENUMS[_status(name)]:
                issues.append(
                    FieldIssue(field=name, raw_value=_raw_text(raw), problem="unknown_enum")
                )
        else:
            value, problem = _parse_one(kind, raw)
        if problem is not None:
            issues.append(FieldIssue(field=name, raw_value=_raw_text(raw), problem=problem))
        cleaned[name] = value
    return cleaned, issues


def _status(name: str) -> StatusField:
    for field in STATUS_FIELDS:
        if field == name:
            return field
    raise KeyError(name)


class _LenientPayload(BaseModel):
    """A payload parsed field by field; what does not parse is reported, not raised."""

    model_config = ConfigDict(extra="allow")

    FIELD_KINDS: ClassVar[Mapping[str, FieldKind]] = {}

    parse_issues: list[FieldIssue] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _parse_leniently(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        cleaned, issues = clean_fields(data, cls.FIELD_KINDS)
        # dict.fromkeys: re-validating a dumped model must not report the same issue twice.
        merged = [_issue(i) for i in [*data.get("parse_issues", []), *issues]]
        cleaned["parse_issues"] = list(dict.fromkeys(merged))
        return cleaned


def _issue(value: FieldIssue | Mapping[str, Any]) -> FieldIssue:
    return value if isinstance(value, FieldIssue) else FieldIssue.model_validate(value)


class Product(_LenientPayload):
    FIELD_KINDS: ClassVar[Mapping[str, FieldKind]] = {
        "id": "int",
        "name": "str",
        "sku": "str",
        "description": "str",
        "price": "decimal",
        "stock": "int",
        "category": "any",
        "created_at": "datetime",
        "updated_at": "datetime",
    }

    id: int | None = None
    name: str | None = None
    sku: str | None = None
    description: str | None = None
    price: Decimal | None = None
    stock: int | None = None
    category: Any = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class OrderItem(_LenientPayload):
    FIELD_KINDS: ClassVar[Mapping[str, FieldKind]] = {
        "id": "int",
        "quantity": "int",
        "total_price_before_discounts": "decimal",
        "total_discount": "decimal",
        "total_price_after_discounts": "decimal",
        "product_id": "int",
        "contact_order_id": "int",
        "created_at": "datetime",
        "updated_at": "datetime",
    }

    id: int | None = None
    quantity: int | None = None
    total_price_before_discounts: Decimal | None = None
    total_discount: Decimal | None = None
    total_price_after_discounts: Decimal | None = None
    product_id: int | None = None
    contact_order_id: int | None = None
    product: Product | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _product_leniently(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        product = data.get("product")
        if product is None or isinstance(product, Mapping):
            return data
        issue = FieldIssue(field="product", raw_value=_raw_text(product), problem="not an object")
        return {**data, "product": None, "parse_issues": [*data.get("parse_issues", []), issue]}

    @model_validator(mode="after")
    def _collect_product_issues(self) -> OrderItem:
        if self.product is not None:
            _adopt_issues(self.parse_issues, "product.", self.product.parse_issues)
        return self


def _adopt_issues(target: list[FieldIssue], prefix: str, nested: list[FieldIssue]) -> None:
    """Add a nested model's issues to its parent's list under a field path, once each."""
    known = set(target)
    for issue in nested:
        if issue.field.startswith(prefix):
            continue
        adopted = FieldIssue(
            field=prefix + issue.field, raw_value=issue.raw_value, problem=issue.problem
        )
        if adopted not in known:
            known.add(adopted)
            target.append(adopted)


MONEY_FIELDS: tuple[str, ...] = (
    "subtotal_price",
    "total_discount",
    "shipping_fee",
    "total_tax",
    "total_price",
)
TIMESTAMP_FIELDS: tuple[str, ...] = (
    "order_created_at",
    "order_updated_at",
    "created_at",
    "updated_at",
)


class Order(_LenientPayload):
    """One order as read from the API, with every field problem listed in `parse_issues`."""

    FIELD_KINDS: ClassVar[Mapping[str, FieldKind]] = {
        "id": "int",
        "contact_id": "int",
        "order_source": "str",
        "order_number": "str",
        "order_name": "str",
        "receiver_name": "str",
        "receiver_address": "str",
        "receiver_phone": "str",
        "note": "str",
        "extra_info": "str",
        **dict.fromkeys(MONEY_FIELDS, "decimal"),
        **dict.fromkeys(TIMESTAMP_FIELDS, "datetime"),
        **dict.fromkeys(STATUS_FIELDS, "status"),
    }

    id: int | None = None
    contact_id: int | None = None
    order_source: str | None = None
    order_number: str | None = None
    order_name: str | None = None
    receiver_name: str | None = None
    receiver_address: str | None = None
    receiver_phone: str | None = None
    note: str | None = None
    extra_info: str | None = None
    subtotal_price: Decimal | None = None
    total_discount: Decimal | None = None
    shipping_fee: Decimal | None = None
    total_tax: Decimal | None = None
    total_price: Decimal | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    return_status: str | None = None
    order_created_at: dt.datetime | None = None
    order_updated_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    items: list[OrderItem] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _items_leniently(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "items" not in data:
            return data
        raw_items = data["items"]
        issues: list[FieldIssue] = list(data.get("parse_issues", []))
        kept: list[Any] = []
        recovered = _items_as_list(raw_items)
        if raw_items is None:
            pass
        elif recovered is None:
            issues.append(
                FieldIssue(field="items", raw_value=_raw_text(raw_items), problem="not a list")
            )
        else:
            if not isinstance(raw_items, list):
                issues.append(
                    FieldIssue(
                        field="items",
                        raw_value=_raw_text(raw_items),
                        problem="not a list (entries recovered)",
                    )
                )
            raw_items = recovered
            for index, item in enumerate(raw_items):
                if isinstance(item, Mapping):
                    kept.append(item)
                else:
                    issues.append(
                        FieldIssue(
                            field=f"items[{index}]",
                            raw_value=_raw_text(item),
                            problem="not an object",
                        )
                    )
        return {**data, "items": kept, "parse_issues": issues}

    @model_validator(mode="after")
    def _collect_item_issues(self) -> Order:
        for index, item in enumerate(self.items):
            _adopt_issues(self.parse_issues, f"items[{index}].", item.parse_issues)
        return self

    def status_label(self, field: StatusField) -> str | None:
        """The published label of a status value; None when unset or not in the list."""
        value = getattr(self, field)
        return None if value is None else STATUS_ENUMS[field].get(value)

    @property
    def financial_status_label(self) -> str | None:
        return self.status_label("financial_status")

    @property
    def fulfillment_status_label(self) -> str | None:
        return self.status_label("fulfillment_status")

    @property
    def return_status_label(self) -> str | None:
        return self.status_label("return_status")

    @property
    def unknown_statuses(self) -> dict[str, str]:
        """Status fields whose value is outside the published list, with that raw value."""
        return {i.field: i.raw_value for i in self.parse_issues if i.problem == "unknown_enum"}

    def created_at_utc(self, tz: dt.tzinfo) -> dt.datetime | None:
        """`order_created_at` (API-local) as UTC."""
        return (
            None if self.order_created_at is None else api_local_to_utc(self.order_created_at, tz)
        )


def _items_as_list(raw: object) -> list[Any] | None:
    """The item entries of a raw `items` value, or None when there is no list in it.

    PHP serialises an array with gaps in its keys as an object ({"0": ..., "2": ...}), and
    some layers send the list as JSON text; both still hold the items.
    """
    if isinstance(raw, list):
        return raw
    if isinstance(raw, Mapping):
        keys = sorted(raw, key=lambda k: (not str(k).isdigit(), int(k) if str(k).isdigit() else 0))
        return [raw[k] for k in keys]
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return None
        return parsed if isinstance(parsed, list) else None
    return None


class PageMeta(BaseModel):
    """Laravel's paginator `meta`."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    current_page: int
    last_page: int
    per_page: int
    total: int
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None


class PageLinks(BaseModel):
    model_config = ConfigDict(extra="allow")

    first: str | None = None
    last: str | None = None
    prev: str | None = None
    next: str | None = None


class Page(BaseModel):
    """One page of a list endpoint; `data` keeps the raw payloads exactly as received.

    Entries of `data` that are not objects (a `null` for a deleted row, a stray number) are
    moved to `not_objects` instead of failing the page: one broken entry must not make a whole
    window unreadable. They still count as rows of the page.
    """

    model_config = ConfigDict(extra="allow")

    data: list[dict[str, Any]]
    not_objects: list[Any] = Field(default_factory=list)
    links: PageLinks = Field(default_factory=PageLinks)
    meta: PageMeta

    @model_validator(mode="before")
    @classmethod
    def _set_aside_entries_that_are_not_objects(cls, body: Any) -> Any:
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
            return body
        data = body["data"]
        if all(isinstance(row, Mapping) for row in data):
            return body
        return {
            **body,
            "data": [row for row in data if isinstance(row, Mapping)],
            "not_objects": [row for row in data if not isinstance(row, Mapping)],
        }

    @property
    def rows(self) -> int:
        """Entries the page held, objects or not."""
        return len(self.data) + len(self.not_objects)


class _OrderWriteFields(BaseModel):
    """The documented writable order fields other than the three identifying ones."""

    model_config = ConfigDict(extra="forbid")

    order_created_at: dt.datetime | None = None
    order_updated_at: dt.datetime | None = None
    order_name: str | None = None
    receiver_name: str | None = None
    receiver_address: str | None = None
    receiver_phone: str | None = None
    subtotal_price: Decimal | None = None
    total_discount: Decimal | None = None
    shipping_fee: Decimal | None = None
    total_tax: Decimal | None = None
    total_price: Decimal | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    return_status: str | None = None
    note: str | None = None
    extra_info: str | None = None

    @field_validator("financial_status", "fulfillment_status", "return_status")
    @classmethod
    def _published_status(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        allowed = STATUS_ENUMS[_status(info.field_name or "")]
        if value not in allowed:
            raise ValueError(
                f"{value!r} is not a known value (expected one of {', '.join(allowed)})"
            )
        return value

    @field_validator("order_created_at", "order_updated_at")
    @classmethod
    def _api_local_time(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("give API-local time without a UTC offset")
        return value

    @field_serializer("order_created_at", "order_updated_at")
    def _api_timestamp(self, value: dt.datetime | None) -> str | None:
        return None if value is None else value.strftime(API_TIMESTAMP_FORMAT)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body: only the fields that were set, money as decimal strings."""
        return self.model_dump(mode="json", exclude_unset=True)


class OrderUpdate(_OrderWriteFields):
    """A partial update of one order; fields left unset are not sent."""

    order_source: str | None = None
    order_number: str | None = None
    contact_id: int | None = None


class OrderCreate(_OrderWriteFields):
    """A new order; the API requires source, number and contact."""

    order_source: str
    order_number: str
    contact_id: int
