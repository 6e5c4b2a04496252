"""What the sandbox saw: every request, and every write with its parsed body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; `query` has any `token` value masked."""

    time: float  # time.monotonic() on arrival
    method: str
    path: str
    query: dict[str, str]
    status: int  # status answered; 0 = the connection was dropped without an answer
    token_ok: bool


@dataclass(frozen=True)
class RecordedWrite:
    """One POST/PUT/PATCH: method as sent, whether `_method` spoofing was used, the outcome."""

    method: str
    method_override: bool
    path: str
    order_id: int | None
    body: dict[str, Any] = field(repr=False)  # parsed body, `_method` removed
    status: int  # status answered; 0 = the connection was dropped without an answer
    applied: bool  # whether the server's data changed (it can change even if status is 0)
    time: float
