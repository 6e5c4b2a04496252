"""Dagster resources: the FIRST LINE API settings and the DuckDB file."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field, ValidationError

from orders_connector.errors import ConfigurationError, WarehouseBusyError
from orders_connector.settings import (
    API_ENV_VARS,
    DEFAULT_DUCKDB_PATH,
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEZONE,
    ApiSettings,
    AuthScheme,
    ItemsMode,
    UpdateMethod,
    WindowEnd,
    one_line,
)
from orders_connector.warehouse import Warehouse


class OrdersApiResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Connection settings for one tenant's FIRST LINE Orders API."""

    base_url: str = Field(description="Tenant host, e.g. https://acme.firstline.cc (no /api/v1)")
    token: str = Field(
        description="API token of one employee; pass dg.EnvVar('ORDERS_API_TOKEN')", repr=False
    )
    timezone: str = Field(
        default=DEFAULT_TIMEZONE, description="The API's local timezone (IANA name)"
    )
    auth_scheme: AuthScheme = Field(
        default="bearer", description="'bearer' or 'bare' Authorization header"
    )
    per_page: int = Field(default=100, description="Page size asked for (the server may cap it)")
    max_concurrency: int = Field(default=8, description="Requests in flight at once")
    requests_per_minute: float | None = Field(
        default=None, description="Client-side pace; unset: learned from X-RateLimit-Limit"
    )
    max_retries: int = Field(default=6, description="Retries per request for retryable failures")
    timeout_seconds: float = Field(default=30.0, description="Connect/read timeout per request")
    update_method: UpdateMethod = Field(
        default="put", description="'put' or 'post_override' (_method=put)"
    )
    verify_tls: bool = Field(default=True, description="Verify the server's TLS certificate")
    allow_insecure_http: bool = Field(
        default=False, description="Allow http:// to a non-loopback host"
    )
    window_end: WindowEnd = Field(
        default="unknown",
        description="Is order_created_at__end inclusive? 'unknown' asks a day wider",
    )
    items_mode: ItemsMode = Field(
        default="auto", description="'embedded', 'endpoint' (items sub-resource) or 'auto' (probe)"
    )

    def settings(self) -> ApiSettings:
        """Validated client settings (raises ConfigurationError with one clear line)."""
        return ApiSettings.build(
            base_url=self.base_url,
            token=self.token,
            timezone=self.timezone,
            auth_scheme=self.auth_scheme,
            per_page=self.per_page,
            max_concurrency=self.max_concurrency,
            requests_per_minute=self.requests_per_minute,
            max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds,
            update_method=self.update_method,
            verify_tls=self.verify_tls,
            allow_insecure_http=self.allow_insecure_http,
            window_end=self.window_end,
        )


def orders_api_from_env(
    *, timezone: str, items_mode: ItemsMode, env: Mapping[str, str] | None = None
) -> OrdersApiResource:
    """The resource the definitions use: URL and token through `dg.EnvVar` (read when a run
    starts, never kept in the definitions), every other `ORDERS_API_*` variable as set."""
    env = os.environ if env is None else env
    passed_as_env_var = ("base_url", "token", "timezone")
    settings: dict[str, Any] = {
        field: env[var]
        for field, var in API_ENV_VARS.items()
        if field not in passed_as_env_var and env.get(var, "") != ""
    }
    try:
        return OrdersApiResource(
            base_url=dg.EnvVar(API_ENV_VARS["base_url"]),
            token=dg.EnvVar(API_ENV_VARS["token"]),
            timezone=timezone,
            items_mode=items_mode,
            **settings,
        )
    except ValidationError as exc:
        raise ConfigurationError(one_line(exc)) from None


def duckdb_path_from_env() -> str:
    """`ORDERS_DUCKDB_PATH`, default data/orders.duckdb (relative to the working directory)."""
    return os.environ.get("ORDERS_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH


@contextmanager
def open_warehouse(duckdb_resource: DuckDBResource, timezone: str) -> Iterator[Warehouse]:
    """The warehouse on the resource's file, schema ensured; a held lock becomes a clear error.

    The resource's `connection_config` memory_limit is kept (the warehouse would otherwise set its
    default over it); without one, the warehouse's default applies.
    """
    path = duckdb_resource.database
    memory_limit = str(duckdb_resource.connection_config.get("memory_limit", DEFAULT_MEMORY_LIMIT))
    if path not in (":memory:",) and not path.startswith("md:"):
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
    try:
        with duckdb_resource.get_connection() as conn:
            # dagster-duckdb closes the connection only when the block succeeds; a failed step
            # would otherwise keep the file open in this process.
            try:
                warehouse = Warehouse.from_connection(
                    conn, timezone=timezone, memory_limit=memory_limit
                )
                warehouse.ensure_schema()
                yield warehouse
            finally:
                conn.close()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusyError(
                f"DuckDB file {path} is held by another process (another sync?); "
                "it did not let go in time. Wait for it to finish and run again."
            ) from None
        raise
