"""Every request to the API goes through `ApiTransport.send`: auth, pacing, retries, errors.

- `RetryPolicy.retry_delay` is the one place that decides whether and when to try again.
- `AdaptiveLimiter` paces request starts just under the server's throttle, learned from
  `X-RateLimit-Limit` unless a rate is configured, so a long sync does not bounce off 429s.
- `TransportStats` counts what happened, globally and per `track_stats()` scope (a window).
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

import httpx

from orders_connector import jsoncodec
from orders_connector.errors import (
    OrdersApiError,
    ProtocolError,
    RateLimitedError,
    TransportError,
    error_class_for,
)
from orders_connector.redaction import RedactingFilter, Redactor
from orders_connector.settings import ApiSettings

Sleep = Callable[[float], Awaitable[None]]
Jitter = Callable[[float], float]
Clock = Callable[[], float]

log = logging.getLogger("orders_connector")

RETRYABLE_STATUSES: Final[frozenset[int]] = frozenset({429, 500, 502, 503, 504})
# Raised before a byte of the request left: retrying cannot do anything twice.
NOT_SENT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
IDEMPOTENT_METHODS: Final[frozenset[str]] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BODY_EXCERPT_CHARS: Final = 200
USER_AGENT: Final = "firstline-orders/0.1 (+orders_connector)"
# Event-loop rounds a freed slot's next request gets to reach the wire (httpcore 1.0 needs 3).
_HAND_OVER_ROUNDS: Final = 8


def equal_jitter(delay: float) -> float:
    """Somewhere in [delay/2, delay]: spreads retries of concurrent requests apart."""
    return random.uniform(delay / 2, delay)


# ---------------------------------------------------------------------------------------------
# counters


@dataclass
class TransportStats:
    """What the transport did. `requests` counts every attempt sent, retries included."""

    requests: int = 0
    retries: int = 0
    throttled_429: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    timeouts: int = 0
    protocol_errors: int = 0
    sleep_seconds: float = 0.0

    def copy(self) -> TransportStats:
        return dataclasses.replace(self)


_ACTIVE_SCOPES: ContextVar[tuple[TransportStats, ...]] = ContextVar(
    "orders_connector_stats_scopes", default=()
)


@contextmanager
def track_stats() -> Iterator[TransportStats]:
    """Count the requests made in this context (and tasks started from it) separately.

    Windows fetched concurrently on one client each get their own numbers this way.
    """
    scope = TransportStats()
    token = _ACTIVE_SCOPES.set((*_ACTIVE_SCOPES.get(), scope))
    try:
        yield scope
    finally:
        _ACTIVE_SCOPES.reset(token)


# ---------------------------------------------------------------------------------------------
# retry decision


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: either delta-seconds or an HTTP date."""
    raw = headers.get("retry-after")
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, honouring `Retry-After`."""

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A Retry-After longer than this fails the request now instead of stalling a sync for it.
    max_retry_after: float = 300.0
    min_retry_after: float = 0.1
    jitter: Jitter = equal_jitter

    def backoff(self, attempt: int) -> float:
        return self.jitter(min(self.max_delay, self.base_delay * 2**attempt))

    def retry_delay(
        self,
        attempt: int,
        outcome: httpx.Response | BaseException,
        *,
        idempotent: bool = True,
    ) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up.

        `outcome` is the response that came back, or the exception instead of one (an
        `httpx` transport error, or a `ProtocolError` for a 2xx body that is not JSON).
        A request that is not idempotent is retried only when the server surely did not act
        on it: the connection never opened, or a 429 (throttling rejects before the handler).
        """
        if attempt >= self.max_retries:
            return None
        if isinstance(outcome, httpx.Response):
            status = outcome.status_code
            if status not in RETRYABLE_STATUSES or (status != 429 and not idempotent):
                return None
            told = retry_after_seconds(outcome.headers)
            if told is None:
                return self.backoff(attempt)
            if told > self.max_retry_after:
                return None
            return max(told, self.min_retry_after)
        if isinstance(outcome, NOT_SENT_ERRORS):
            return self.backoff(attempt)
        if idempotent and isinstance(outcome, httpx.TransportError | ProtocolError):
            return self.backoff(attempt)
        return None


# ---------------------------------------------------------------------------------------------
# pacing


class AdaptiveLimiter:
    """Spaces request starts evenly at a rate just under the server's throttle.

    The rate is `requests_per_minute` when configured, else `X-RateLimit-Limit` per
    `window_seconds` less a reserve (`safety` on a small limit, about 3% on a large one).
    Until the first response tells the limit, one request
    at a time is let through, so a cold start cannot burst into 429s. A 429 pauses every
    request until its Retry-After and lowers the pace a little; successes raise it back.
    A low `X-RateLimit-Remaining` (someone else spending the same quota) halves the pace.
    """

    def __init__(
        self,
        *,
        requests_per_minute: float | None = None,
        window_seconds: float = 60.0,
        safety: float = 0.95,
        low_remaining_fraction: float = 0.02,
        catch_up_seconds: float = 0.5,
        clock: Clock = time.monotonic,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.window_seconds = window_seconds
        self.safety = safety
        self.low_remaining_fraction = low_remaining_fraction
        self.catch_up_seconds = catch_up_seconds
        self._clock = clock
        self._configured_per_second = (
            None if requests_per_minute is None else requests_per_minute / 60
        )
        self._server_limit: int | None = None
        self._remaining: int | None = None
        self._learned = self._configured_per_second is not None
        self._probe_in_flight = False
        self._probe_done = asyncio.Event()
        self._adaptation = 1.0
        self._next_start: float | None = None
        self._paused_until = 0.0

    def __repr__(self) -> str:
        return (
            f"AdaptiveLimiter(rate_per_second={self.rate_per_second}, "
            f"server_limit={self._server_limit}, window_seconds={self.window_seconds})"
        )

    @property
    def server_limit(self) -> int | None:
        """`X-RateLimit-Limit` as last seen (requests per window)."""
        return self._server_limit

    @property
    def rate_per_second(self) -> float | None:
        """Current pace in request starts per second; None = unpaced."""
        if self._configured_per_second is not None:
            base = self._configured_per_second
        elif self._server_limit is not None:
            learned = self._server_limit
            # On a large limit a fixed fraction wastes hundreds of requests a window: keep 2%,
            # what catching up may spend, and two for the probe and rounding, but never less
            # than `safety` leaves.
            reserve = (
                math.ceil(0.02 * learned)
                + math.ceil(self.catch_up_seconds * learned / self.window_seconds)
                + 2
            )
            base = max(learned * self.safety, learned - reserve) / self.window_seconds
        else:
            return None
        limit, remaining = self._server_limit, self._remaining
        if limit and remaining is not None and remaining <= limit * self.low_remaining_fraction:
            base /= 2
        return base * self._adaptation

    async def acquire(self, sleep: Sleep, *, ignore_pause: bool = False) -> float:
        """Wait for this request's start slot; returns the seconds waited."""
        while not self._learned and self._probe_in_flight:
            await self._probe_done.wait()
        if not self._learned:
            self._probe_in_flight = True
        now = self._clock()
        start = now if ignore_pause else max(now, self._paused_until)
        rate = self.rate_per_second
        if rate:
            slot = start
            if self._next_start is not None:
                # A slot missed by less than `catch_up_seconds` (the event loop was busy) is
                # still used, so busy moments do not lower the long-run pace; never a slot from
                # before a pause, and never more than that much ahead of the pace.
                floor = max(start - self.catch_up_seconds, self._paused_until)
                slot = max(self._next_start, min(start, floor))
            self._next_start = slot + 1 / rate
            start = max(start, slot)
        wait = start - now
        if wait > 0:
            await sleep(wait)
            return wait
        return 0.0

    def observe(self, response: httpx.Response) -> None:
        """Learn from a response's rate-limit headers; a 429 slows the pace down."""
        limit = _header_int(response.headers, "x-ratelimit-limit")
        if limit is not None and limit > 0:
            self._server_limit = limit
        self._remaining = _header_int(response.headers, "x-ratelimit-remaining")
        if response.status_code == 429:
            self._adaptation = max(0.5, self._adaptation * 0.9)
        elif response.is_success:
            self._adaptation = min(1.0, self._adaptation + 0.002)
        self._end_probe(learned=True)

    def observe_failure(self) -> None:
        """The request got no response: let the next one probe instead."""
        self._end_probe(learned=self._learned)

    def pause(self, seconds: float) -> None:
        """Hold every request start for `seconds` from now (a 429's Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _end_probe(self, *, learned: bool) -> None:
        if self._learned and not self._probe_in_flight:
            return
        self._learned = learned
        self._probe_in_flight = False
        done, self._probe_done = self._probe_done, asyncio.Event()
        done.set()


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    try:
        return None if raw is None else int(raw.strip())
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# the transport


class ApiTransport:
    """One `send` path for every request to the API."""

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
        self.settings = settings
        self.stats = TransportStats()
        self.limiter = limiter or AdaptiveLimiter(requests_per_minute=settings.requests_per_minute)
        self.retry_policy = retry_policy or RetryPolicy(
            max_retries=settings.max_retries, jitter=jitter
        )
        self.redactor = Redactor([settings.token.get_secret_value()])
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(settings.max_concurrency)
        # Requests whose body is on the wire (httpcore's trace), for handing the slot over.
        self._requests_written = 0
        self._log_filter = RedactingFilter(self.redactor)
        log.addFilter(self._log_filter)
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            transport=transport,
            timeout=httpx.Timeout(settings.timeout_seconds),
            verify=settings.verify_tls,
            limits=httpx.Limits(
                max_connections=settings.max_concurrency,
                max_keepalive_connections=settings.max_concurrency,
            ),
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )

    def __repr__(self) -> str:
        return (
            f"ApiTransport(base_url={self.settings.base_url!r}, auth={self.settings.auth_scheme})"
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        log.removeFilter(self._log_filter)

    def _auth_headers(self) -> dict[str, str]:
        token = self.settings.token.get_secret_value()
        return {
            "Authorization": f"Bearer {token}" if self.settings.auth_scheme == "bearer" else token
        }

    def _count(self, field: str, amount: float = 1) -> None:
        for stats in (self.stats, *_ACTIVE_SCOPES.get()):
            setattr(stats, field, getattr(stats, field) + amount)

    async def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        *,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request (retrying as the policy allows); returns the decoded JSON body.

        `idempotent` defaults from the method: POST is not, unless the caller says so (a
        method-spoofed PUT is).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        query = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        waited_out_pause = False
        while True:
            outcome, error = await self._attempt(method, path, query, json, waited_out_pause)
            if error is None:
                return outcome
            delay = self.retry_policy.retry_delay(attempt, outcome, idempotent=idempotent)
            if delay is None:
                # A plain 4xx is an answer for the caller, not news for the log.
                log.log(
                    logging.WARNING if attempt else logging.DEBUG,
                    "giving up after %d attempt(s): %s",
                    attempt + 1,
                    self.redactor.text(error),
                )
                if isinstance(outcome, BaseException) and outcome is not error:
                    raise error from outcome
                raise error
            throttled = isinstance(outcome, httpx.Response) and outcome.status_code == 429
            if throttled:
                self.limiter.pause(delay)
            waited_out_pause = throttled
            log.warning(
                "%s; retry %d/%d in %.2fs",
                self.redactor.text(_short(error)),
                attempt + 1,
                self.retry_policy.max_retries,
                delay,
            )
            self._count("retries")
            self._count("sleep_seconds", delay)
            await self._sleep(delay)
            attempt += 1

    async def _attempt(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any],
        body: Any,
        ignore_pause: bool,
    ) -> tuple[Any, OrdersApiError | None]:
        """One try: (decoded body, None) or (response/exception for the policy, error)."""
        async with self._semaphore:
            waited = await self.limiter.acquire(self._sleep, ignore_pause=ignore_pause)
            if waited:
                self._count("sleep_seconds", waited)
            self._count("requests")
            started = time.monotonic()
            try:
                response = await self._http.request(
                    method,
                    path,
                    params=query,
                    json=body,
                    headers=self._auth_headers(),
                    extensions={"trace": self._trace},
                )
            except httpx.RequestError as exc:
                self.limiter.observe_failure()
                timed_out = isinstance(exc, httpx.TimeoutException)
                self._count("timeouts" if timed_out else "connection_errors")
                return exc, self._transport_error(exc, method, path)
            except BaseException:
                # Cancelled mid-flight: a probe that never reports would block everyone.
                self.limiter.observe_failure()
                raise
            self.limiter.observe(response)
        await self._hand_over_slot()
        log.debug(
            "%s %s %s -> %d in %.3fs",
            method,
            path,
            self.redactor.text(dict(query)),
            response.status_code,
            time.monotonic() - started,
        )
        if response.is_success:
            try:
                return _decode_success(response, self.redactor, method), None
            except ProtocolError as exc:
                self._count("protocol_errors")
                return exc, exc
        if response.status_code == 429:
            self._count("throttled_429")
        elif response.status_code >= 500:
            self._count("server_errors")
        return response, api_error(response, self.redactor, method)

    async def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith(".send_request_body.complete"):
            self._requests_written += 1

    async def _hand_over_slot(self) -> None:
        """Let a request waiting for the slot just freed get onto the wire before this answer's
        body is decoded and validated (~4 ms of CPU for a page of 100 orders).

        With one request in flight that work would otherwise sit between every two requests.
        httpcore writes a request a few event-loop rounds after it gets its slot; a request the
        limiter holds back is not waited for beyond those rounds.
        """
        if not self._semaphore.locked():
            return
        written = self._requests_written
        for _ in range(_HAND_OVER_ROUNDS):
            await asyncio.sleep(0)
            if self._requests_written != written:
                return

    def _transport_error(self, exc: httpx.RequestError, method: str, path: str) -> TransportError:
        detail = self.redactor.text(str(exc)) or type(exc).__name__
        return TransportError(f"{type(exc).__name__}: {detail}", method=method, path=path)


def _short(error: OrdersApiError) -> str:
    return str(error)[:300]


# ---------------------------------------------------------------------------------------------
# responses -> values or errors


def _looks_like_html(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    return "html" in content_type or response.content.lstrip()[:1] == b"<"


def _decode_success(response: httpx.Response, redactor: Redactor, method: str) -> Any:
    if response.status_code == 204 or not response.content.strip():
        return None
    path = response.request.url.path
    if _looks_like_html(response):
        raise ProtocolError(
            "expected JSON, got an HTML page (a proxy or login page in front of the API?)",
            status=response.status_code,
            method=method,
            path=path,
            request_id=response.headers.get("x-request-id"),
            body_excerpt=body_excerpt(response.text, redactor),
        )
    try:
        return jsoncodec.loads(response.content)
    except ValueError:
        raise ProtocolError(
            "expected JSON, got a body that does not parse",
            status=response.status_code,
            method=method,
            path=path,
            request_id=response.headers.get("x-request-id"),
            body_excerpt=body_excerpt(response.text, redactor),
        ) from None


_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def body_excerpt(text: str, redactor: Redactor) -> str:
    """The first words of a body, tags stripped, secrets removed."""
    flat = " ".join(_TAG.sub(" ", text).split())
    return redactor.text(flat)[:BODY_EXCERPT_CHARS]


def api_error(response: httpx.Response, redactor: Redactor, method: str) -> OrdersApiError:
    """The error a non-success response maps to, with the server's own words, redacted."""
    status = response.status_code
    body: Any = None
    if not _looks_like_html(response):
        try:
            body = jsoncodec.loads(response.content) if response.content.strip() else None
        except ValueError:
            body = None
    message = ""
    errors: dict[str, list[str]] = {}
    excerpt = None
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            message = body["message"]
        raw_errors = body.get("errors")
        if isinstance(raw_errors, dict):
            errors = {
                str(k): [str(m) for m in v] if isinstance(v, list) else [str(v)]
                for k, v in raw_errors.items()
            }
    else:
        excerpt = body_excerpt(response.text, redactor) if response.content.strip() else None
        title = _TITLE.search(response.text)
        message = " ".join(title.group(1).split()) if title else ""
    message = message or response.reason_phrase or f"HTTP {status}"
    fields: dict[str, Any] = {
        "status": status,
        "method": method,
        "path": redactor.text(response.request.url.path),
        "errors": redactor.value(errors),
        "request_id": response.headers.get("x-request-id"),
        "body_excerpt": excerpt,
    }
    error_class = error_class_for(status)
    if issubclass(error_class, RateLimitedError):
        return error_class(
            redactor.text(message), retry_after=retry_after_seconds(response.headers), **fields
        )
    return error_class(redactor.text(message), **fields)
