"""The resource actions, run after routing, authentication and throttling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from orders_connector.sandbox.clock import parse_day
from orders_connector.sandbox.http_types import Response, json_response, list_response
from orders_connector.sandbox.paging import envelope, page_request
from orders_connector.sandbox.state import SandboxState
from orders_connector.sandbox.store import Order, OrderFilters
from orders_connector.sandbox.validation import (
    Errors,
    as_integer,
    as_money,
    summary,
    validate_item,
    validate_order,
)


def unprocessable(errors: Errors) -> Response:
    return json_response(422, {"message": summary(errors), "errors": errors})


class Endpoints:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.config = state.config

    # --- orders --------------------------------------------------------------------------

    def search_orders(self, query: Mapping[str, str], path: str) -> Response:
        filters, errors = self._order_filters(query)
        if errors:
            return unprocessable(errors)
        paging = page_request(
            query, default=self.config.per_page_default, cap=self.config.per_page_cap
        )
        ids = self.state.search(filters)
        page_ids = ids[paging.offset : paging.offset + paging.per_page]
        orders = self.state.render_json_many(list(page_ids), embed_items=self.config.embed_items)
        response = list_response(
            200, envelope(orders, total=len(ids), request=paging, path=path), orders
        )
        if filters.has_days and self.state.faults.insert_during_paging > 0:
            self.state.insert_during_paging(filters)
        return response

    def show_order(self, order_id: int) -> Response:
        return json_response(200, {"data": self._served(self.state.get(order_id))})

    def create_order(self, body: Mapping[str, Any]) -> tuple[Response, bool]:
        cleaned, errors = validate_order(
            body,
            creating=True,
            zone=self.state.zone,
            number_owner=self.state.number_owner,
        )
        if errors:
            return unprocessable(errors), False
        order = self.state.create_order(cleaned)
        return json_response(201, {"data": self._served(order)}), True

    def update_order(self, order_id: int, body: Mapping[str, Any]) -> tuple[Response, bool]:
        cleaned, errors = validate_order(
            body,
            creating=False,
            zone=self.state.zone,
            number_owner=self.state.number_owner,
            order_id=order_id,
        )
        if not errors and order_id in self.state.faults.reject_update_ids:
            errors = {
                name: [f"The {name.replace('_', ' ')} of this order can no longer be changed."]
                for name in body
            }
        if errors:
            return unprocessable(errors), False
        order = self.state.update_order(order_id, cleaned)
        return json_response(200, {"data": self._served(order)}), True

    # --- items ---------------------------------------------------------------------------

    def list_items(self, order_id: int, query: Mapping[str, str], path: str) -> Response:
        items = self.state.items_of(order_id)
        paging = page_request(
            query, default=self.config.per_page_default, cap=self.config.per_page_cap
        )
        page = items[paging.offset : paging.offset + paging.per_page]
        return json_response(200, envelope(page, total=len(items), request=paging, path=path))

    def find_item(self, order_id: int, item_id: int) -> dict[str, Any] | None:
        return next((i for i in self.state.items_of(order_id) if i["id"] == item_id), None)

    def create_item(self, order_id: int, body: Mapping[str, Any]) -> tuple[Response, bool]:
        cleaned, errors = validate_item(body, product_price=self.state.product_price)
        if errors:
            return unprocessable(errors), False
        item = self.state.add_item(order_id, cleaned)
        return json_response(201, {"data": item}), True

    # --- products ------------------------------------------------------------------------

    def search_products(self, query: Mapping[str, str], path: str) -> Response:
        errors: Errors = {}
        bounds: dict[str, float] = {}
        for name in ("price__lower", "price__upper"):
            if query.get(name):
                amount = as_money(query[name])
                if amount is None:
                    errors[name] = [f"The {name.replace('_', ' ')} field must be a number."]
                else:
                    bounds[name] = float(amount)
        if errors:
            return unprocessable(errors)
        name_part = (query.get("name") or "").casefold()
        sku_part = (query.get("sku") or "").casefold()
        matches = [
            product.as_api()
            for product in self.state.products
            if name_part in product.name.casefold()
            and sku_part in product.sku.casefold()
            and product.price >= bounds.get("price__lower", float("-inf"))
            and product.price <= bounds.get("price__upper", float("inf"))
        ]
        paging = page_request(
            query, default=self.config.per_page_default, cap=self.config.per_page_cap
        )
        page = matches[paging.offset : paging.offset + paging.per_page]
        return json_response(200, envelope(page, total=len(matches), request=paging, path=path))

    def show_product(self, product_id: int) -> Response | None:
        product = next((p for p in self.state.products if p.id == product_id), None)
        return None if product is None else json_response(200, {"data": product.as_api()})

    # --- helpers -------------------------------------------------------------------------

    def _served(self, order: Order) -> Order:
        if not self.config.embed_items:
            order["items"] = []
        return order

    def _order_filters(self, query: Mapping[str, str]) -> tuple[OrderFilters, Errors]:
        errors: Errors = {}
        days: dict[str, dt.date | None] = {}
        for name in ("order_created_at__start", "order_created_at__end"):
            text = query.get(name) or None
            days[name] = None if text is None else parse_day(text)
            if text is not None and days[name] is None:
                errors[name] = [f"The {name.replace('_', ' ')} field must be a valid date."]
        last_day = days["order_created_at__end"]
        if last_day is not None and not self.config.end_inclusive:
            last_day -= dt.timedelta(days=1)
        contact_text = query.get("contact_id") or None
        contact_id = None if contact_text is None else as_integer(contact_text)
        filters = OrderFilters(
            contact_id=contact_id,
            order_number=query.get("order_number") or None,
            first_day=days["order_created_at__start"],
            last_day=last_day,
            impossible=contact_text is not None and contact_id is None,
        )
        return filters, errors
