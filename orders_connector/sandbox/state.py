"""The sandbox's data and logs behind one lock: what tests read as the truth."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from zoneinfo import ZoneInfo

from orders_connector.sandbox.catalog import Product
from orders_connector.sandbox.clock import format_timestamp, now_local
from orders_connector.sandbox.config import Faults, SandboxConfig
from orders_connector.sandbox.records import RecordedRequest, RecordedWrite
from orders_connector.sandbox.store import Order, OrderFilters, OrderStore

Role = Literal["write", "read"]


class SandboxState:
    """Thread-safe view of the sandbox's orders, tokens and request logs.

    Payloads come back as fresh dicts: editing one changes nothing on the server.
    """

    def __init__(self, config: SandboxConfig, faults: Faults | None = None) -> None:
        self.config = config
        self.faults = faults if faults is not None else dataclasses.replace(config.faults)
        self._lock = threading.RLock()
        self._store = OrderStore(config, self.faults)
        self._write_tokens = {config.token}
        self._readonly_tokens = set(config.readonly_tokens)
        self._requests: list[RecordedRequest] = []
        self._writes: list[RecordedWrite] = []

    def __repr__(self) -> str:
        return f"SandboxState(orders={self._store.max_id}, seed={self.config.seed})"

    # --- the truth -----------------------------------------------------------------------

    def orders_on(self, day: dt.date) -> list[Order]:
        """Every order whose order_created_at falls on `day`, as served, items embedded."""
        with self._lock:
            return [self._store.render(i) for i in self._store.ids_on(day)]

    def all_order_ids(self) -> list[int]:
        with self._lock:
            return list(range(1, self._store.max_id + 1))

    def get(self, order_id: int) -> Order:
        """One order as served, items embedded; KeyError if there is no such order."""
        with self._lock:
            self._require(order_id)
            return self._store.render(order_id)

    def items_of(self, order_id: int) -> list[dict[str, Any]]:
        """The order's rows as the contact-order-item endpoints serve them."""
        with self._lock:
            self._require(order_id)
            return self._store.items(order_id)

    @property
    def products(self) -> tuple[Product, ...]:
        return self._store.products

    @property
    def zone(self) -> ZoneInfo:
        return self._store.zone

    def product_price(self, product_id: int) -> int | None:
        product = self._store.product(product_id)
        return None if product is None else product.price

    @property
    def paging_inserts(self) -> int:
        """Orders created so far by the insert_during_paging fault."""
        with self._lock:
            return self._store.paging_inserts

    # --- changes made outside the API ----------------------------------------------------

    def mutate(self, order_id: int, **fields: Any) -> Order:
        """A change made in the CRM by staff: fields as given (unchecked), updated_at bumped."""
        with self._lock:
            self._require(order_id)
            return self._store.update(order_id, fields)

    def insert_order(self, created_at: str | None = None, **fields: Any) -> int:
        """A new order (next id) created at `created_at` (API-local), default now; its id."""
        with self._lock:
            return self._store.insert(created_at, fields)

    def rotate_token(self, new_token: str) -> None:
        """The employee regenerated the token: the old one answers 401 from now on."""
        if not new_token:
            raise ValueError("new token must not be empty")
        with self._lock:
            self._write_tokens = {new_token}

    def now(self) -> str:
        """The server's clock, API-local, as it stamps updated_at."""
        return format_timestamp(now_local(self._store.zone))

    # --- logs ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def writes(self) -> list[RecordedWrite]:
        with self._lock:
            return list(self._writes)

    def reset_logs(self) -> None:
        with self._lock:
            self._requests.clear()
            self._writes.clear()

    # --- used by the API app -------------------------------------------------------------

    def role_of(self, token: str | None) -> Role | None:
        with self._lock:
            if token in self._write_tokens:
                return "write"
            if token in self._readonly_tokens:
                return "read"
            return None

    def exists(self, order_id: int) -> bool:
        with self._lock:
            return self._store.exists(order_id)

    def search(self, filters: OrderFilters) -> Sequence[int]:
        with self._lock:
            return self._store.search(filters)

    def render_many(self, order_ids: Sequence[int]) -> list[Order]:
        with self._lock:
            return [self._store.render(i) for i in order_ids]

    def render_json_many(self, order_ids: Sequence[int], *, embed_items: bool) -> list[bytes]:
        """The orders as the list endpoint encodes them (see `OrderStore.render_json`)."""
        with self._lock:
            return [self._store.render_json(i, embed_items=embed_items) for i in order_ids]

    def number_owner(self, number: str) -> int | None:
        with self._lock:
            return self._store.number_owner(number)

    def create_order(self, fields: Mapping[str, Any]) -> Order:
        with self._lock:
            return self._store.create(fields)

    def update_order(self, order_id: int, fields: Mapping[str, Any]) -> Order:
        with self._lock:
            return self._store.update(order_id, fields)

    def add_item(self, order_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self._store.add_item(order_id, fields)

    def insert_during_paging(self, filters: OrderFilters) -> list[int]:
        with self._lock:
            return self._store.insert_during_paging(filters)

    def record_request(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(entry)

    def record_write(self, entry: RecordedWrite) -> None:
        with self._lock:
            self._writes.append(entry)

    def _require(self, order_id: int) -> None:
        if not self._store.exists(order_id):
            raise KeyError(f"no order with id {order_id}")
