"""What a sandbox serves (`SandboxConfig`) and how it misbehaves (`Faults`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

DropPhase = Literal["before", "after"]


@dataclass
class Faults:
    """Fault switches, all off by default; a server's `faults` may be changed while it runs.

    Which request is hit comes from a `random.Random` seeded with the config's seed, so a run
    that sends the same requests in the same order meets the same faults. Which orders carry
    unknown enums or malformed fields depends only on (seed, order id), so a re-read of an
    order returns the same payload.
    """

    latency_ms: float = 0.0
    # Laravel-style fixed window per token, opened by the first hit; None = no throttle.
    rate_limit_per_minute: int | None = None
    rate_limit_window_seconds: float = 60.0
    # Answered by the "proxy" with an HTML 500/502/503/504 page; the app never sees them.
    error_rate: float = 0.0
    # Connection closed with no response. "before": the app never saw the request;
    # "after": the app handled it (a write is applied) and only the answer is lost.
    drop_rate: float = 0.0
    drop_phase: DropPhase = "before"
    # The request is handled, then the answer is held back this long (client read timeouts).
    stall_rate: float = 0.0
    stall_seconds: float = 30.0
    # 200 OK with an HTML page instead of JSON (a login or maintenance page in front).
    html_200_rate: float = 0.0
    # After each page of a date-filtered order search, create this many new orders inside the
    # searched window (new, higher ids), at most `insert_during_paging_max` over the run.
    insert_during_paging: int = 0
    insert_during_paging_max: int = 100
    # Fractions of orders served with status/source values outside the published enums, or
    # with broken fields from a catalog of real-world breakage.
    unknown_enum_rate: float = 0.0
    malformed_rate: float = 0.0
    # Orders whose updates the server refuses with 422 whatever the body (a business rule the
    # client cannot know about, e.g. a locked order): every field sent gets an error.
    reject_update_ids: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class SandboxConfig:
    """The data set and the API's undocumented behaviour choices."""

    orders: int = 500
    start: dt.date = dt.date(2025, 10, 1)
    end: dt.date = dt.date(2025, 10, 31)
    seed: int = 7
    token: str = "sandbox-token"
    # Tokens of employees whose role may read but not write: writes answer 403.
    readonly_tokens: tuple[str, ...] = ()
    timezone: str = "Asia/Taipei"
    per_page_default: int = 15
    per_page_cap: int = 100
    # False: list and single-order answers carry "items": [] and items come only from the
    # contact-order-item sub-resource.
    embed_items: bool = True
    # Whether order_created_at__end keeps orders created on the end date itself.
    end_inclusive: bool = True
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if self.orders < 0:
            raise ValueError("orders must be >= 0")
        if self.end < self.start:
            raise ValueError("end must not be before start")
        if self.per_page_default < 1 or self.per_page_cap < 1:
            raise ValueError("per_page_default and per_page_cap must be >= 1")
        if not self.token:
            raise ValueError("token must not be empty")

    def __repr__(self) -> str:
        # Tokens stay out of reprs: they end up in test output and logs.
        return (
            f"SandboxConfig(orders={self.orders}, start={self.start}, end={self.end}, "
            f"seed={self.seed}, timezone={self.timezone!r}, embed_items={self.embed_items}, "
            f"end_inclusive={self.end_inclusive}, faults={self.faults!r})"
        )
