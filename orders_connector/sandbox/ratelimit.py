"""Laravel's throttle middleware: a fixed window per caller, opened by the caller's first hit."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]


class FixedWindowLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, hits)

    def hit(self, key: str, limit: int, window_seconds: float) -> Verdict:
        """Count one attempt; a refused attempt is not counted, as in Laravel."""
        with self._lock:
            now = self._clock()
            ends, hits = self._windows.get(key, (0.0, 0))
            if now >= ends:
                ends, hits = now + window_seconds, 0
            if hits >= limit:
                self._windows[key] = (ends, hits)
                wait = max(1, math.ceil(ends - now))
                return Verdict(
                    allowed=False,
                    headers={
                        "X-RateLimit-Limit": str(limit),
                        "X-RateLimit-Remaining": "0",
                        "Retry-After": str(wait),
                        "X-RateLimit-Reset": str(int(time.time()) + wait),
                    },
                )
            hits += 1
            self._windows[key] = (ends, hits)
            return Verdict(
                allowed=True,
                headers={
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": str(limit - hits),
                },
            )
