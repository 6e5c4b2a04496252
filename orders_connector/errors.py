"""One error hierarchy for everything the connector can raise.

Every API error carries the HTTP status, the server's `message`, the 422 field `errors`
and a request id when the server sent one. None of them ever holds the token: messages are
built from the response body and the URL path, never from request headers.
"""

from __future__ import annotations

from typing import Any


class OrdersConnectorError(Exception):
    """Base of every error this package raises."""


class ConfigurationError(OrdersConnectorError):
    """Settings that cannot work (missing token, malformed URL, unknown timezone...)."""


class OrdersApiError(OrdersConnectorError):
    """An answer from the API that is not a success."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        errors: dict[str, list[str]] | None = None,
        request_id: str | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.errors = errors or {}
        self.request_id = request_id
        self.body_excerpt = body_excerpt
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else (self.path or "")
        head = f"HTTP {self.status}" if self.status is not None else type(self).__name__
        text = f"{head} {where}: {self.message}".strip()
        if self.errors:
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(self.errors.items()))
            text += f" ({fields})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._render()!r})"


class AuthenticationError(OrdersApiError):
    """401: the token is missing, wrong, or was regenerated (which invalidates the old one)."""

    def _render(self) -> str:
        # A 401 half-way through a sync is almost always a regenerated token: say what to do.
        return (
            f"{super()._render()} - the API token was refused (wrong, or regenerated since, "
            "which invalidates the old one): set ORDERS_API_TOKEN to the employee's current token"
        )


class PermissionDeniedError(OrdersApiError):
    """403: the token's employee role may not call this endpoint."""


class NotFoundError(OrdersApiError):
    """404: no such order (or item)."""


class UnprocessableError(OrdersApiError):
    """422: the server rejected the fields; `errors` says which."""


class RateLimitedError(OrdersApiError):
    """429 after every retry was spent."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServerError(OrdersApiError):
    """5xx after every retry was spent (proxies answer these with HTML)."""


class ProtocolError(OrdersApiError):
    """A body that is not the documented shape: non-JSON, HTML with 200, no `data`/`meta`."""


class TransportError(OrdersApiError):
    """The request never got an answer: connection refused or dropped, timeout."""


class DriftError(OrdersConnectorError):
    """A window whose pages never added up to `meta.total` within the allowed re-reads."""


class WarehouseBusyError(OrdersConnectorError):
    """Another process holds the DuckDB file's write lock and did not let go in time."""


STATUS_ERRORS: dict[int, type[OrdersApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableError,
    429: RateLimitedError,
}


def error_class_for(status: int) -> type[OrdersApiError]:
    """The error type a non-success status maps to."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return ServerError
    return OrdersApiError
