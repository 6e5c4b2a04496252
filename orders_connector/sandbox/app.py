"""The Orders API as Laravel would run it: route, authenticate, throttle, bind, authorize, act."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orders_connector.sandbox.endpoints import Endpoints
from orders_connector.sandbox.http_types import (
    Outcome,
    Request,
    Response,
    json_response,
    message,
    parse_body,
)
from orders_connector.sandbox.ratelimit import FixedWindowLimiter
from orders_connector.sandbox.state import Role, SandboxState

_ORDER_MODEL = "App\\Models\\ContactOrder"
_ITEM_MODEL = "App\\Models\\ContactOrderItem"
_PRODUCT_MODEL = "App\\Models\\Product"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Route:
    resource: str  # orders | order | items | item | products | product
    allowed: tuple[str, ...]
    order_key: str | None = None
    child_key: str | None = None


def match_route(path: str) -> Route | None:
    parts = path.strip("/").split("/")
    if parts[:2] != ["api", "v1"]:
        return None
    rest = parts[2:]
    if rest == ["contact-order"]:
        return Route("orders", ("GET", "POST"))
    if len(rest) == 2 and rest[0] == "contact-order":
        return Route("order", ("GET", "PUT", "PATCH"), rest[1])
    if len(rest) == 3 and rest[0] == "contact-order" and rest[2] == "contact-order-item":
        return Route("items", ("GET", "POST"), rest[1])
    if len(rest) == 4 and rest[0] == "contact-order" and rest[2] == "contact-order-item":
        return Route("item", ("GET",), rest[1], rest[3])
    if rest == ["product"]:
        return Route("products", ("GET",))
    if len(rest) == 2 and rest[0] == "product":
        return Route("product", ("GET",), rest[1])
    return None


def bearer_token(request: Request) -> str | None:
    """`Authorization: Bearer <t>`, the bare `Authorization: <t>`, or the older `?token=`."""
    header = request.headers.get("authorization", "").strip()
    if header:
        scheme, _, rest = header.partition(" ")
        return rest.strip() if scheme.lower() == "bearer" and rest.strip() else header
    return request.query.get("token") or None


def _key(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() and text.isascii() else None


class SandboxApp:
    def __init__(self, state: SandboxState, limiter: FixedWindowLimiter | None = None) -> None:
        self.state = state
        self.endpoints = Endpoints(state)
        self.limiter = limiter or FixedWindowLimiter()

    def describe(self, request: Request) -> Outcome:
        """What is known about a request before it is handled (also for faulted requests)."""
        body = parse_body(request) if request.method in WRITE_METHODS else {}
        spoof = body.pop("_method", None) or request.query.get("_method")
        # Laravel honours `_method` on POST only.
        spoofed = request.method == "POST" and isinstance(spoof, str) and bool(spoof)
        route = match_route(request.path)
        return Outcome(
            token_ok=self.state.role_of(bearer_token(request)) is not None,
            effective_method=str(spoof).upper() if spoofed else request.method,
            method_override=spoofed,
            order_id=_key(route.order_key) if route and route.resource != "product" else None,
            body=body,
        )

    def handle(self, request: Request) -> Response:
        outcome = self.describe(request)
        response = self._dispatch(request, outcome)
        response.outcome = outcome
        return response

    def _dispatch(self, request: Request, outcome: Outcome) -> Response:
        method = outcome.effective_method
        route_path = request.path.strip("/")
        route = match_route(request.path)
        if route is None:
            return message(404, f"The route {route_path} could not be found.")
        if method not in route.allowed:
            supported = ", ".join(_with_head(route.allowed))
            return message(
                405,
                f"The {method} method is not supported for route {route_path}. "
                f"Supported methods: {supported}.",
            )
        role = self.state.role_of(bearer_token(request))
        if role is None:
            return message(401, "Unauthenticated.")
        throttle_headers: dict[str, str] = {}
        limit = self.state.faults.rate_limit_per_minute
        if limit is not None:
            verdict = self.limiter.hit(
                bearer_token(request) or "", limit, self.state.faults.rate_limit_window_seconds
            )
            if not verdict.allowed:
                refused = message(429, "Too Many Attempts.")
                refused.headers.update(verdict.headers)
                return refused
            throttle_headers = verdict.headers
        response = self._act(route, method, role, request, outcome)
        response.headers.update(throttle_headers)
        return response

    def _act(
        self, route: Route, method: str, role: Role, request: Request, outcome: Outcome
    ) -> Response:
        path = request.base_url + "/" + request.path.strip("/")
        endpoints = self.endpoints
        if route.resource == "products":
            return endpoints.search_products(request.query, path)
        if route.resource == "product":
            product_id = _key(route.order_key)
            found = None if product_id is None else endpoints.show_product(product_id)
            return found or _missing(_PRODUCT_MODEL, route.order_key)
        if route.resource == "orders":
            if method == "GET":
                return endpoints.search_orders(request.query, path)
            return self._write(role, outcome, lambda: endpoints.create_order(outcome.body))
        order_id = _key(route.order_key)
        if order_id is None or not self.state.exists(order_id):
            return _missing(_ORDER_MODEL, route.order_key)
        if route.resource == "order":
            if method == "GET":
                return endpoints.show_order(order_id)
            return self._write(
                role, outcome, lambda: endpoints.update_order(order_id, outcome.body)
            )
        if route.resource == "items":
            if method == "GET":
                return endpoints.list_items(order_id, request.query, path)
            return self._write(role, outcome, lambda: endpoints.create_item(order_id, outcome.body))
        item_id = _key(route.child_key)
        item = None if item_id is None else endpoints.find_item(order_id, item_id)
        if item is None:
            return _missing(_ITEM_MODEL, route.child_key)
        return json_response(200, {"data": item})

    @staticmethod
    def _write(
        role: Role, outcome: Outcome, action: Callable[[], tuple[Response, bool]]
    ) -> Response:
        if role != "write":
            return message(403, "This action is unauthorized.")
        response, outcome.applied = action()
        return response


def _missing(model: str, key: str | None) -> Response:
    return message(404, f"No query results for model [{model}] {key}")


def _with_head(methods: tuple[str, ...]) -> list[str]:
    return [m for method in methods for m in ((method, "HEAD") if method == "GET" else (method,))]
