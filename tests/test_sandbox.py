"""The sandbox API, hit with plain httpx (never our client) over a real loopback socket."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from orders_connector.enums import STATUS_ENUMS
from orders_connector.sandbox import Faults, SandboxConfig, SandboxServer

# The token and the factory's shape of the `sandbox` / `make_sandbox` fixtures in conftest.py.
SANDBOX_TOKEN = "test-token"
MakeSandbox = Callable[..., SandboxServer]
ORDERS = "/api/v1/contact-order"
DAY = dt.date(2025, 10, 4)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
# Building a TLS context costs ~0.1 s per client; plain-http loopback never uses it.
TLS = ssl.create_default_context()


def client(server: SandboxServer, token: str | None = SANDBOX_TOKEN, **kw: Any) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=server.base_url, headers=headers, verify=TLS, **kw)


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with client(sandbox) as http:
        yield http


def day_query(first: str, last: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"order_created_at__start": first, "order_created_at__end": last or first, **extra}


def all_pages(http: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    first = http.get(ORDERS, params={**params, "page": 1}).json()
    rows = list(first["data"])
    for page in range(2, first["meta"]["last_page"] + 1):
        rows += http.get(ORDERS, params={**params, "page": page}).json()["data"]
    return rows


# --- envelope and paging ---------------------------------------------------------------------


def test_search_answers_a_laravel_resource_page(api: httpx.Client, sandbox: SandboxServer) -> None:
    response = api.get(ORDERS)
    body = response.json()
    path = f"{sandbox.base_url}{ORDERS}"

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    assert set(body) == {"data", "links", "meta"}
    assert body["links"] == {
        "first": f"{path}?page=1",
        "last": f"{path}?page=20",
        "prev": None,
        "next": f"{path}?page=2",
    }
    meta = body["meta"]
    assert set(meta) == {
        "current_page", "from", "last_page", "links", "path", "per_page", "to", "total",
    }  # fmt: skip
    assert (meta["current_page"], meta["from"], meta["to"]) == (1, 1, 15)
    assert (meta["per_page"], meta["total"], meta["last_page"], meta["path"]) == (15, 300, 20, path)
    labels = [link["label"] for link in meta["links"]]
    assert labels == [
        "&laquo; Previous",
        *map(str, range(1, 11)),
        "...",
        "19",
        "20",
        "Next &raquo;",
    ]
    assert [link["label"] for link in meta["links"] if link["active"]] == ["1"]


def test_middle_page_links_follow_laravels_url_window(api: httpx.Client) -> None:
    meta = api.get(ORDERS, params={"page": 10}).json()["meta"]
    labels = [link["label"] for link in meta["links"]][1:-1]
    assert labels == ["1", "2", "...", "7", "8", "9", "10", "11", "12", "13", "...", "19", "20"]
    assert (meta["from"], meta["to"]) == (136, 150)


def test_pages_hold_every_order_once_highest_id_first(
    api: httpx.Client, sandbox: SandboxServer
) -> None:
    ids = [row["id"] for row in all_pages(api, {"per_page": 40})]
    assert ids == sorted(sandbox.state.all_order_ids(), reverse=True)


def test_page_past_the_end_is_empty_but_keeps_the_meta(api: httpx.Client) -> None:
    body = api.get(ORDERS, params={"page": 99}).json()
    assert body["data"] == []
    meta = body["meta"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["total"]) == (99, None, None, 300)
    assert body["links"]["next"] is None
    assert body["links"]["prev"].endswith("?page=98")


def test_per_page_is_silently_capped(api: httpx.Client) -> None:
    body = api.get(ORDERS, params={"per_page": 1000}).json()
    assert body["meta"]["per_page"] == 100
    assert len(body["data"]) == 100
    assert body["meta"]["last_page"] == 3


def test_nonsense_page_and_per_page_fall_back_like_laravel(api: httpx.Client) -> None:
    meta = api.get(ORDERS, params={"page": "abc", "per_page": "-5"}).json()["meta"]
    assert (meta["current_page"], meta["per_page"]) == (1, 15)


def test_empty_search_still_has_one_last_page(api: httpx.Client) -> None:
    body = api.get(ORDERS, params=day_query("2030-01-01")).json()
    assert body["data"] == []
    assert (body["meta"]["total"], body["meta"]["last_page"]) == (0, 1)


def test_links_carry_only_the_page_like_laravels_default(api: httpx.Client) -> None:
    links = api.get(ORDERS, params=day_query("2025-10-02", per_page=5)).json()["links"]
    assert links["next"].endswith(f"{ORDERS}?page=2")


# --- filters ---------------------------------------------------------------------------------


def test_day_filter_returns_exactly_the_orders_of_that_day(
    api: httpx.Client, sandbox: SandboxServer
) -> None:
    served = all_pages(api, day_query(DAY.isoformat(), per_page=10))
    truth = sandbox.state.orders_on(DAY)

    assert truth
    assert [o["id"] for o in served] == sorted((o["id"] for o in truth), reverse=True)
    assert all(o["order_created_at"].startswith("2025-10-04 ") for o in served)
    assert {o["id"]: o for o in served} == {o["id"]: o for o in truth}


def test_datetime_bounds_compare_on_the_order_date(api: httpx.Client) -> None:
    by_date = api.get(ORDERS, params=day_query("2025-10-04")).json()["meta"]["total"]
    by_datetime = api.get(
        ORDERS, params=day_query("2025-10-04 13:00:00", "2025-10-04 08:00:00")
    ).json()["meta"]["total"]
    assert by_datetime == by_date > 0


def test_end_date_is_inclusive_by_default_and_exclusive_when_configured(
    make_sandbox: MakeSandbox,
) -> None:
    query = day_query("2025-10-03", "2025-10-04")
    inclusive, exclusive = make_sandbox(), make_sandbox(end_inclusive=False)
    on_3 = len(inclusive.state.orders_on(dt.date(2025, 10, 3)))
    on_4 = len(inclusive.state.orders_on(dt.date(2025, 10, 4)))
    with client(inclusive) as a, client(exclusive) as b:
        assert a.get(ORDERS, params=query).json()["meta"]["total"] == on_3 + on_4
        assert b.get(ORDERS, params=query).json()["meta"]["total"] == on_3


def test_bad_date_filter_is_a_422(api: httpx.Client) -> None:
    response = api.get(ORDERS, params={"order_created_at__start": "2025-13-45"})
    assert response.status_code == 422
    assert "order_created_at__start" in response.json()["errors"]


def test_contact_and_order_number_filters(api: httpx.Client, sandbox: SandboxServer) -> None:
    order = sandbox.state.get(42)
    by_contact = all_pages(api, {"contact_id": order["contact_id"]})
    by_number = api.get(ORDERS, params={"order_number": order["order_number"]}).json()["data"]

    assert 42 in [o["id"] for o in by_contact]
    assert {o["contact_id"] for o in by_contact} == {order["contact_id"]}
    assert [o["id"] for o in by_number] == [42]
    assert api.get(ORDERS, params={"contact_id": "abc"}).json()["meta"]["total"] == 0
    assert api.get(ORDERS, params={"order_number": "FL202510010000"}).json()["data"] == []


# --- data ------------------------------------------------------------------------------------


def test_orders_look_like_first_line_orders(sandbox: SandboxServer) -> None:
    orders = [sandbox.state.get(i) for i in sandbox.state.all_order_ids()]
    items = [item for order in orders for item in order["items"]]

    for name, values in STATUS_ENUMS.items():
        assert {o[name] for o in orders} == set(values), name
    assert {o["order_source"] for o in orders} >= {"cyberbiz", "shopline"}
    assert len({o["order_number"] for o in orders}) == len(orders)
    assert all(re.fullmatch(r"FL\d{8}\d{4,}", o["order_number"]) for o in orders)
    money_fields = ("subtotal_price", "total_discount", "shipping_fee", "total_tax", "total_price")
    assert all(MONEY.match(o[f]) for o in orders for f in money_fields)
    stamps = ("order_created_at", "order_updated_at", "created_at", "updated_at")
    assert all(TIMESTAMP.match(o[f]) for o in orders for f in stamps)
    assert any(o["receiver_phone"] is None for o in orders)
    assert all(
        re.fullmatch(r"09\d{2}-\d{3}-\d{3}", o["receiver_phone"])
        for o in orders
        if o["receiver_phone"]
    )
    assert any(o["note"] is None for o in orders) and any(o["note"] for o in orders)
    assert any(re.search(r"[\u4e00-\u9fff]", o["receiver_name"]) for o in orders)
    assert {len(o["items"]) for o in orders} >= {0, 1, 2, 3}
    assert max(len(o["items"]) for o in orders) <= 6
    assert set(items[0]) == {
        "id", "quantity", "total_price_before_discounts", "total_discount",
        "total_price_after_discounts", "product_id", "contact_order_id", "product",
        "created_at", "updated_at",
    }  # fmt: skip
    assert all(isinstance(i["product"]["price"], int) for i in items)
    assert all(set(i["product"]) == {"id", "name", "sku", "price"} for i in items)
    assert len({i["id"] for i in items}) == len(items)


def test_some_orders_are_back_dated_below_their_id(sandbox: SandboxServer) -> None:
    created = [
        (o["id"], dt.datetime.fromisoformat(o["order_created_at"]))
        for o in (sandbox.state.get(i) for i in sandbox.state.all_order_ids())
    ]
    later_ids_earlier_dates = [
        later
        for (_, before), (later, after) in itertools.pairwise(created)
        if after < before - dt.timedelta(days=1)
    ]
    assert later_ids_earlier_dates
    assert all(dt.date(2025, 10, 1) <= c.date() <= dt.date(2025, 10, 10) for _, c in created)


def test_same_seed_same_data_other_seed_other_data(make_sandbox: MakeSandbox) -> None:
    one, two, other = make_sandbox(), make_sandbox(), make_sandbox(seed=8)
    query = day_query("2025-10-05", per_page=100)
    with client(one) as a, client(two) as b, client(other) as c:
        first, second = a.get(ORDERS, params=query).json(), b.get(ORDERS, params=query).json()
        different = c.get(ORDERS, params=query).json()
    assert first["data"] == second["data"]
    assert first["data"] != different["data"]


def test_a_million_orders_start_quickly_and_serve_a_day(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(orders=1_000_000, start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 31))
    with client(server) as http:
        everything = http.get(ORDERS).json()["meta"]
        day = http.get(ORDERS, params=day_query("2025-10-15", per_page=100)).json()
    assert everything["total"] == 1_000_000
    assert everything["last_page"] == 66_667
    assert 25_000 < day["meta"]["total"] < 40_000
    assert all(o["order_created_at"].startswith("2025-10-15") for o in day["data"])


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Authorization": f"Bearer {SANDBOX_TOKEN}"}, {}),
        ({"Authorization": SANDBOX_TOKEN}, {}),
        ({}, {"token": SANDBOX_TOKEN}),
    ],
    ids=["bearer", "bare", "query"],
)
def test_every_documented_token_form_is_accepted(
    sandbox: SandboxServer, headers: dict[str, str], params: dict[str, str]
) -> None:
    with client(sandbox, token=None) as http:
        assert http.get(f"{ORDERS}/1", headers=headers, params=params).status_code == 200


def test_query_token_is_masked_in_the_request_log(sandbox: SandboxServer) -> None:
    with client(sandbox, token=None) as http:
        http.get(ORDERS, params={"token": SANDBOX_TOKEN})
    (entry,) = sandbox.state.requests
    assert entry.query == {"token": "***"}
    assert entry.token_ok
    assert SANDBOX_TOKEN not in repr(sandbox.state.requests) + repr(sandbox.config)


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_401(sandbox: SandboxServer, token: str | None) -> None:
    with client(sandbox, token=token) as http:
        response = http.get(ORDERS)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthenticated."}
    assert not sandbox.state.requests[-1].token_ok


def test_readonly_token_reads_but_may_not_write(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(readonly_tokens=("agent-token",))
    before = server.state.get(3)
    with client(server, token="agent-token") as http:
        assert http.get(f"{ORDERS}/3").status_code == 200
        put = http.put(f"{ORDERS}/3", json={"financial_status": "refunded"})
        post = http.post(ORDERS, json={"order_source": "manual"})
    assert (put.status_code, post.status_code) == (403, 403)
    assert put.json() == {"message": "This action is unauthorized."}
    assert server.state.get(3) == before
    assert [w.applied for w in server.state.writes] == [False, False]


def test_rotated_token_fails_at_once(sandbox: SandboxServer) -> None:
    with client(sandbox) as old, client(sandbox, token="fresh-token") as new:
        assert old.get(ORDERS).status_code == 200
        sandbox.state.rotate_token("fresh-token")
        assert old.get(ORDERS).status_code == 401
        assert new.get(ORDERS).status_code == 200


# --- not found, not allowed ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        f"{ORDERS}/999999",
        f"{ORDERS}/abc",
        f"{ORDERS}/999999/contact-order-item",
        f"{ORDERS}/1/contact-order-item/999999",
        "/api/v1/product/999",
    ],
)
def test_unknown_route_or_id_is_a_404_with_a_message(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["message"]


def test_unsupported_method_is_a_405(api: httpx.Client) -> None:
    response = api.delete(f"{ORDERS}/1")
    assert response.status_code == 405
    assert "Supported methods: GET, HEAD, PUT, PATCH" in response.json()["message"]


# --- writes ----------------------------------------------------------------------------------


def test_put_changes_only_the_fields_sent_and_bumps_updated_at(
    api: httpx.Client, sandbox: SandboxServer
) -> None:
    before = sandbox.state.get(7)
    response = api.put(f"{ORDERS}/7", json={"financial_status": "refunded", "note": "退款 ✅"})
    after = sandbox.state.get(7)

    assert response.status_code == 200
    assert response.json()["data"] == after
    assert (after["financial_status"], after["note"]) == ("refunded", "退款 ✅")
    assert before["updated_at"] < after["updated_at"] <= sandbox.state.now()
    unchanged = {k: v for k, v in before.items() if k not in ("financial_status", "note")}
    assert {k: after[k] for k in unchanged if k != "updated_at"} == {
        k: v for k, v in unchanged.items() if k != "updated_at"
    }
    (write,) = sandbox.state.writes
    assert (write.method, write.method_override, write.path, write.order_id) == (
        "PUT", False, f"{ORDERS}/7", 7,
    )  # fmt: skip
    assert (write.body, write.status, write.applied) == (
        {"financial_status": "refunded", "note": "退款 ✅"}, 200, True,
    )  # fmt: skip


@pytest.mark.parametrize("where", ["json", "form", "query"])
def test_post_with_method_override_updates_like_put(
    api: httpx.Client, sandbox: SandboxServer, where: str
) -> None:
    fields = {"fulfillment_status": "returned", "total_price": "12.50"}
    if where == "json":
        response = api.post(f"{ORDERS}/9", json={**fields, "_method": "put"})
    elif where == "form":
        response = api.post(f"{ORDERS}/9", data={**fields, "_method": "PUT"})
    else:
        response = api.post(f"{ORDERS}/9", json=fields, params={"_method": "put"})

    assert response.status_code == 200
    order = sandbox.state.get(9)
    assert (order["fulfillment_status"], order["total_price"]) == ("returned", "12.50")
    (write,) = sandbox.state.writes
    assert (write.method, write.method_override, write.order_id) == ("POST", True, 9)
    assert write.body == fields


def test_post_to_an_order_without_override_is_not_an_update(api: httpx.Client) -> None:
    assert api.post(f"{ORDERS}/9", json={"note": "x"}).status_code == 405


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"financial_status": "on_fire"}, "financial_status",
         "The selected financial status is invalid."),
        ({"contact_id": "12a"}, "contact_id", "The contact id field must be an integer."),
        ({"total_price": "1,234.00"}, "total_price", "The total price field must be a number."),
        ({"note": {"text": "x"}}, "note", "The note field must be a string."),
        ({"order_created_at": "2025-02-30 10:00:00"}, "order_created_at",
         "The order created at field must be a valid date."),
        ({"order_number": "TAKEN"}, "order_number", "The order number has already been taken."),
    ],
)  # fmt: skip
def test_invalid_update_is_a_laravel_422_and_changes_nothing(
    api: httpx.Client,
    sandbox: SandboxServer,
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    taken_by_1 = sandbox.state.get(1)["order_number"]
    body = {k: (taken_by_1 if v == "TAKEN" else v) for k, v in body.items()}
    before = sandbox.state.get(5)
    response = api.put(f"{ORDERS}/5", json=body)
    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": {field: [message]}}
    assert sandbox.state.get(5) == before


def test_create_order_needs_source_number_and_contact(
    api: httpx.Client, sandbox: SandboxServer
) -> None:
    missing = api.post(ORDERS, json={"order_source": "cyberbiz"})
    created = api.post(
        ORDERS,
        data={
            "order_source": "cyberbiz",
            "order_number": "WEB-0001",
            "contact_id": "5263",
            "order_created_at": "2025-10-04 09:30:00",
            "total_price": "4000",
        },
    )
    duplicate = api.post(
        ORDERS, json={"order_source": "cyberbiz", "order_number": "WEB-0001", "contact_id": 1}
    )

    assert missing.status_code == 422
    assert missing.json()["message"] == "The order number field is required. (and 1 more error)"
    assert set(missing.json()["errors"]) == {"order_number", "contact_id"}
    assert created.status_code == 201
    order = created.json()["data"]
    assert (order["id"], order["contact_id"], order["total_price"]) == (301, 5263, "4000.00")
    assert order["items"] == [] and order["financial_status"] is None
    assert order in sandbox.state.orders_on(DAY)
    found = api.get(ORDERS, params={"order_number": "WEB-0001"}).json()["data"]
    assert [o["id"] for o in found] == [301]
    assert duplicate.status_code == 422
    assert [w.status for w in sandbox.state.writes] == [422, 201, 422]


# --- items and products ----------------------------------------------------------------------


def order_with_items(sandbox: SandboxServer, count: int) -> dict[str, Any]:
    return next(
        o
        for o in (sandbox.state.get(i) for i in sandbox.state.all_order_ids())
        if len(o["items"]) >= count
    )


def test_item_endpoints_serve_the_embedded_items(api: httpx.Client, sandbox: SandboxServer) -> None:
    order = order_with_items(sandbox, 3)
    path = f"{ORDERS}/{order['id']}/contact-order-item"
    page = api.get(path, params={"per_page": 2}).json()
    single = api.get(f"{path}/{order['items'][1]['id']}").json()

    assert page["data"] == order["items"][:2]
    assert page["meta"]["total"] == len(order["items"])
    assert single == {"data": order["items"][1]}
    other = order_with_items(sandbox, 1)
    if other["id"] != order["id"]:
        assert api.get(f"{path}/{other['items'][0]['id']}").status_code == 404


def test_posting_an_item_adds_it_to_the_order(api: httpx.Client, sandbox: SandboxServer) -> None:
    path = f"{ORDERS}/12/contact-order-item"
    bad = api.post(path, json={"product_id": 9999, "quantity": 0})
    good = api.post(path, json={"product_id": 3, "quantity": 2})
    product = next(p for p in sandbox.state.products if p.id == 3)

    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"product_id", "quantity"}
    assert good.status_code == 201
    item = good.json()["data"]
    assert item["product"] == {
        "id": 3,
        "name": product.name,
        "sku": product.sku,
        "price": product.price,
    }
    assert item["total_price_before_discounts"] == f"{product.price * 2}.00"
    assert item in sandbox.state.get(12)["items"]
    assert [(w.path, w.order_id, w.applied) for w in sandbox.state.writes] == [
        (path, 12, False), (path, 12, True),
    ]  # fmt: skip


def test_without_embedding_orders_carry_empty_items(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(embed_items=False)
    order = order_with_items(server, 2)
    with client(server) as http:
        single = http.get(f"{ORDERS}/{order['id']}").json()["data"]
        listed = http.get(ORDERS, params={"per_page": 100}).json()["data"]
        items = http.get(f"{ORDERS}/{order['id']}/contact-order-item").json()["data"]
    assert single["items"] == [] and all(o["items"] == [] for o in listed)
    assert items == order["items"]


def test_product_search_filters_and_pages(api: httpx.Client, sandbox: SandboxServer) -> None:
    everything = api.get("/api/v1/product", params={"per_page": 100}).json()
    product = sandbox.state.products[10]
    by_sku = api.get("/api/v1/product", params={"sku": product.sku}).json()["data"]
    by_name = api.get("/api/v1/product", params={"name": product.name}).json()["data"]
    priced = all_products(api, {"price__lower": 500, "price__upper": 1000})

    assert everything["meta"]["total"] == 200
    assert set(everything["data"][0]) == {
        "id", "name", "sku", "description", "price", "stock", "category",
        "created_at", "updated_at",
    }  # fmt: skip
    assert by_sku == [product.as_api()]
    assert product.as_api() in by_name
    assert priced and all(500 <= p["price"] <= 1000 for p in priced)
    assert len(priced) == sum(500 <= p.price <= 1000 for p in sandbox.state.products)


def all_products(http: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        body = http.get("/api/v1/product", params={**params, "page": page}).json()
        rows += body["data"]
        if page >= body["meta"]["last_page"]:
            return rows
        page += 1


# --- state API -------------------------------------------------------------------------------


def test_staff_mutation_and_inserted_orders_show_through_the_api(
    api: httpx.Client, sandbox: SandboxServer
) -> None:
    sandbox.state.mutate(20, return_status="request_return", order_created_at="2025-10-04 23:59:59")
    new_id = sandbox.state.insert_order(created_at="2025-10-04 00:00:00", financial_status="paid")
    served = all_pages(api, day_query("2025-10-04"))
    by_id = {o["id"]: o for o in served}

    assert new_id == 301
    assert by_id[20]["return_status"] == "request_return"
    assert by_id[new_id]["financial_status"] == "paid"
    assert by_id[new_id]["order_created_at"] == "2025-10-04 00:00:00"
    assert served[0]["id"] == new_id
    assert sandbox.state.writes == []


def test_concurrent_clients_are_all_served(sandbox: SandboxServer) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        with client(sandbox) as http:
            for page in range(1, 26):
                code = http.get(ORDERS, params={"page": page % 20 + 1}).status_code
                with lock:
                    statuses.append(code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 200
    assert len(sandbox.state.requests) == 200
    sandbox.state.reset_logs()
    assert sandbox.state.requests == []


# --- faults ----------------------------------------------------------------------------------


def test_throttle_counts_per_token_and_answers_429_with_retry_after(
    make_sandbox: MakeSandbox,
) -> None:
    server = make_sandbox(readonly_tokens=("agent-token",), faults=Faults(rate_limit_per_minute=3))
    with client(server) as http, client(server, token="agent-token") as agent:
        answers = [http.get(ORDERS) for _ in range(4)]
        other = agent.get(ORDERS)

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-limit"] for a in answers] == ["3"] * 4
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.json() == {"message": "Too Many Attempts."}
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert int(refused.headers["x-ratelimit-reset"]) >= int(time.time())
    assert (other.status_code, other.headers["x-ratelimit-remaining"]) == (200, "2")


def test_throttle_window_reopens_after_retry_after(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(faults=Faults(rate_limit_per_minute=1, rate_limit_window_seconds=0.5))
    with client(server) as http:
        assert http.get(ORDERS).status_code == 200
        refused = http.get(ORDERS)
        assert refused.status_code == 429
        time.sleep(int(refused.headers["retry-after"]))
        assert http.get(ORDERS).status_code == 200


def test_proxy_errors_are_html_and_apply_nothing(sandbox: SandboxServer) -> None:
    sandbox.faults.error_rate = 1.0
    before = sandbox.state.get(4)
    with client(sandbox) as http:
        answers = [http.get(ORDERS) for _ in range(12)]
        http.put(f"{ORDERS}/4", json={"financial_status": "failed"})

    assert {a.status_code for a in answers} <= {500, 502, 503, 504}
    assert len({a.status_code for a in answers}) > 1
    assert all(a.headers["content-type"].startswith("text/html") for a in answers)
    assert "<html>" in answers[0].text and "nginx" in answers[0].text
    assert sandbox.state.get(4) == before
    assert sandbox.state.writes[-1].applied is False

    sandbox.faults.error_rate = 0.0
    with client(sandbox) as http:
        assert http.get(ORDERS).status_code == 200


def test_html_200_is_an_ok_status_with_a_page_instead_of_json(sandbox: SandboxServer) -> None:
    sandbox.faults = Faults(html_200_rate=1.0)
    with client(sandbox) as http:
        response = http.get(ORDERS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_dropped_connection_raises_in_httpx_and_is_logged(sandbox: SandboxServer) -> None:
    sandbox.faults.drop_rate = 1.0
    with client(sandbox) as http, pytest.raises(httpx.RemoteProtocolError):
        http.get(ORDERS)
    assert [r.status for r in sandbox.state.requests] == [0]


def test_drop_after_processing_applies_the_write_but_loses_the_answer(
    sandbox: SandboxServer,
) -> None:
    sandbox.faults.drop_rate = 1.0
    sandbox.faults.drop_phase = "after"
    with client(sandbox) as http, pytest.raises(httpx.RemoteProtocolError):
        http.put(f"{ORDERS}/6", json={"return_status": "in_hub"})
    assert sandbox.state.get(6)["return_status"] == "in_hub"
    (write,) = sandbox.state.writes
    assert (write.status, write.applied) == (0, True)


def test_stalled_answer_makes_the_client_time_out(sandbox: SandboxServer) -> None:
    sandbox.faults.stall_rate = 1.0
    sandbox.faults.stall_seconds = 30.0
    with client(sandbox, timeout=httpx.Timeout(5.0, read=0.3)) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(ORDERS)
        sandbox.faults.stall_rate = 0.0
        assert http.get(ORDERS).status_code == 200


def test_orders_created_while_paging_shift_pages_and_total(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(faults=Faults(insert_during_paging=2, insert_during_paging_max=3))
    query = day_query("2025-10-04", per_page=5)
    with client(server) as http:
        first = http.get(ORDERS, params={**query, "page": 1}).json()
        second = http.get(ORDERS, params={**query, "page": 2}).json()
        third = http.get(ORDERS, params={**query, "page": 3}).json()
        unfiltered = http.get(ORDERS).json()["meta"]["total"]

    totals = [p["meta"]["total"] for p in (first, second, third)]
    assert totals[1] == totals[0] + 2 and totals[2] == totals[0] + 3
    assert server.state.paging_inserts == 3
    assert unfiltered == 303
    # The newcomers sort first, so page 2 repeats the tail of page 1.
    assert second["data"][0]["id"] in {o["id"] for o in first["data"]}
    new = [o for o in server.state.orders_on(dt.date(2025, 10, 4)) if o["id"] > 300]
    assert len(new) == 3


def test_unknown_enum_values_are_stable_across_reads(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(faults=Faults(unknown_enum_rate=0.3))
    with client(server) as http:
        first = all_pages(http, {"per_page": 100})
        second = all_pages(http, {"per_page": 100})
    known = {name: set(values) for name, values in STATUS_ENUMS.items()}
    odd = [o for o in first if any(o[name] not in known[name] for name in known)]
    odd_sources = {o["order_source"] for o in first} - {"cyberbiz", "shopline", "manual", "line"}

    assert first == second
    assert 40 < len(odd) < 140
    assert odd_sources
    assert {"on_hold", "lost_in_transit"} & {o[n] for o in odd for n in known}


def test_malformed_orders_come_from_the_catalog_and_are_stable(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox(faults=Faults(malformed_rate=1.0))
    with client(server) as http:
        first = all_pages(http, {"per_page": 100})
        again = http.get(f"{ORDERS}/{first[0]['id']}").json()["data"]
    flat = json.dumps(first, ensure_ascii=False)

    assert again == first[0]
    for breakage in ('"N/A"', '"0000-00-00 00:00:00"', '-02-30 10:00:00"', '"two"', '"abc"'):
        assert breakage in flat, breakage
    assert any(o.get("items", []) is None for o in first)
    assert any("items" not in o for o in first)
    assert any(isinstance(o.get("items"), dict | str) for o in first)
    assert any(isinstance(o["contact_id"], str) for o in first)
    assert any(isinstance(o["note"], dict) for o in first)
    assert all(TIMESTAMP.match(o["order_created_at"]) for o in first)


def test_written_fields_are_served_as_written_even_on_broken_orders(
    make_sandbox: MakeSandbox,
) -> None:
    server = make_sandbox(faults=Faults(unknown_enum_rate=1.0))
    with client(server) as http:
        statuses = {"financial_status": "paid", "fulfillment_status": "received"}
        http.put(f"{ORDERS}/8", json={**statuses, "order_source": "cyberbiz"})
        served = http.get(f"{ORDERS}/8").json()["data"]
    assert (served["financial_status"], served["order_source"]) == ("paid", "cyberbiz")


def test_faults_follow_the_seed(make_sandbox: MakeSandbox) -> None:
    def statuses(server: SandboxServer) -> list[int]:
        with client(server) as http:
            return [http.get(f"{ORDERS}/1").status_code for _ in range(30)]

    faults = Faults(error_rate=0.3)
    assert statuses(make_sandbox(faults=faults)) == statuses(make_sandbox(faults=faults))


def test_config_faults_are_copied_per_server(make_sandbox: MakeSandbox) -> None:
    shared = Faults()
    one, two = make_sandbox(faults=shared), make_sandbox(faults=shared)
    one.faults.error_rate = 1.0
    assert (two.faults.error_rate, shared.error_rate) == (0.0, 0.0)


def test_config_rejects_an_inverted_range() -> None:
    with pytest.raises(ValueError, match="end"):
        SandboxConfig(start=dt.date(2025, 10, 2), end=dt.date(2025, 10, 1))


def test_latency_is_when_the_answer_starts_after_the_request_arrived(
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    server = make_sandbox(faults=Faults(latency_ms=150))
    with client(server) as http:
        started = time.monotonic()
        response = http.get("/api/v1/contact-order", params=day_query("2025-10-01"))
        waited = time.monotonic() - started
    assert response.status_code == 200
    # Never sooner (the sandbox's own work counts inside the 150 ms, not on top of it).
    assert waited >= 0.15
    assert len(server.state.requests) == 1
