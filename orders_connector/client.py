"""`OrdersClient`: the Orders API's endpoints as async methods, over one `ApiTransport`.

List methods return raw payload dicts exactly as received (parsing into models is the
caller's choice); every shape the connector relies on (`data`, `meta`) is checked here and a
body without it raises `ProtocolError`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Final, Literal, Self

import httpx
from pydantic import ValidationError

from orders_connector.errors import ProtocolError
from orders_connector.models import OrderCreate, OrderUpdate, Page
from orders_connector.settings import ApiSettings, WindowEnd
from orders_connector.transport import (
    AdaptiveLimiter,
    ApiTransport,
    Jitter,
    RetryPolicy,
    Sleep,
    TransportStats,
    equal_jitter,
    track_stats,
)

ORDERS_PATH: Final = "/api/v1/contact-order"
PRODUCTS_PATH: Final = "/api/v1/product"
# A window or item list claiming more pages than this is a broken `meta`, not real data.
MAX_PAGES: Final = 10_000

ItemsSource = Literal["embedded", "endpoint"]


def order_path(order_id: int) -> str:
    return f"{ORDERS_PATH}/{int(order_id)}"


def items_path(order_id: int) -> str:
    return f"{order_path(order_id)}/contact-order-item"


def parse_page(body: Any, *, method: str, path: str, requested_page: int | None = None) -> Page:
    """A list answer as a `Page`, or a ProtocolError saying which part is missing or wrong."""
    if not isinstance(body, dict):
        raise ProtocolError(
            f"list answer is {type(body).__name__}, not an object", method=method, path=path
        )
    missing = [key for key in ("data", "meta") if key not in body]
    if missing:
        raise ProtocolError(f"list answer has no {' or '.join(missing)}", method=method, path=path)
    try:
        page = Page.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:3]
        )
        raise ProtocolError(
            f"list answer does not have the paginator shape ({problems})", method=method, path=path
        ) from None
    check_meta(page, method=method, path=path, requested_page=requested_page)
    return page


def check_meta(page: Page, *, method: str, path: str, requested_page: int | None) -> None:
    """Refuse a `meta` that cannot be true, so paging never runs away or silently stops."""
    meta = page.meta
    problem = None
    if meta.per_page < 1 or meta.total < 0 or meta.last_page < 1:
        problem = f"per_page={meta.per_page}, total={meta.total}, last_page={meta.last_page}"
    elif meta.last_page != max(1, math.ceil(meta.total / meta.per_page)):
        problem = (
            f"last_page={meta.last_page} does not follow from total={meta.total} "
            f"and per_page={meta.per_page}"
        )
    elif meta.last_page > MAX_PAGES:
        problem = f"last_page={meta.last_page} is beyond {MAX_PAGES} pages"
    elif requested_page is not None and meta.current_page != requested_page:
        problem = f"asked for page {requested_page}, got current_page={meta.current_page}"
    elif page.rows > meta.per_page:
        problem = f"{page.rows} rows on a page of per_page={meta.per_page}"
    elif meta.current_page == 1 and not page.rows and meta.total > 0:
        problem = f"page 1 is empty although total={meta.total}"
    if problem:
        raise ProtocolError(f"inconsistent pagination meta: {problem}", method=method, path=path)


def _data_object(body: Any, *, method: str, path: str) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        return dict(body["data"])
    raise ProtocolError("answer has no `data` object", method=method, path=path)


def _date_param(value: dt.date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


class OrdersClient:
    """The FIRST LINE Orders API, async. Use as `async with OrdersClient(settings) as c:`."""

    def __init__(
        self,
        settings: ApiSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Jitter = equal_jitter,
        limiter: AdaptiveLimiter | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self._settings = settings
        self._api = ApiTransport(
            settings,
            transport=transport,
            sleep=sleep,
            jitter=jitter,
            limiter=limiter,
            retry_policy=retry_policy,
        )
        # What `extract` has found out about this server, kept for later windows of the run:
        # where order items come from, and whether `order_created_at__end` is inclusive.
        self.learned_items_source: ItemsSource | None = None
        self.learned_window_end: WindowEnd | None = None

    def __repr__(self) -> str:
        return (
            f"OrdersClient(base_url={self._settings.base_url!r}, "
            f"auth_scheme={self._settings.auth_scheme!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._api.aclose()

    @property
    def settings(self) -> ApiSettings:
        return self._settings

    @property
    def stats(self) -> TransportStats:
        """Counters over the client's whole life."""
        return self._api.stats

    @property
    def limiter(self) -> AdaptiveLimiter:
        return self._api.limiter

    def track_stats(self) -> AbstractContextManager[TransportStats]:
        """Counters for the requests made inside a `with` block (and tasks it starts)."""
        return track_stats()

    async def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        *,
        idempotent: bool | None = None,
    ) -> Any:
        """A raw request through the transport, for endpoints without a method here."""
        return await self._api.send(method, path, params, json, idempotent=idempotent)

    # --- orders ------------------------------------------------------------------------------

    async def search_page(
        self,
        *,
        page: int,
        per_page: int | None = None,
        contact_id: int | None = None,
        order_number: str | None = None,
        created_start: dt.date | str | None = None,
        created_end: dt.date | str | None = None,
    ) -> Page:
        """One page of `GET /api/v1/contact-order` with the given filters."""
        params = {
            "page": page,
            "per_page": per_page or self._settings.per_page,
            "contact_id": contact_id,
            "order_number": order_number,
            "order_created_at__start": _date_param(created_start),
            "order_created_at__end": _date_param(created_end),
        }
        body = await self._api.send("GET", ORDERS_PATH, params)
        return parse_page(body, method="GET", path=ORDERS_PATH, requested_page=page)

    async def iter_search(
        self,
        *,
        per_page: int | None = None,
        contact_id: int | None = None,
        order_number: str | None = None,
        created_start: dt.date | str | None = None,
        created_end: dt.date | str | None = None,
    ) -> AsyncIterator[Page]:
        """Every page of a search, one after another (page 1 .. the latest `last_page`)."""
        number, last = 1, 1
        while number <= last:
            page = await self.search_page(
                page=number,
                per_page=per_page,
                contact_id=contact_id,
                order_number=order_number,
                created_start=created_start,
                created_end=created_end,
            )
            yield page
            last = page.meta.last_page
            number += 1

    async def get_order(self, order_id: int) -> dict[str, Any]:
        """`GET /api/v1/contact-order/{id}`: the order payload (the answer's `data`)."""
        path = order_path(order_id)
        return _data_object(await self._api.send("GET", path), method="GET", path=path)

    async def create_order(self, order: OrderCreate) -> dict[str, Any]:
        """`POST /api/v1/contact-order`. Not retried once it may have reached the server."""
        body = await self._api.send("POST", ORDERS_PATH, json=order.to_payload())
        return _data_object(body, method="POST", path=ORDERS_PATH)

    async def update_order(self, order_id: int, update: OrderUpdate) -> dict[str, Any]:
        """PUT the set fields (or POST with `_method=put`, per `settings.update_method`).

        Setting the same fields twice leaves the same order, so this is retried like a GET.
        """
        payload = update.to_payload()
        if not payload:
            raise ValueError("OrderUpdate sets no field: nothing to send")
        path = order_path(order_id)
        if self._settings.update_method == "post_override":
            body = await self._api.send(
                "POST", path, json={**payload, "_method": "put"}, idempotent=True
            )
            return _data_object(body, method="POST", path=path)
        return _data_object(
            await self._api.send("PUT", path, json=payload), method="PUT", path=path
        )

    # --- items and products ------------------------------------------------------------------

    async def list_items(self, order_id: int) -> list[Any]:
        """Every item of one order, from its `contact-order-item` sub-resource (all pages).

        An entry that is not an object is kept (last) for normalization to report."""
        return await self._all_pages(items_path(order_id), {})

    async def get_item(self, order_id: int, item_id: int) -> dict[str, Any]:
        path = f"{items_path(order_id)}/{int(item_id)}"
        return _data_object(await self._api.send("GET", path), method="GET", path=path)

    async def create_item(self, order_id: int, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`POST` a new item on an order. Not retried once it may have reached the server."""
        path = items_path(order_id)
        body = await self._api.send("POST", path, json=dict(payload))
        return _data_object(body, method="POST", path=path)

    async def list_products(self, **filters: str | int | float | None) -> list[Any]:
        """Every product matching the filters (name, sku, price__lower, price__upper)."""
        return await self._all_pages(PRODUCTS_PATH, filters)

    async def _all_pages(
        self, path: str, filters: Mapping[str, str | int | float | None]
    ) -> list[Any]:
        async def fetch(number: int) -> Page:
            params = {**filters, "page": number, "per_page": self._settings.per_page}
            body = await self._api.send("GET", path, params)
            return parse_page(body, method="GET", path=path, requested_page=number)

        first = await fetch(1)
        rest = await asyncio.gather(*(fetch(n) for n in range(2, first.meta.last_page + 1)))
        return [row for page in (first, *rest) for row in (*page.data, *page.not_objects)]
