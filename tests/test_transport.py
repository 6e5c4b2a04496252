"""The transport: retry decisions, pacing, error mapping, redaction, counters.

Pure parts are tested directly; shapes the sandbox cannot produce (non-JSON 200, HTTP-date
Retry-After) go through httpx.MockTransport; everything else runs against the sandbox.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from orders_connector import jsoncodec
from orders_connector.client import OrdersClient
from orders_connector.errors import (
    AuthenticationError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from orders_connector.models import OrderCreate, OrderUpdate
from orders_connector.redaction import REDACTED, Redactor
from orders_connector.sandbox import Faults, SandboxServer
from orders_connector.settings import ApiSettings
from orders_connector.transport import (
    AdaptiveLimiter,
    ApiTransport,
    RetryPolicy,
    retry_after_seconds,
    track_stats,
)

pytestmark = pytest.mark.anyio

TOKEN = "tok-5f3a9c-SECRET"


def no_jitter(delay: float) -> float:
    return delay


class RecordedSleep:
    """Stands in for asyncio.sleep: records each delay, advances a fake clock, waits no time."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def mock_settings(**overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {"base_url": "https://acme.example.test", "token": TOKEN}
    values.update(overrides)
    return ApiSettings(**values)


def response(status: int, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://x/"), **kw)


Handler = Callable[[httpx.Request], httpx.Response]


def mock_api(handler: Handler, sleep: RecordedSleep, **overrides: Any) -> ApiTransport:
    return ApiTransport(
        mock_settings(**overrides),
        transport=httpx.MockTransport(handler),
        sleep=sleep,
        jitter=no_jitter,
        limiter=AdaptiveLimiter(clock=sleep.clock),
    )


# --- the retry decision ----------------------------------------------------------------------


POLICY = RetryPolicy(max_retries=4, base_delay=0.5, max_delay=3.0, jitter=no_jitter)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_back_off_exponentially_up_to_the_cap(status: int) -> None:
    delays = [POLICY.retry_delay(attempt, response(status)) for attempt in range(5)]

    assert delays == [0.5, 1.0, 2.0, 3.0, None]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 422])
def test_client_errors_are_never_retried(status: int) -> None:
    assert POLICY.retry_delay(0, response(status)) is None


def test_429_waits_exactly_what_retry_after_says() -> None:
    assert POLICY.retry_delay(0, response(429, {"Retry-After": "7"})) == 7.0
    assert POLICY.retry_delay(3, response(429, {"Retry-After": "7"})) == 7.0
    assert POLICY.retry_delay(0, response(429)) == 0.5  # no header: back off
    assert POLICY.retry_delay(0, response(429, {"Retry-After": "3600"})) is None  # too long


def test_retry_after_as_http_date() -> None:
    now = dt.datetime(2025, 10, 1, 12, 0, 0, tzinfo=dt.UTC)
    later = email.utils.format_datetime(now + dt.timedelta(seconds=42), usegmt=True)

    assert retry_after_seconds({"retry-after": later}, now=now.timestamp()) == 42.0
    assert retry_after_seconds({"retry-after": "not a date"}) is None
    assert retry_after_seconds({"retry-after": "1.5"}) == 1.5


def test_a_create_is_retried_only_when_it_surely_did_not_reach_the_server() -> None:
    request = httpx.Request("POST", "https://x/api/v1/contact-order")
    never_sent = [httpx.ConnectError("refused", request=request), httpx.ConnectTimeout("t")]
    maybe_sent = [
        httpx.ReadTimeout("slow", request=request),
        httpx.RemoteProtocolError("closed", request=request),
        httpx.WriteError("broken pipe", request=request),
    ]

    for exc in never_sent:
        assert POLICY.retry_delay(0, exc, idempotent=False) == 0.5
    for exc in maybe_sent:
        assert POLICY.retry_delay(0, exc, idempotent=False) is None
        assert POLICY.retry_delay(0, exc, idempotent=True) == 0.5
    assert POLICY.retry_delay(0, response(503), idempotent=False) is None
    # Throttling rejects before the handler runs, so even a create may go again.
    assert POLICY.retry_delay(0, response(429, {"Retry-After": "2"}), idempotent=False) == 2.0


def test_jitter_is_applied_to_backoff() -> None:
    halved = RetryPolicy(max_retries=3, base_delay=1.0, jitter=lambda d: d / 2)

    assert halved.retry_delay(2, response(502)) == 2.0


# --- the limiter -----------------------------------------------------------------------------


async def test_configured_rate_spaces_request_starts_evenly() -> None:
    sleep = RecordedSleep()
    limiter = AdaptiveLimiter(requests_per_minute=120, clock=sleep.clock)

    waits = [await limiter.acquire(sleep) for _ in range(5)]

    assert waits == [0.0, 0.5, 0.5, 0.5, 0.5]


async def test_rate_is_learned_from_the_servers_limit_with_a_safety_margin() -> None:
    sleep = RecordedSleep()
    limiter = AdaptiveLimiter(window_seconds=2.0, clock=sleep.clock)
    assert limiter.rate_per_second is None

    await limiter.acquire(sleep)
    limiter.observe(response(200, {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "19"}))

    assert limiter.server_limit == 20
    assert limiter.rate_per_second == pytest.approx(9.5)


async def test_until_the_limit_is_known_one_request_goes_at_a_time() -> None:
    sleep = RecordedSleep()
    limiter = AdaptiveLimiter(clock=sleep.clock)

    await limiter.acquire(sleep)
    second = asyncio.create_task(limiter.acquire(sleep))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()

    limiter.observe(response(200, {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59"}))
    assert await second == 0.0


async def test_a_probe_that_fails_hands_over_to_the_next_request() -> None:
    sleep = RecordedSleep()
    limiter = AdaptiveLimiter(clock=sleep.clock)
    await limiter.acquire(sleep)
    second = asyncio.create_task(limiter.acquire(sleep))
    third = asyncio.create_task(limiter.acquire(sleep))
    await asyncio.sleep(0)

    limiter.observe_failure()
    await asyncio.sleep(0)
    await asyncio.sleep(0)

    assert second.done() and not third.done()
    limiter.observe(response(200))  # a server without rate-limit headers: unpaced
    await third
    assert limiter.rate_per_second is None


async def test_a_pause_holds_every_request_until_it_ends() -> None:
    sleep = RecordedSleep()
    limiter = AdaptiveLimiter(requests_per_minute=6000, clock=sleep.clock)

    limiter.pause(5.0)
    waited = await limiter.acquire(sleep)
    after_pause = await limiter.acquire(sleep)

    assert waited == 5.0
    assert after_pause == pytest.approx(0.01)


async def test_low_remaining_halves_the_pace_and_429_lowers_it() -> None:
    limiter = AdaptiveLimiter(window_seconds=1.0, safety=1.0)
    limiter.observe(response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "50"}))
    assert limiter.rate_per_second == 100

    limiter.observe(response(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "1"}))
    assert limiter.rate_per_second == 50

    limiter.observe(response(429, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "50"}))
    assert limiter.rate_per_second == pytest.approx(90)


# --- responses the sandbox cannot produce ----------------------------------------------------


async def test_html_with_200_is_a_protocol_error_after_the_retries() -> None:
    sleep = RecordedSleep()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, html="<html><title>Login</title><body>Sign in</body></html>")

    api = mock_api(handler, sleep, max_retries=2)
    with pytest.raises(ProtocolError) as raised:
        await api.send("GET", "/api/v1/contact-order")
    await api.aclose()

    assert calls == 3
    assert raised.value.status == 200
    assert raised.value.body_excerpt == "Login Sign in"
    assert "HTML" in str(raised.value)
    assert api.stats.protocol_errors == 3 and api.stats.retries == 2


async def test_json_content_type_that_does_not_parse_is_a_protocol_error() -> None:
    sleep = RecordedSleep()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b'{"data": [', headers={"content-type": "application/json"}
        )

    api = mock_api(handler, sleep, max_retries=0)
    with pytest.raises(ProtocolError, match="does not parse"):
        await api.send("GET", "/api/v1/contact-order")
    await api.aclose()


async def test_429_with_http_date_retry_after_is_honoured() -> None:
    sleep = RecordedSleep()
    answers = iter(
        [
            httpx.Response(
                429,
                json={"message": "Too Many Attempts."},
                headers={
                    "Retry-After": email.utils.format_datetime(
                        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), usegmt=True
                    )
                },
            ),
            httpx.Response(200, json={"data": {"id": 1}}),
        ]
    )
    api = mock_api(lambda request: next(answers), sleep)

    body = await api.send("GET", "/api/v1/contact-order/1")
    await api.aclose()

    assert body == {"data": {"id": 1}}
    assert len(sleep.delays) == 1 and 28 <= sleep.delays[0] <= 30
    assert api.stats.throttled_429 == 1 and api.stats.retries == 1


async def test_429_that_never_ends_raises_rate_limited_with_retry_after() -> None:
    sleep = RecordedSleep()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "3"}
        )

    api = mock_api(handler, sleep, max_retries=2)
    with pytest.raises(RateLimitedError) as raised:
        await api.send("GET", "/api/v1/contact-order")
    await api.aclose()

    assert raised.value.retry_after == 3.0
    assert raised.value.message == "Too Many Attempts."
    assert sleep.delays == [3.0, 3.0]


async def test_connection_refused_is_retried_then_a_transport_error() -> None:
    sleep = RecordedSleep()

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    api = mock_api(handler, sleep, max_retries=3)
    with pytest.raises(TransportError, match="ConnectError"):
        await api.send("POST", "/api/v1/contact-order", json={"order_number": "X"})
    await api.aclose()

    assert api.stats.connection_errors == 4 and api.stats.retries == 3
    assert sleep.delays == [0.5, 1.0, 2.0]


# --- headers, redaction, counters ------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "expected"), [("bearer", f"Bearer {TOKEN}"), ("bare", TOKEN)])
async def test_auth_and_json_headers_go_on_every_request(scheme: str, expected: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {}})

    api = mock_api(handler, RecordedSleep(), auth_scheme=scheme)
    await api.send("GET", "/api/v1/contact-order", params={"page": 2, "contact_id": None})
    await api.aclose()

    request = seen[0]
    assert request.headers["authorization"] == expected
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert request.url.params == httpx.QueryParams({"page": "2"})
    assert TOKEN not in str(request.url)


async def test_a_server_echoing_the_token_never_gets_it_into_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401,
            json={"message": f"Token {TOKEN} is invalid", "errors": {"token": [f"bad {TOKEN}"]}},
            headers={"X-Request-Id": "req-1"},
        )

    caplog.set_level(logging.DEBUG, logger="orders_connector")
    api = mock_api(handler, RecordedSleep())
    with pytest.raises(AuthenticationError) as raised:
        await api.send("GET", "/api/v1/contact-order")
    await api.aclose()

    error = raised.value
    assert error.request_id == "req-1"
    for text in (str(error), repr(error), error.message, str(error.errors), caplog.text):
        assert TOKEN not in text
    assert REDACTED in error.message
    assert TOKEN not in repr(api)


def test_redactor_cleans_text_headers_and_nested_values() -> None:
    redactor = Redactor([TOKEN])

    assert redactor.text(f"Authorization: Bearer {TOKEN}") == f"Authorization: Bearer {REDACTED}"
    assert redactor.text("GET /x?token=abc123&page=2") == f"GET /x?token={REDACTED}&page=2"
    assert redactor.text("Bearer someothertoken") == f"Bearer {REDACTED}"
    assert redactor.headers({"Authorization": TOKEN, "Accept": "application/json"}) == {
        "Authorization": REDACTED,
        "Accept": "application/json",
    }
    assert redactor.value({"a": [f"x{TOKEN}"]}) == {"a": [f"x{REDACTED}"]}
    assert TOKEN not in repr(redactor)


async def test_stats_scopes_count_only_their_own_requests() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": {}})

    api = mock_api(handler, RecordedSleep())

    async def three_requests() -> int:
        with track_stats() as scope:
            await asyncio.gather(*(api.send("GET", "/api/v1/product") for _ in range(3)))
        return scope.requests

    counts = await asyncio.gather(three_requests(), three_requests())
    await api.aclose()

    assert counts == [3, 3]
    assert api.stats.requests == 6


# --- against the sandbox ---------------------------------------------------------------------

MakeSandbox = Callable[..., SandboxServer]


class RealSleep(RecordedSleep):
    """Records each delay and really waits it (for tests that need the server's clock to move)."""

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(seconds)


def sandbox_client(
    sandbox: SandboxServer,
    sleep: RecordedSleep,
    limiter: AdaptiveLimiter | None = None,
    **overrides: Any,
) -> OrdersClient:
    values: dict[str, Any] = {
        "base_url": sandbox.base_url,
        "token": sandbox.config.token,
        "max_retries": 3,
    }
    return OrdersClient(
        ApiSettings(**{**values, **overrides}), sleep=sleep, jitter=no_jitter, limiter=limiter
    )


def statuses(sandbox: SandboxServer) -> list[int]:
    return [request.status for request in sandbox.state.requests]


def busiest_span(times: list[float], span: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= span:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_sandbox_429_waits_retry_after_then_succeeds(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=Faults(rate_limit_per_minute=3, rate_limit_window_seconds=1))
    sleep = RealSleep()
    # A configured pace far above the throttle, so this test meets the server's 429.
    unpaced = AdaptiveLimiter(requests_per_minute=600_000)
    async with sandbox_client(sandbox, sleep, unpaced) as client:
        orders = [await client.get_order(order_id) for order_id in (1, 2, 3, 4)]

    assert [o["id"] for o in orders] == [1, 2, 3, 4]
    assert statuses(sandbox) == [200, 200, 200, 429, 200]
    assert [d for d in sleep.delays if d >= 0.1] == [1.0]
    assert client.stats.throttled_429 == 1 and client.stats.retries == 1


async def test_proxy_html_5xx_is_retried_then_a_server_error(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=Faults(error_rate=1.0))
    sleep = RecordedSleep()
    async with sandbox_client(sandbox, sleep, max_retries=2) as client:
        with pytest.raises(ServerError) as raised:
            await client.get_order(1)

    error = raised.value
    assert error.status in (500, 502, 503, 504)
    assert error.message.startswith(str(error.status))  # the page title, e.g. "502 Bad Gateway"
    assert error.body_excerpt is not None and "nginx" in error.body_excerpt
    assert len(sandbox.state.requests) == 3
    assert sleep.delays == [0.5, 1.0]
    assert client.stats.server_errors == 3 and client.stats.retries == 2


async def test_intermittent_5xx_and_drops_are_absorbed_and_counted(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(faults=Faults(error_rate=0.3, drop_rate=0.2, drop_phase="before"))
    async with sandbox_client(sandbox, RecordedSleep(), max_retries=10) as client:
        orders = [await client.get_order(order_id) for order_id in range(1, 21)]

    seen = statuses(sandbox)
    assert [o["id"] for o in orders] == list(range(1, 21))
    assert client.stats.requests == len(seen)
    assert client.stats.server_errors == sum(1 for s in seen if s >= 500) > 0
    assert client.stats.connection_errors == seen.count(0) > 0
    assert client.stats.retries == len(seen) - 20


async def test_a_create_is_not_resent_after_a_read_timeout(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=Faults(stall_rate=1.0, stall_seconds=2.0))
    create = OrderCreate(order_source="cyberbiz", order_number="TIMEOUT-1", contact_id=5001)
    async with sandbox_client(sandbox, RecordedSleep(), timeout_seconds=0.3) as client:
        with pytest.raises(TransportError, match="ReadTimeout"):
            await client.create_order(create)

    [write] = sandbox.state.writes
    assert write.method == "POST" and write.applied  # it did reach the server: no second copy
    assert client.stats.timeouts == 1 and client.stats.retries == 0


async def test_a_create_whose_answer_was_lost_is_not_resent(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=Faults(drop_rate=1.0, drop_phase="after"))
    create = OrderCreate(order_source="cyberbiz", order_number="DROPPED-1", contact_id=5001)
    async with sandbox_client(sandbox, RecordedSleep()) as client:
        with pytest.raises(TransportError):
            await client.create_order(create)

    assert [w.applied for w in sandbox.state.writes] == [True]
    assert client.stats.retries == 0


async def test_an_update_is_retried_after_a_read_timeout(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(faults=Faults(stall_rate=1.0, stall_seconds=2.0))
    async with sandbox_client(sandbox, RecordedSleep(), timeout_seconds=0.3, max_retries=2) as c:
        with pytest.raises(TransportError):
            await c.update_order(1, OrderUpdate(financial_status="paid"))

    assert [w.method for w in sandbox.state.writes] == ["PUT", "PUT", "PUT"]
    assert c.stats.timeouts == 3 and c.stats.retries == 2


@pytest.mark.parametrize("pace", ["learned", "configured"])
async def test_pacing_keeps_a_run_inside_the_servers_throttle(
    make_sandbox: MakeSandbox, pace: str
) -> None:
    # 20 requests per 2 s is 600 a minute: the same shape as Laravel's throttle, only faster.
    sandbox = make_sandbox(faults=Faults(rate_limit_per_minute=20, rate_limit_window_seconds=2))
    if pace == "learned":
        limiter, overrides = AdaptiveLimiter(window_seconds=2), {}
    else:
        limiter, overrides = None, {"requests_per_minute": 20 / 2 * 60 * 0.95}
    async with sandbox_client(sandbox, RealSleep(), limiter, **overrides) as client:
        orders = await asyncio.gather(*(client.get_order(i) for i in range(1, 36)))

    assert len(orders) == 35
    assert 429 not in statuses(sandbox)
    assert client.stats.throttled_429 == 0
    assert busiest_span([r.time for r in sandbox.state.requests], 2.0) <= 20


async def test_retry_logs_say_what_happened_and_never_carry_the_token(
    make_sandbox: MakeSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="orders_connector")
    sandbox = make_sandbox(token=TOKEN, faults=Faults(error_rate=0.5, html_200_rate=0.2))
    async with sandbox_client(sandbox, RecordedSleep(), max_retries=10) as client:
        for order_id in range(1, 11):
            await client.get_order(order_id)

    assert client.stats.retries > 0
    assert "retry 1/10" in caplog.text and "HTTP 5" in caplog.text
    assert TOKEN not in caplog.text


async def test_with_one_request_in_flight_the_next_goes_out_before_a_body_is_decoded(
    make_sandbox: MakeSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Decoding and validating a page takes milliseconds; with one request in flight that work
    # must overlap the next request's wait instead of sitting between the two requests.
    sandbox = make_sandbox(faults=Faults(latency_ms=20))
    events: list[str] = []

    class Recording(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            events.append(f"send page {request.url.params['page']}")
            return await self.inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    decode = jsoncodec.loads

    def recording_decode(body: bytes) -> Any:
        value = decode(body)
        events.append(f"decoded page {value['meta']['current_page']}")
        return value

    monkeypatch.setattr(jsoncodec, "loads", recording_decode)
    settings = ApiSettings(
        base_url=sandbox.base_url, token=sandbox.config.token, max_concurrency=1, per_page=10
    )
    unpaced = AdaptiveLimiter(requests_per_minute=600_000)
    async with OrdersClient(settings, transport=Recording(), limiter=unpaced) as client:
        pages = await asyncio.gather(
            *(
                client.search_page(page=n, created_start="2025-10-01", created_end="2025-10-10")
                for n in (1, 2, 3)
            )
        )

    assert [page.meta.current_page for page in pages] == [1, 2, 3]
    assert events == [
        "send page 1",
        "send page 2",
        "decoded page 1",
        "send page 3",
        "decoded page 2",
        "decoded page 3",
    ]
