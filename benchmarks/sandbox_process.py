"""The sandbox in a process of its own, so its CPU and memory never count against the connector.

The benchmarks talk to it through a line protocol on stdin/stdout: the child prints its base URL
once it listens; `stats` answers one JSON line with what the server saw (requests by status, the
arrival span, the busiest throttle window); `quit` stops it.

    with SandboxProcess(orders=20_000, start=..., end=..., latency_ms=100, rate_limit=3000) as sb:
        sb.base_url, sb.stats()

Also runnable alone: `python benchmarks/sandbox_process.py --orders 20000 ...`.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

TOKEN = "benchmark-token"
SEED = 11


@dataclass(frozen=True)
class ServerStats:
    """What the sandbox saw, counted on the server side (the same for every contender)."""

    requests: int
    by_status: dict[int, int]
    first_arrival: float
    last_arrival: float
    busiest_window: int
    arrivals: list[float]  # seconds after the first request, in order

    @property
    def throttled(self) -> int:
        return self.by_status.get(429, 0)

    @property
    def span_seconds(self) -> float:
        return self.last_arrival - self.first_arrival


def busiest_window(arrivals: list[float], window_seconds: float) -> int:
    """Most requests that arrived within any `window_seconds` span (sliding)."""
    arrivals = sorted(arrivals)
    best, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] >= window_seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


class SandboxProcess:
    """A sandbox child process; the context manager starts it and stops it."""

    def __init__(
        self,
        *,
        orders: int,
        start: dt.date,
        end: dt.date,
        latency_ms: float = 0.0,
        rate_limit: int | None = None,
        window_seconds: float = 60.0,
        per_page_cap: int = 100,
        seed: int = SEED,
        warm: bool = True,
    ) -> None:
        self.args = [
            f"--orders={orders}",
            f"--start={start}",
            f"--end={end}",
            f"--latency-ms={latency_ms}",
            f"--window-seconds={window_seconds}",
            f"--per-page-cap={per_page_cap}",
            f"--seed={seed}",
        ]
        if rate_limit is not None:
            self.args.append(f"--rate-limit={rate_limit}")
        if not warm:
            self.args.append("--no-warm")
        self.token = TOKEN
        self._child: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._lock = threading.Lock()

    def __enter__(self) -> SandboxProcess:
        self._child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.base_url = self._line().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError(f"sandbox did not start: {self.base_url!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        child = self._child
        if child is None:
            return
        try:
            self._send("quit")
            child.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        self._child = None

    def stats(self) -> ServerStats:
        with self._lock:
            self._send("stats")
            raw = json.loads(self._line())
        return ServerStats(
            requests=raw["requests"],
            by_status={int(k): v for k, v in raw["by_status"].items()},
            first_arrival=raw["first_arrival"],
            last_arrival=raw["last_arrival"],
            busiest_window=raw["busiest_window"],
            arrivals=raw["arrivals"],
        )

    def _send(self, command: str) -> None:
        assert self._child is not None and self._child.stdin is not None
        self._child.stdin.write(command + "\n")
        self._child.stdin.flush()

    def _line(self) -> str:
        assert self._child is not None and self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("sandbox process ended unexpectedly")
        return line


def _serve(args: argparse.Namespace, commands: IO[str], out: IO[str]) -> None:
    from orders_connector.sandbox import Faults, SandboxConfig, SandboxServer
    from orders_connector.sandbox.store import SERIALIZED_CACHE_SIZE

    config = SandboxConfig(
        orders=args.orders,
        start=args.start,
        end=args.end,
        seed=args.seed,
        token=TOKEN,
        per_page_cap=args.per_page_cap,
        faults=Faults(
            latency_ms=args.latency_ms,
            rate_limit_per_minute=args.rate_limit,
            rate_limit_window_seconds=args.window_seconds,
        ),
    )
    with SandboxServer(config) as server:
        if args.warm and config.orders <= SERIALIZED_CACHE_SIZE:
            # A real API answers from its database at a steady pace; generating orders on first
            # read (~0.5 ms each) would make the sandbox, not the client, the bottleneck.
            server.state.render_json_many(
                range(1, config.orders + 1), embed_items=config.embed_items
            )
        print(server.base_url, file=out, flush=True)
        for line in commands:
            command = line.strip()
            if command == "quit":
                break
            if command == "stats":
                requests = server.state.requests
                arrivals = [r.time for r in requests]
                answer: dict[str, Any] = {
                    "requests": len(requests),
                    "by_status": dict(collections.Counter(r.status for r in requests)),
                    "first_arrival": min(arrivals, default=0.0),
                    "last_arrival": max(arrivals, default=0.0),
                    "busiest_window": busiest_window(arrivals, args.window_seconds),
                    "arrivals": [round(at - min(arrivals), 4) for at in sorted(arrivals)],
                }
                print(json.dumps(answer), file=out, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--end", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=None)
    parser.add_argument("--window-seconds", type=float, default=60.0)
    parser.add_argument("--per-page-cap", type=int, default=100)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-warm", dest="warm", action="store_false", help="serve cold")
    _serve(parser.parse_args(), sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
