"""Settings for the API client and the sync, read from arguments or `ORDERS_*` variables.

Validation happens here, at start-up, so bad configuration fails with one clear line before
any request is sent.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from orders_connector.errors import ConfigurationError
from orders_connector.redaction import redact

AuthScheme = Literal["bearer", "bare"]
UpdateMethod = Literal["put", "post_override"]
ItemsMode = Literal["embedded", "endpoint", "auto"]
WindowEnd = Literal["unknown", "inclusive", "exclusive"]

DEFAULT_TIMEZONE = "Asia/Taipei"
DEFAULT_START_DATE = dt.date(2025, 1, 1)
DEFAULT_DUCKDB_PATH = "data/orders.duckdb"
# DuckDB's own default is 80% of RAM: its buffer pool then grows with the data it has touched,
# and a year's backfill ends at gigabytes. Capped, it evicts and spills to disk instead, and a
# backfill's peak memory stays the same whatever its size (benchmarks/backfill_memory.py).
DEFAULT_MEMORY_LIMIT = "256MB"
# At 32MB DuckDB fails a landing already (out of memory allocating a 32 MiB block); 64MB lands
# and normalizes 100k orders (benchmarks/normalize.py --memory-limit 64MB, slower).
MIN_MEMORY_LIMIT_BYTES = 64 * 10**6
_MEMORY_LIMIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", re.IGNORECASE)


def memory_limit_bytes(text: str) -> int:
    """Bytes of a DuckDB memory size such as '256MB' or '1GiB' (KB/MB/GB/TB count in 1000s)."""
    match = _MEMORY_LIMIT.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a memory size such as 256MB, 1GB or 512MiB")
    number, unit = float(match[1]), match[2].upper()
    base = 1024 if unit[1] == "I" else 1000
    return int(number * base ** ("KMGT".index(unit[0]) + 1))


def is_loopback_host(host: str) -> bool:
    """True for localhost and any address in 127.0.0.0/8 or ::1."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a ConfigurationError that says so."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"unknown timezone {name!r} (use an IANA name)") from exc


class ApiSettings(BaseModel):
    """How to reach and talk to one tenant's FIRST LINE API."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(description="Tenant host, e.g. https://acme.firstline.cc (no /api/v1)")
    token: SecretStr = Field(description="API token of one employee")
    auth_scheme: AuthScheme = Field("bearer", description="'bearer' or the bare-token header form")
    timeout_seconds: float = Field(30.0, gt=0, description="Connect/read timeout per request")
    per_page: int = Field(100, ge=1, le=1000, description="Page size asked for; meta is trusted")
    max_concurrency: int = Field(8, ge=1, le=64, description="Pages fetched at once")
    requests_per_minute: float | None = Field(
        None, gt=0, description="Client-side pace; unset = learn it from X-RateLimit-Limit"
    )
    max_retries: int = Field(6, ge=0, le=20, description="Retries per request for retryable errors")
    update_method: UpdateMethod = Field("put", description="'put' or 'post_override' (_method=put)")
    timezone: str = Field(DEFAULT_TIMEZONE, description="The API's local timezone (IANA name)")
    verify_tls: bool = Field(True, description="Verify the server's TLS certificate")
    allow_insecure_http: bool = Field(False, description="Allow http:// to a non-loopback host")
    window_end: WindowEnd = Field(
        "unknown", description="Is order_created_at__end inclusive? 'unknown' asks a day wider"
    )
    max_drift_rereads: int = Field(3, ge=0, le=10, description="Re-reads of a window that shifted")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("base_url")
    @classmethod
    def _well_formed_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # A mistyped URL can carry a credential (`?token=`): it is echoed only redacted.
            raise ValueError(f"base_url must look like https://host, got {redact(value, ())!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("base_url must not carry a query, fragment or credentials")
        if parts.path.rstrip("/").endswith("/api/v1"):
            value = value[: -len("/api/v1")]
        return value

    @field_validator("token")
    @classmethod
    def _token_present(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("token is empty")
        return value

    @model_validator(mode="after")
    def _no_plain_http_off_box(self) -> ApiSettings:
        parts = urlsplit(self.base_url)
        if (
            parts.scheme == "http"
            and not is_loopback_host(parts.hostname or "")
            and not self.allow_insecure_http
        ):
            raise ValueError(
                f"refusing http:// to non-loopback host {parts.hostname!r}: the token would "
                "travel in clear text (set ORDERS_API_ALLOW_HTTP=true to allow)"
            )
        return self

    @property
    def zoneinfo(self) -> ZoneInfo:
        return zone(self.timezone)

    @classmethod
    def build(cls, **values: Any) -> ApiSettings:
        """Construct, turning pydantic's multi-line report into one ConfigurationError line."""
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigurationError(one_line(exc)) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> ApiSettings:
        """Settings from `ORDERS_API_*` variables; keyword overrides win."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for field, var in API_ENV_VARS.items():
            if var in env and env[var] != "":
                values[field] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        missing = [API_ENV_VARS[f] for f in ("base_url", "token") if f not in values]
        if missing:
            raise ConfigurationError(f"missing setting: {', '.join(missing)} is not set")
        return cls.build(**values)


API_ENV_VARS: dict[str, str] = {
    "base_url": "ORDERS_API_BASE_URL",
    "token": "ORDERS_API_TOKEN",
    "auth_scheme": "ORDERS_API_AUTH_SCHEME",
    "timeout_seconds": "ORDERS_API_TIMEOUT_SECONDS",
    "per_page": "ORDERS_API_PER_PAGE",
    "max_concurrency": "ORDERS_API_MAX_CONCURRENCY",
    "requests_per_minute": "ORDERS_API_REQUESTS_PER_MINUTE",
    "max_retries": "ORDERS_API_MAX_RETRIES",
    "update_method": "ORDERS_API_UPDATE_METHOD",
    "timezone": "ORDERS_API_TIMEZONE",
    "verify_tls": "ORDERS_API_VERIFY_TLS",
    "allow_insecure_http": "ORDERS_API_ALLOW_HTTP",
    "window_end": "ORDERS_API_WINDOW_END",
}


def one_line(exc: ValidationError) -> str:
    """A pydantic report as the one `invalid configuration: ...` line users see."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "settings"
        msg = str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {msg}")
    return "invalid configuration: " + "; ".join(problems)


class SyncSettings(BaseModel):
    """What to sync and where to: the pipeline's settings beside the API's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_date: dt.date = Field(DEFAULT_START_DATE, description="First day window (partition)")
    timezone: str = Field(DEFAULT_TIMEZONE, description="The API's local timezone (IANA name)")
    duckdb_path: str = Field(DEFAULT_DUCKDB_PATH, description="DuckDB file (or md: path)")
    duckdb_memory_limit: str = Field(
        DEFAULT_MEMORY_LIMIT,
        description="DuckDB's memory_limit: its cache, spilling to disk beyond it",
    )
    items_mode: ItemsMode = Field("auto", description="'embedded', 'endpoint' or 'auto'")
    lookback_days: int = Field(7, ge=1, le=366, description="Windows re-synced every day")
    refresh_budget: int = Field(
        200, ge=1, description="Requests a day for open orders beyond the lookback"
    )
    freshness_hours: float = Field(
        26.0, gt=0, description="Age after which the latest window counts as stale"
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _usable_memory_limit(cls, value: str) -> str:
        if memory_limit_bytes(value) < MIN_MEMORY_LIMIT_BYTES:
            raise ValueError(f"{value!r} is too little: DuckDB needs 64MB or more to land a window")
        return value.strip()

    @model_validator(mode="after")
    def _start_not_in_future(self) -> SyncSettings:
        today = dt.datetime.now(zone(self.timezone)).date()
        if self.start_date > today:
            raise ValueError(f"start date {self.start_date} is in the future")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> SyncSettings:
        """Settings from `ORDERS_*` variables; keyword overrides win."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            field: env[var] for field, var in SYNC_ENV_VARS.items() if env.get(var, "") != ""
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigurationError(one_line(exc)) from None


SYNC_ENV_VARS: dict[str, str] = {
    "start_date": "ORDERS_START_DATE",
    "timezone": "ORDERS_API_TIMEZONE",
    "duckdb_path": "ORDERS_DUCKDB_PATH",
    "duckdb_memory_limit": "ORDERS_DUCKDB_MEMORY_LIMIT",
    "items_mode": "ORDERS_ITEMS_MODE",
    "lookback_days": "ORDERS_LOOKBACK_DAYS",
    "refresh_budget": "ORDERS_REFRESH_BUDGET",
    "freshness_hours": "ORDERS_FRESHNESS_HOURS",
}
