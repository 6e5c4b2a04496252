"""The order data: generated orders on demand, stored ones for anything written, a day index.

Not thread-safe on its own: `SandboxState` holds the lock.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import re
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from orders_connector.sandbox.catalog import Product, build_products
from orders_connector.sandbox.clock import format_timestamp, now_local, parse_timestamp
from orders_connector.sandbox.config import Faults, SandboxConfig
from orders_connector.sandbox.corruption import apply_malformed, apply_unknown_enums
from orders_connector.sandbox.generator import (
    MAX_ITEMS_PER_ORDER,
    DataSpec,
    contact_of,
    generate_order,
    order_number_of,
)
from orders_connector.sandbox.hashing import key
from orders_connector.sandbox.http_types import encode_json
from orders_connector.sandbox.timeline import NO_DATE, SECONDS_PER_DAY, build_timeline

Order = dict[str, Any]
_GENERATED_NUMBER = re.compile(r"FL(\d{8})(\d{4,})")
_SALT_INSERT = 12
# Generating an order costs ~100 us, copying a cached one ~4 us; 16k orders take ~55 MB.
GENERATED_CACHE_SIZE = 16_384
# A served order's JSON text (~1.3 KB): a search page of cached orders costs a join instead of
# generating and encoding 100 orders (~40 ms), so a latency-bound client is never held up by
# the sandbox itself. 128k orders take ~170 MB.
SERIALIZED_CACHE_SIZE = 131_072
ORDER_FIELDS = (
    "id", "order_source", "order_created_at", "order_updated_at", "order_number", "order_name",
    "receiver_name", "receiver_address", "receiver_phone", "subtotal_price", "total_discount",
    "shipping_fee", "total_tax", "total_price", "financial_status", "fulfillment_status",
    "return_status", "note", "extra_info", "contact_id", "items", "created_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class OrderFilters:
    """A search; days are API-local and both ends inclusive (the caller resolves exclusivity)."""

    contact_id: int | None = None
    order_number: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    # A filter value that can match nothing (e.g. contact_id=abc).
    impossible: bool = False

    @property
    def has_days(self) -> bool:
        return self.first_day is not None or self.last_day is not None


@dataclass
class StoredOrder:
    """An order that has been written to; served as stored (plus corruption if allowed)."""

    payload: Order
    corruptible: bool
    written: set[str] = field(default_factory=set)


def copy_order(order: Order) -> Order:
    """A copy deep enough that callers may edit items and their products."""
    copied = dict(order)
    items = order.get("items")
    if isinstance(items, list):
        copied["items"] = [_copy_item(item) for item in items]
    return copied


def _copy_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    copied = dict(item)
    if isinstance(item.get("product"), dict):
        copied["product"] = dict(item["product"])
    return copied


class OrderStore:
    def __init__(self, config: SandboxConfig, faults: Faults) -> None:
        self.config = config
        self.faults = faults
        self.zone = ZoneInfo(config.timezone)
        timeline = build_timeline(config.seed, config.orders, config.start, config.end)
        self.products: tuple[Product, ...] = build_products(config.seed, config.start)
        self._products_by_id = {product.id: product for product in self.products}
        self.spec = DataSpec(
            seed=config.seed,
            orders=config.orders,
            origin=timeline.origin,
            step=timeline.step,
            products=self.products,
        )
        self._created = timeline.created
        self._days = timeline.days
        self._stored: dict[int, StoredOrder] = {}
        self._numbers: dict[str, int] = {}
        self._contacts: dict[int, array[int]] | None = None
        self._next_item_id = config.orders * MAX_ITEMS_PER_ORDER + 1
        self._search_cache: dict[OrderFilters, Sequence[int]] = {}
        self._generated_cache: OrderedDict[int, Order] = OrderedDict()
        self._serialized_cache: OrderedDict[int, bytes] = OrderedDict()
        self._serialized_rates = (self.faults.unknown_enum_rate, self.faults.malformed_rate)
        self.paging_inserts = 0

    # --- reading -------------------------------------------------------------------------

    @property
    def max_id(self) -> int:
        return len(self._created)

    def exists(self, order_id: int) -> bool:
        return 1 <= order_id <= len(self._created)

    def product(self, product_id: int) -> Product | None:
        return self._products_by_id.get(product_id)

    def render(self, order_id: int) -> Order:
        """The order as the API serves it today, items embedded."""
        stored = self._stored.get(order_id)
        if stored is None:
            order = self._generated(order_id)
            corruptible, written = True, frozenset[str]()
        else:
            order = copy_order(stored.payload)
            corruptible, written = stored.corruptible, frozenset(stored.written)
        if corruptible:
            apply_unknown_enums(order, self.config.seed, self.faults.unknown_enum_rate, written)
            apply_malformed(order, self.config.seed, self.faults.malformed_rate, written)
        return order

    def render_json(self, order_id: int, *, embed_items: bool) -> bytes:
        """`render` as the list endpoint encodes it (`items` emptied unless `embed_items`).

        A never-written order's text depends only on its id and the corruption rates, so it is
        kept; a written order is encoded afresh each time.
        """
        rates = (self.faults.unknown_enum_rate, self.faults.malformed_rate)
        if rates != self._serialized_rates:
            # The fault switches are live: what was cached was corrupted at the old rates.
            self._serialized_cache.clear()
            self._serialized_rates = rates
        cacheable = order_id not in self._stored
        cache = self._serialized_cache
        if cacheable:
            text = cache.get(order_id)
            if text is not None:
                cache.move_to_end(order_id)
                return text
        order = self.render(order_id)
        if not embed_items:
            order["items"] = []
        text = encode_json(order)
        if cacheable:
            cache[order_id] = text
            if len(cache) > SERIALIZED_CACHE_SIZE:
                cache.popitem(last=False)
        return text

    def items(self, order_id: int) -> list[dict[str, Any]]:
        """The order's item rows, clean: the item endpoints read the table, not the payload."""
        stored = self._stored.get(order_id)
        order = self._generated(order_id) if stored is None else copy_order(stored.payload)
        items = order.get("items")
        return list(items) if isinstance(items, list) else []

    def ids_on(self, day: dt.date) -> list[int]:
        return list(self._days.get(self._offset(day), ()))

    def search(self, filters: OrderFilters) -> Sequence[int]:
        """Ids matching every filter, highest first."""
        if filters.impossible:
            return ()
        cached = self._search_cache.get(filters)
        if cached is not None:
            return cached
        if filters.order_number is not None:
            candidates: Iterable[int] = self._ids_numbered(filters.order_number)
        elif filters.contact_id is not None:
            candidates = self._ids_of_contact(filters.contact_id)
        elif filters.has_days:
            candidates = self._ids_in_days(filters.first_day, filters.last_day)
        else:
            return range(self.max_id, 0, -1)
        only_days = filters.contact_id is None and filters.order_number is None
        if only_days:
            # The day index already holds exactly these ids.
            result = sorted(candidates, reverse=True)
        else:
            result = sorted((i for i in candidates if self._matches(i, filters)), reverse=True)
        if len(self._search_cache) > 256:
            self._search_cache.clear()
        self._search_cache[filters] = result
        return result

    def number_owner(self, number: str) -> int | None:
        ids = self._ids_numbered(number)
        return ids[0] if ids else None

    # --- writing -------------------------------------------------------------------------

    def create(self, fields: Mapping[str, Any]) -> Order:
        """A new order exactly as a client posted it (nothing generated, never corrupted)."""
        order_id = self._new_id()
        stamp = format_timestamp(now_local(self.zone))
        payload: Order = dict.fromkeys(ORDER_FIELDS)
        payload.update(id=order_id, items=[], created_at=stamp, updated_at=stamp)
        self._stored[order_id] = StoredOrder(payload, corruptible=False)
        self._apply(order_id, fields, record_written=False)
        return self.render(order_id)

    def insert(self, created_at: str | None, fields: Mapping[str, Any]) -> int:
        """A new realistic order, as a shop synchronisation would write it."""
        order_id = self._new_id()
        now = format_timestamp(now_local(self.zone))
        created_text = created_at or now
        parsed = parse_timestamp(created_text, self.zone)
        seconds = 0 if parsed is None else self._seconds(parsed)
        payload = generate_order(self.spec, order_id, seconds)
        for item in payload["items"]:
            item.update(id=self._take_item_id(), created_at=now, updated_at=now)
        payload.update(created_at=now, updated_at=now)
        self._stored[order_id] = StoredOrder(payload, corruptible=True)
        shown = created_text if parsed is None else format_timestamp(parsed)
        self._apply(order_id, {"order_created_at": shown}, record_written=False)
        self._numbers[payload["order_number"]] = order_id
        self._apply(order_id, fields, record_written=True)
        return order_id

    def update(self, order_id: int, fields: Mapping[str, Any]) -> Order:
        self._apply(order_id, fields, record_written=True)
        self._materialize(order_id).payload["updated_at"] = format_timestamp(now_local(self.zone))
        return self.render(order_id)

    def add_item(self, order_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        stored = self._materialize(order_id)
        stamp = format_timestamp(now_local(self.zone))
        product = self._products_by_id[int(fields["product_id"])]
        item = {
            "id": self._take_item_id(),
            "quantity": fields["quantity"],
            "total_price_before_discounts": fields["total_price_before_discounts"],
            "total_discount": fields["total_discount"],
            "total_price_after_discounts": fields["total_price_after_discounts"],
            "product_id": product.id,
            "contact_order_id": order_id,
            "product": product.as_item_product(),
            "created_at": stamp,
            "updated_at": stamp,
        }
        if not isinstance(stored.payload.get("items"), list):
            stored.payload["items"] = []
        stored.payload["items"].append(item)
        stored.payload["updated_at"] = stamp
        return dict(item, product=dict(item["product"]))

    def insert_during_paging(self, filters: OrderFilters) -> list[int]:
        """New orders inside a searched window, as if created while a client pages through it."""
        wanted = min(
            self.faults.insert_during_paging,
            self.faults.insert_during_paging_max - self.paging_inserts,
        )
        first = filters.first_day or filters.last_day
        last = filters.last_day or filters.first_day
        if wanted <= 0 or first is None or last is None or last < first:
            return []
        rng = random.Random(key(self.config.seed, _SALT_INSERT, self.paging_inserts))
        span_seconds = ((last - first).days + 1) * SECONDS_PER_DAY
        start = dt.datetime.combine(first, dt.time())
        inserted = []
        for _ in range(wanted):
            created = start + dt.timedelta(seconds=rng.randrange(span_seconds))
            inserted.append(self.insert(format_timestamp(created), {}))
            self.paging_inserts += 1
        return inserted

    # --- internals -----------------------------------------------------------------------

    def _new_id(self) -> int:
        self._created.append(NO_DATE)
        self._search_cache.clear()
        return len(self._created)

    def _generated(self, order_id: int) -> Order:
        """A fresh copy of a never-written order's generated payload."""
        cache = self._generated_cache
        order = cache.get(order_id)
        if order is None:
            order = generate_order(self.spec, order_id, self._created[order_id - 1])
            cache[order_id] = order
            if len(cache) > GENERATED_CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(order_id)
        return copy_order(order)

    def _take_item_id(self) -> int:
        item_id = self._next_item_id
        self._next_item_id += 1
        return item_id

    def _offset(self, day: dt.date) -> int:
        return (day - self.spec.origin.date()).days

    def _seconds(self, moment: dt.datetime) -> int:
        return int((moment - self.spec.origin).total_seconds())

    def _materialize(self, order_id: int) -> StoredOrder:
        stored = self._stored.get(order_id)
        if stored is None:
            payload = self._generated(order_id)
            self._generated_cache.pop(order_id, None)
            stored = self._stored[order_id] = StoredOrder(payload, corruptible=True)
            self._numbers[payload["order_number"]] = order_id
        return stored

    def _apply(self, order_id: int, fields: Mapping[str, Any], *, record_written: bool) -> None:
        stored = self._materialize(order_id)
        payload = stored.payload
        for name, value in fields.items():
            if name == "order_created_at":
                self._move(order_id, value)
            elif name == "order_number":
                if self._numbers.get(payload["order_number"]) == order_id:
                    del self._numbers[payload["order_number"]]
                if value is not None:
                    self._numbers[value] = order_id
            payload[name] = value
            if record_written:
                stored.written.add(name)
        self._search_cache.clear()

    def _move(self, order_id: int, created_text: Any) -> None:
        """Re-file an order under the day of its new order_created_at."""
        old = self._created[order_id - 1]
        if old != NO_DATE:
            ids = self._days[old // SECONDS_PER_DAY]
            del ids[bisect.bisect_left(ids, order_id)]
        parsed = parse_timestamp(created_text, self.zone) if isinstance(created_text, str) else None
        if parsed is None:
            self._created[order_id - 1] = NO_DATE
            return
        seconds = self._seconds(parsed)
        self._created[order_id - 1] = seconds
        ids = self._days.setdefault(seconds // SECONDS_PER_DAY, array("q"))
        bisect.insort(ids, order_id)

    def _ids_in_days(self, first: dt.date | None, last: dt.date | None) -> array[int]:
        low = self._offset(first) if first else None
        high = self._offset(last) if last else None
        found = array("q")
        for offset in sorted(self._days):
            if (low is None or offset >= low) and (high is None or offset <= high):
                found.extend(self._days[offset])
        return found

    def _ids_of_contact(self, contact_id: int) -> list[int]:
        if self._contacts is None:
            # Built on first use: a million hashes cost about a second.
            index: dict[int, array[int]] = {}
            for order_id in range(1, self.config.orders + 1):
                index.setdefault(contact_of(self.spec, order_id), array("q")).append(order_id)
            self._contacts = index
        generated = [i for i in self._contacts.get(contact_id, ()) if i not in self._stored]
        stored = [i for i, s in self._stored.items() if s.payload.get("contact_id") == contact_id]
        return generated + stored

    def _ids_numbered(self, number: str) -> list[int]:
        owner = self._numbers.get(number)
        if owner is not None:
            return [owner]
        match = _GENERATED_NUMBER.fullmatch(number)
        if match is None:
            return []
        order_id = int(match.group(2))
        if not 1 <= order_id <= self.config.orders or order_id in self._stored:
            return []
        day = self.spec.day_of(self._created[order_id - 1])
        return [order_id] if order_number_of(order_id, day) == number else []

    def _current(self, order_id: int, name: str) -> Any:
        stored = self._stored.get(order_id)
        if stored is not None:
            return stored.payload.get(name)
        if name == "contact_id":
            return contact_of(self.spec, order_id)
        return self._generated(order_id).get(name)

    def _matches(self, order_id: int, filters: OrderFilters) -> bool:
        if filters.has_days:
            seconds = self._created[order_id - 1]
            if seconds == NO_DATE:
                return False
            offset = seconds // SECONDS_PER_DAY
            if filters.first_day and offset < self._offset(filters.first_day):
                return False
            if filters.last_day and offset > self._offset(filters.last_day):
                return False
        if (
            filters.contact_id is not None
            and self._current(order_id, "contact_id") != filters.contact_id
        ):
            return False
        return (
            filters.order_number is None
            or self._current(order_id, "order_number") == filters.order_number
        )
