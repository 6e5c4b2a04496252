"""OrdersClient against the sandbox over loopback, and against MockTransport for broken shapes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orders_connector.client import OrdersClient
from orders_connector.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    UnprocessableError,
)
from orders_connector.models import OrderCreate, OrderUpdate
from orders_connector.sandbox import SandboxServer
from orders_connector.settings import ApiSettings

MakeSandbox = Callable[..., SandboxServer]

pytestmark = pytest.mark.anyio

TOKEN = "client-test-token"


def no_jitter(delay: float) -> float:
    return delay


async def no_sleep(seconds: float) -> None:
    return None


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], **overrides: Any
) -> OrdersClient:
    settings = ApiSettings(
        base_url="https://acme.example.test", token=TOKEN, max_retries=0, **overrides
    )
    return OrdersClient(
        settings, transport=httpx.MockTransport(handler), sleep=no_sleep, jitter=no_jitter
    )


def paginated(data: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    base = {"current_page": 1, "last_page": 1, "per_page": 100, "total": len(data)}
    return {"data": data, "links": {}, "meta": {**base, **meta}}


# --- shapes only a broken server sends -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"meta": {"current_page": 1, "last_page": 1, "per_page": 15, "total": 0}}, "no data"),
        ({"data": []}, "no meta"),
        ([{"id": 1}], "not an object"),
        ({"data": {"id": 1}, "meta": {"current_page": 1}}, "paginator shape"),
        (paginated([{"id": 1}], last_page=900), "does not follow from total"),
        (paginated([], total=5, last_page=1), "page 1 is empty although total=5"),
        (paginated([{"id": 1}], current_page=2), "asked for page 1"),
        (paginated([{"id": 1}, {"id": 2}], per_page=1, total=2, last_page=2), "rows on a page"),
        (paginated([{"id": 1}], total=10**9, per_page=1, last_page=10**9), "beyond"),
    ],
)
async def test_search_page_refuses_a_body_that_is_not_a_consistent_page(
    body: Any, complaint: str
) -> None:
    async with mock_client(lambda request: httpx.Response(200, json=body)) as client:
        with pytest.raises(ProtocolError, match=complaint) as raised:
            await client.search_page(page=1)

    assert raised.value.path == "/api/v1/contact-order"


async def test_single_order_answer_without_data_is_a_protocol_error() -> None:
    async with mock_client(lambda request: httpx.Response(200, json={"id": 5})) as client:
        with pytest.raises(ProtocolError, match="no `data` object"):
            await client.get_order(5)


async def test_client_repr_never_shows_the_token() -> None:
    async with mock_client(lambda request: httpx.Response(200, json={})) as client:
        assert TOKEN not in repr(client)
        assert TOKEN not in str(client)
        assert "acme.example.test" in repr(client)


# --- every endpoint against the sandbox ------------------------------------------------------


def settings_for(sandbox: SandboxServer, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "base_url": sandbox.base_url,
        "token": sandbox.config.token,
        "timezone": sandbox.config.timezone,
        "max_retries": 0,
    }
    return ApiSettings(**{**values, **overrides})


def client_for(sandbox: SandboxServer, **overrides: Any) -> OrdersClient:
    return OrdersClient(settings_for(sandbox, **overrides), sleep=no_sleep, jitter=no_jitter)


DAY = dt.date(2025, 10, 3)


async def test_search_pages_through_a_day_exactly_as_the_server_holds_it(
    sandbox: SandboxServer,
) -> None:
    truth = sandbox.state.orders_on(DAY)
    async with client_for(sandbox, per_page=7) as client:
        first = await client.search_page(page=1, created_start=DAY, created_end=DAY)
        pages = [page async for page in client.iter_search(created_start=DAY, created_end=DAY)]

    assert first.meta.total == len(truth) and first.meta.per_page == 7
    assert len(pages) == first.meta.last_page == -(-len(truth) // 7)
    rows = [row for page in pages for row in page.data]
    assert sorted(rows, key=lambda r: r["id"]) == sorted(truth, key=lambda r: r["id"])


async def test_search_filters_by_contact_and_order_number(sandbox: SandboxServer) -> None:
    order = sandbox.state.orders_on(DAY)[0]
    async with client_for(sandbox) as client:
        by_number = await client.search_page(page=1, order_number=order["order_number"])
        by_contact = [p async for p in client.iter_search(contact_id=order["contact_id"])]

    assert [row["id"] for row in by_number.data] == [order["id"]]
    contact_rows = [row for page in by_contact for row in page.data]
    assert order["id"] in {row["id"] for row in contact_rows}
    assert {row["contact_id"] for row in contact_rows} == {order["contact_id"]}


async def test_get_order_returns_the_payload(sandbox: SandboxServer) -> None:
    order_id = sandbox.state.orders_on(DAY)[0]["id"]
    async with client_for(sandbox) as client:
        payload = await client.get_order(order_id)

    assert payload == sandbox.state.get(order_id)


async def test_create_order_posts_once_and_returns_the_new_order(sandbox: SandboxServer) -> None:
    create = OrderCreate(
        order_source="cyberbiz",
        order_number="API-TEST-0001",
        contact_id=5263,
        order_created_at=dt.datetime(2025, 10, 3, 12, 0, 0),
        total_price=Decimal("4000.00"),
        financial_status="pending",
    )
    async with client_for(sandbox) as client:
        created = await client.create_order(create)

    assert created["order_number"] == "API-TEST-0001"
    assert created["total_price"] == "4000.00"
    assert sandbox.state.get(created["id"])["order_created_at"] == "2025-10-03 12:00:00"
    [write] = sandbox.state.writes
    assert write.method == "POST" and write.applied and write.status == 201


@pytest.mark.parametrize(
    ("update_method", "sent_as", "override"),
    [("put", "PUT", False), ("post_override", "POST", True)],
)
async def test_update_order_sends_only_set_fields_by_put_or_method_override(
    sandbox: SandboxServer, update_method: str, sent_as: str, override: bool
) -> None:
    order_id = sandbox.state.orders_on(DAY)[0]["id"]
    async with client_for(sandbox, update_method=update_method) as client:
        updated = await client.update_order(order_id, OrderUpdate(fulfillment_status="returned"))

    assert updated["fulfillment_status"] == "returned"
    assert sandbox.state.get(order_id)["fulfillment_status"] == "returned"
    [write] = sandbox.state.writes
    assert (write.method, write.method_override) == (sent_as, override)
    assert write.body == {"fulfillment_status": "returned"}


async def test_update_with_nothing_set_is_refused_before_sending(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(ValueError, match="nothing to send"):
            await client.update_order(1, OrderUpdate())

    assert sandbox.state.requests == []


async def test_items_endpoints(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(per_page_cap=2)
    order = next(
        o for o in sandbox.state.orders_on(DAY) if len(sandbox.state.items_of(o["id"])) >= 3
    )
    product = sandbox.state.products[0]
    async with client_for(sandbox) as client:
        items = await client.list_items(order["id"])
        one = await client.get_item(order["id"], items[1]["id"])
        added = await client.create_item(order["id"], {"product_id": product.id, "quantity": 2})
        after = await client.list_items(order["id"])

    assert items == sandbox.state.items_of(order["id"])[: len(items)]
    assert one == items[1]
    assert added["product_id"] == product.id and added["quantity"] == 2
    assert [i["id"] for i in after] == [i["id"] for i in items] + [added["id"]]


async def test_list_products_reads_every_page_and_filters(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(per_page_cap=5)
    products = sandbox.state.products
    cheap_limit = sorted(p.price for p in products)[len(products) // 2]
    async with client_for(sandbox) as client:
        everything = await client.list_products()
        cheap = await client.list_products(price__upper=cheap_limit)
        by_sku = await client.list_products(sku=products[3].sku)

    assert [p["id"] for p in everything] == [p.id for p in products]
    assert {p["id"] for p in cheap} == {p.id for p in products if p.price <= cheap_limit}
    assert products[3].id in {p["id"] for p in by_sku}


# --- every error the API answers -------------------------------------------------------------


async def test_wrong_token_is_an_authentication_error_without_the_token(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="orders_connector")
    wrong = "wrong-token-3b8e1f"
    async with client_for(sandbox, token=wrong) as client:
        with pytest.raises(AuthenticationError) as raised:
            await client.search_page(page=1)

    error = raised.value
    assert error.status == 401 and error.message == "Unauthenticated."
    assert error.request_id  # the server's X-Request-Id, for the vendor's support
    assert "HTTP 401" in caplog.text  # the failure was logged...
    for text in (str(error), repr(error), caplog.text, repr(client)):  # ...without the token
        assert wrong not in text


async def test_token_regenerated_mid_sync_fails_with_401(sandbox: SandboxServer) -> None:
    pages_read = 0
    async with client_for(sandbox, per_page=5) as client:
        with pytest.raises(AuthenticationError):
            async for _ in client.iter_search(created_start=DAY, created_end=DAY):
                pages_read += 1
                sandbox.state.rotate_token("regenerated-token")

    assert pages_read == 1


async def test_readonly_token_may_read_but_not_write(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(readonly_tokens=("agent-token",))
    order_id = sandbox.state.orders_on(DAY)[0]["id"]
    async with client_for(sandbox, token="agent-token") as client:
        assert (await client.get_order(order_id))["id"] == order_id
        with pytest.raises(PermissionDeniedError) as raised:
            await client.update_order(order_id, OrderUpdate(financial_status="paid"))

    assert raised.value.status == 403
    assert raised.value.message == "This action is unauthorized."


async def test_missing_order_is_not_found(sandbox: SandboxServer) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(NotFoundError) as raised:
            await client.get_order(987654)

    assert raised.value.status == 404
    assert "987654" in raised.value.message
    assert raised.value.path == "/api/v1/contact-order/987654"


async def test_rejected_fields_come_back_per_field(sandbox: SandboxServer) -> None:
    taken = sandbox.state.orders_on(DAY)[0]["order_number"]
    async with client_for(sandbox) as client:
        with pytest.raises(UnprocessableError) as raised:
            await client.create_order(
                OrderCreate(order_source="not-a-source", order_number=taken, contact_id=1)
            )

    error = raised.value
    assert error.status == 422
    assert set(error.errors) == {"order_source", "order_number"}
    assert error.errors["order_number"] == ["The order number has already been taken."]
    assert "order_number: The order number has already been taken." in str(error)
