"""Bad input: every odd value is recorded (order_data_issues, raw_rejected) or answered with a
clear error; none crashes a run, and nothing else in the window is lost.

The sandbox serves the breakage real tenants send (its malformed and unknown-enum switches,
staff edits with huge CJK and emoji text); shapes only a broken server sends come from a small
canned HTTP server on loopback, read by the real sync into a real DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from dagster_support import TOKEN, definitions, query, run_job
from reliability_support import DAYS, END, START, cli_env, error_lines, finish, start_sync

from dagster_defs.schedules import SYNC_JOB
from orders_connector.enums import STATUS_ENUMS, STATUS_FIELDS
from orders_connector.errors import DriftError, OrdersConnectorError, ProtocolError
from orders_connector.sandbox import Faults, SandboxServer
from orders_connector.settings import ApiSettings
from orders_connector.sync import land_windows, normalize
from orders_connector.warehouse import Warehouse
from orders_connector.windows import DayWindow

MakeSandbox = Callable[..., SandboxServer]
MONEY = {"subtotal_price", "total_discount", "shipping_fee", "total_tax", "total_price"}
TIMESTAMPS = {"order_updated_at", "created_at", "updated_at"}
TEXTS = {"note", "extra_info", "order_name", "receiver_name", "receiver_address", "order_number"}
ABSENT = object()

# --- what the sandbox serves, end to end --------------------------------------------------------


def expected_issues(order_id: int, served: dict[str, Any], clean: dict[str, Any]) -> set[Any]:
    """The issues a served order must produce, from how it differs from its clean self."""
    found: set[tuple[int, str, str]] = set()
    for key in set(served) | set(clean):
        now, was = served.get(key, ABSENT), clean.get(key, ABSENT)
        if now == was:
            continue
        if key in MONEY:
            if isinstance(now, str):  # 'N/A' or '1,234.00'; a number or null is no issue
                found.add((order_id, key, "invalid_decimal"))
        elif key in TIMESTAMPS:
            found.add((order_id, key, "invalid_timestamp"))
        elif key == "contact_id":
            found.add((order_id, key, "invalid_integer"))
        elif key in STATUS_FIELDS:
            if now not in STATUS_ENUMS[key]:  # type: ignore[index]
                found.add((order_id, key, "unknown_enum"))
        elif key == "order_source":
            pass  # no published list: any source is fine
        elif key in TEXTS:
            found.add((order_id, key, "not_a_string"))
        elif key == "items":
            if now is ABSENT or now is None:
                found.add((order_id, "items", "missing"))
            elif not isinstance(now, list):
                found.add((order_id, "items", "not_a_list"))
            else:
                for position, (item, before) in enumerate(zip(now, was, strict=True)):
                    if item["quantity"] != before["quantity"]:
                        found.add((order_id, f"items[{position}].quantity", "invalid_integer"))
                    if item["product"]["price"] != before["product"]["price"]:
                        field = f"items[{position}].product.price"
                        found.add((order_id, field, "invalid_decimal"))
        else:
            raise AssertionError(f"the sandbox broke {key!r} in a way this test does not know")
    return found


def classes(served: dict[str, Any], clean: dict[str, Any]) -> set[str]:
    """Names of the breakage classes an order shows (for the figures)."""
    names = set()
    for key in set(served) | set(clean):
        now, was = served.get(key, ABSENT), clean.get(key, ABSENT)
        if now == was:
            continue
        if key in MONEY:
            kind = (
                "money null"
                if now is None
                else "money as a number"
                if not isinstance(now, str)
                else "money with thousands separator"
                if "," in now
                else "money as text"
            )
            names.add(kind)
        elif key in TIMESTAMPS:
            names.add("zero date" if now.startswith("0000") else "impossible date")
        elif key == "items":
            names.add(
                "items missing"
                if now is ABSENT
                else "items null"
                if now is None
                else "items not a list"
                if not isinstance(now, list)
                else "item fields of the wrong type"
            )
        elif key in STATUS_FIELDS or key == "order_source":
            names.add("unknown enum value")
        elif key == "contact_id":
            names.add("contact_id as text")
        else:
            names.add("object where a string is expected")
    return names


HUGE_NOTE = '請在週末前送達，謝謝 🎁🚚 ‘quotes’ "double" \\ 換行\n' * 20_000  # about 0.9 MB


@pytest.mark.slow
def test_everything_the_sandbox_breaks_is_recorded_and_nothing_else_is_lost(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    crm = make_sandbox(
        orders=150,
        start=START,
        end=END,
        seed=5,
        token=TOKEN,
        faults=Faults(malformed_rate=1.0, unknown_enum_rate=0.3),
    )
    staff_edited = crm.state.orders_on(dt.date(2025, 10, 2))[0]["id"]
    crm.state.mutate(
        staff_edited,
        note=HUGE_NOTE,
        receiver_name="陳美玲 👩‍👩‍👧 Ñandú",
        order_name="訂單 #１００１ 🎉",
        receiver_address="台北市信義區松仁路100號 🏢",
    )
    db = tmp_path / "orders.duckdb"
    result = run_job(definitions(crm, db, per_page=20), SYNC_JOB, START, END)
    assert result.success

    served = {o["id"]: o for day in DAYS for o in crm.state.orders_on(day)}
    crm.faults = Faults()
    clean = {o["id"]: o for day in DAYS for o in crm.state.orders_on(day)}
    expected = set().union(*(expected_issues(i, served[i], clean[i]) for i in served))
    found = set(
        query(
            db,
            "SELECT order_id, field, problem FROM order_data_issues WHERE window_date BETWEEN ? "
            "AND ?",
            [START, END],
        )
    )
    assert found == expected
    tried = set().union(*(classes(served[i], clean[i]) for i in served))
    assert len(tried) >= 13, tried

    # Nothing lost, nothing twice, statuses exactly as served (unknown codes kept).
    landed = {
        row[0]: row[1:]
        for row in query(
            db, "SELECT id, financial_status, fulfillment_status, return_status FROM orders"
        )
    }
    assert landed == {i: tuple(o[f] for f in STATUS_FIELDS) for i, o in served.items()}
    assert query(db, "SELECT count(*) - count(DISTINCT id) FROM orders") == [(0,)]
    # Items of every order whose list came through are all there.
    items: dict[int, set[int]] = {}
    for order_id, item_id in query(db, "SELECT order_id, id FROM order_items"):
        items.setdefault(order_id, set()).add(item_id)
    for order_id, order in served.items():
        if isinstance(order.get("items"), list):
            assert items.get(order_id, set()) == {i["id"] for i in order["items"]}, order_id
    [(note, name, order_name)] = query(
        db, "SELECT note, receiver_name, order_name FROM orders WHERE id = ?", [staff_edited]
    )
    assert (note, name, order_name) == (HUGE_NOTE, "陳美玲 👩‍👩‍👧 Ñandú", "訂單 #１００１ 🎉")


@pytest.mark.slow
def test_a_200_with_an_html_body_is_one_clear_line_from_the_cli(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    crm = make_sandbox(orders=30, start=START, end=END, seed=5, token=TOKEN)
    crm.faults.html_200_rate = 1.0  # a maintenance page in front of the API, all night
    env = cli_env(crm, TOKEN, ORDERS_API_MAX_RETRIES="1")
    code, _out, err = finish(start_sync(tmp_path / "o.duckdb", env, tmp_path))
    assert code == 1
    [line] = error_lines(err)
    assert "expected JSON, got an HTML page" in line and "/api/v1/contact-order" in line, line
    assert "Traceback" not in err


# --- shapes only a broken server sends ----------------------------------------------------------

DAY = dt.date(2025, 10, 3)
Answer = tuple[int, str, bytes]
Responder = Callable[[dict[str, str], int], Answer]


class CannedApi:
    """A loopback HTTP server whose order searches `respond(query, search_number)` answers."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.searches = 0
        lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with lock:
                    api.searches += 1
                    number = api.searches
                status, content_type, body = api.respond(dict(parse_qsl(parts.query)), number)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def canned() -> Iterator[Callable[[Responder], CannedApi]]:
    started: list[CannedApi] = []

    def start(respond: Responder) -> CannedApi:
        api = CannedApi(respond)
        api.thread.start()
        started.append(api)
        return api

    yield start
    for api in started:
        api.server.shutdown()
        api.server.server_close()


def order(order_id: Any, created: str = f"{DAY} 10:00:00", **fields: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "order_number": f"N{order_id}",
        "order_created_at": created,
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "return_status": "no_need",
        "total_price": "100.00",
        "items": [],
        **fields,
    }


def page(data: Any, *, total: int, page_number: int, per_page: int = 3) -> Answer:
    last = max(1, -(-total // per_page))
    meta = {"current_page": page_number, "last_page": last, "per_page": per_page, "total": total}
    body = json.dumps({"data": data, "links": {}, "meta": meta}, ensure_ascii=False).encode()
    return 200, "application/json", body


def pages_of(rows: list[Any], *, total: int | None = None) -> Responder:
    """Answers any search with `rows`, three a page."""

    def respond(params: dict[str, str], _: int) -> Answer:
        number = int(params.get("page", "1"))
        chunk = rows[(number - 1) * 3 : number * 3]
        return page(chunk, total=len(rows) if total is None else total, page_number=number)

    return respond


def sync_day(api: CannedApi, db: Path, day: dt.date = DAY) -> None:
    """The real sync of one window (land + normalize) from `api` into `db`."""
    settings = ApiSettings(
        base_url=api.base_url,
        token="canned-token",
        per_page=3,
        max_retries=1,
        window_end="inclusive",
        max_drift_rereads=2,
    )
    with Warehouse(db) as warehouse:
        land_windows(settings, warehouse, [DayWindow(day)], items_mode="embedded")
        normalize(warehouse, [DayWindow(day)])


def landed_ids(db: Path) -> list[int]:
    return [i for (i,) in query(db, "SELECT id FROM orders ORDER BY id")]


def rejected(db: Path) -> dict[str, str]:
    return {
        json.dumps(json.loads(payload).get("id", "absent")): reason
        for payload, reason in query(db, "SELECT payload, reason FROM raw_rejected")
    }


def issues(db: Path) -> set[tuple[Any, ...]]:
    return set(query(db, "SELECT order_id, field, raw_value, problem FROM order_data_issues"))


def test_orders_without_a_usable_id_are_kept_aside_and_the_rest_lands(
    canned: Callable[[Responder], CannedApi], tmp_path: Path
) -> None:
    rows = [order(1), order(None), order("abc"), order(2), order(0), order(3)]
    del rows[1]["id"]  # no id at all
    db = tmp_path / "o.duckdb"
    sync_day(canned(pages_of(rows)), db)
    assert landed_ids(db) == [1, 2, 3]
    assert set(rejected(db)) == {'"absent"', '"abc"', "0"}
    assert all("id" in reason for reason in rejected(db).values())


def test_ids_repeated_across_pages_by_an_unstable_sort_are_read_again_until_whole(
    canned: Callable[[Responder], CannedApi], tmp_path: Path
) -> None:
    """First read: page 2 repeats order 3 and order 1 is never shown; the re-read is whole."""
    shifted = [order(5), order(4), order(3), order(3), order(2)]
    settled = [order(5), order(4), order(3), order(2), order(1)]
    reads: dict[str, int] = {"page 1": 0}

    def respond(params: dict[str, str], _: int) -> Answer:
        number = int(params.get("page", "1"))
        if number == 1:
            reads["page 1"] += 1
        rows = shifted if reads["page 1"] == 1 else settled
        return page(rows[(number - 1) * 3 : number * 3], total=5, page_number=number)

    db = tmp_path / "o.duckdb"
    sync_day(canned(respond), db)
    assert landed_ids(db) == [1, 2, 3, 4, 5]
    assert query(db, "SELECT drift_rereads, meta_total, fetched_ids FROM sync_windows") == [
        (1, 5, 5)
    ]


def test_ids_that_never_add_up_are_a_clear_error_and_the_window_keeps_its_rows(
    canned: Callable[[Responder], CannedApi], tmp_path: Path
) -> None:
    db = tmp_path / "o.duckdb"
    sync_day(canned(pages_of([order(5), order(4), order(3), order(2), order(1)])), db)
    broken = canned(pages_of([order(5), order(4), order(3), order(3), order(2)]))
    with pytest.raises(DriftError) as raised:
        sync_day(broken, db)
    assert str(DAY) in str(raised.value) and "do not add up" in str(raised.value)
    assert landed_ids(db) == [1, 2, 3, 4, 5]


def test_future_far_past_and_unreadable_creation_times(
    canned: Callable[[Responder], CannedApi], tmp_path: Path
) -> None:
    rows = [
        order(1),
        order(2, created="2099-01-01 00:00:00"),  # the future: its own (future) window's
        order(3, created="1900-01-01 08:00:00"),  # far past: likewise
        order(4, created="0000-00-00 00:00:00"),  # unreadable: stays where the server put it
        order(5, created="2025-02-30 10:00:00"),
        order(6, created=None),
        order(7),
    ]
    db = tmp_path / "o.duckdb"
    sync_day(canned(pages_of(rows)), db)
    assert landed_ids(db) == [1, 4, 5, 6, 7]
    reasons = rejected(db)
    assert set(reasons) == {"2", "3"}
    assert all("outside the queried range" in reason for reason in reasons.values())
    assert issues(db) == {
        (4, "order_created_at", "0000-00-00 00:00:00", "invalid_timestamp"),
        (5, "order_created_at", "2025-02-30 10:00:00", "invalid_timestamp"),
        (6, "order_created_at", None, "missing"),
    }


def test_entries_of_data_that_are_not_objects(
    canned: Callable[[Responder], CannedApi], tmp_path: Path
) -> None:
    db = tmp_path / "o.duckdb"
    sync_day(canned(pages_of([order(1), 42, "order 2", None, [order(3)], order(4)])), db)
    assert landed_ids(db) == [1, 4]
    assert len(query(db, "SELECT reason FROM raw_rejected")) == 4


def html(status: int = 200) -> Answer:
    return status, "text/html; charset=utf-8", b"<html><title>Login</title><body>Sign in</body>"


BROKEN_ANSWERS: dict[str, tuple[Responder, type[OrdersConnectorError], str]] = {
    "a 200 with an HTML body": (lambda q, n: html(), ProtocolError, "got an HTML page"),
    "non-JSON with a JSON content type": (
        lambda q, n: (200, "application/json", b'{"data": [{"id": 1}'),
        ProtocolError,
        "does not parse",
    ),
    "JSON that is not an object": (
        lambda q, n: (200, "application/json", b"[1, 2, 3]"),
        ProtocolError,
        "not an object",
    ),
    "no data": (
        lambda q, n: (200, "application/json", b'{"meta": {}}'),
        ProtocolError,
        "no data",
    ),
    "data that is not a list": (
        lambda q, n: page({"0": order(1)}, total=1, page_number=1),
        ProtocolError,
        "paginator shape",
    ),
    "an empty data with a non-zero total": (
        lambda q, n: page([], total=40, page_number=1),
        ProtocolError,
        "empty although total=40",
    ),
    "a later page empty although the total says more": (
        pages_of([order(5), order(4), order(3)], total=6),
        DriftError,
        "do not add up",
    ),
}


@pytest.mark.parametrize("shape", list(BROKEN_ANSWERS))
def test_a_broken_answer_is_a_clear_error_and_the_window_keeps_its_rows(
    canned: Callable[[Responder], CannedApi], tmp_path: Path, shape: str
) -> None:
    db = tmp_path / "o.duckdb"
    sync_day(canned(pages_of([order(1), order(2)])), db)
    respond, error, words = BROKEN_ANSWERS[shape]
    with pytest.raises(error) as raised:
        sync_day(canned(respond), db)
    message = str(raised.value)
    assert words in message, message
    assert "\n" not in message
    assert landed_ids(db) == [1, 2]  # the window's previous landing is untouched
