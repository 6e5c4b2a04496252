"""Which transport-level fault hits the next request, drawn from one seeded generator."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from orders_connector.sandbox.config import Faults

PROXY_ERROR_STATUSES = (500, 502, 503, 504)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


@dataclass(frozen=True)
class FaultDecision:
    drop: bool = False
    error_status: int | None = None
    html_200: bool = False
    stall_seconds: float = 0.0


class FaultInjector:
    """Every request draws the same five numbers, so the sequence of faults is reproducible."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def decide(self) -> FaultDecision:
        faults = self.faults
        with self._lock:
            drop, stall, error, which, html = (self._rng.random() for _ in range(5))
        return FaultDecision(
            drop=drop < faults.drop_rate,
            error_status=(
                PROXY_ERROR_STATUSES[int(which * len(PROXY_ERROR_STATUSES))]
                if error < faults.error_rate
                else None
            ),
            html_200=html < faults.html_200_rate,
            stall_seconds=faults.stall_seconds if stall < faults.stall_rate else 0.0,
        )


def proxy_error_page(status: int) -> bytes:
    """The page nginx in front of the app shows when the app is down or slow."""
    title = f"{status} {_REASONS[status]}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


def html_200_page() -> bytes:
    """A page some front end serves with 200 instead of the API's JSON (login, maintenance)."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-TW">\n<head>\n<meta charset="utf-8">\n'
        "<title>FIRST LINE - 系統維護中</title>\n</head>\n<body>\n"
        "<h1>系統維護中</h1>\n<p>我們正在進行系統升級，請稍後再試。</p>\n"
        "</body>\n</html>\n"
    ).encode()
