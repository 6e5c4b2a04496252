"""The sandbox on a real socket: stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive.

The handler owns what only a transport can do: drop a connection without an answer, hold an
answer back, or let a "proxy" answer instead of the app.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from orders_connector.sandbox.app import WRITE_METHODS, SandboxApp
from orders_connector.sandbox.config import Faults, SandboxConfig
from orders_connector.sandbox.faults import FaultInjector, html_200_page, proxy_error_page
from orders_connector.sandbox.http_types import Request, Response, message
from orders_connector.sandbox.records import RecordedRequest, RecordedWrite
from orders_connector.sandbox.state import SandboxState

_HTML = "text/html; charset=UTF-8"


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name, which can hang without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        # The default access log prints request lines, and `?token=` would be in them.
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        arrived = time.monotonic()
        request = self._read_request()
        faults = sandbox.faults
        # The answer starts `latency_ms` after the request arrived, the sandbox's own work
        # included: a 100 ms server takes 100 ms, not 100 ms plus however long Python took.
        answer_at = arrived + faults.latency_ms / 1000
        decision = sandbox.injector.decide()
        if decision.drop and faults.drop_phase == "before":
            sandbox.pause(answer_at - time.monotonic())
            self._record(request, sandbox.app.describe(request).__dict__, arrived, 0)
            self._drop()
            return
        if decision.error_status is not None:
            response = Response(
                decision.error_status, proxy_error_page(decision.error_status), _HTML
            )
            response.outcome = sandbox.app.describe(request)
        elif decision.html_200:
            response = Response(200, html_200_page(), _HTML)
            response.outcome = sandbox.app.describe(request)
        else:
            response = self._handle(request)
        sandbox.pause(answer_at - time.monotonic())
        if decision.drop:
            self._record(request, response.outcome.__dict__, arrived, 0)
            self._drop()
            return
        # Logged before sending, so a client that has its answer also finds it in the log.
        self._record(request, response.outcome.__dict__, arrived, response.status)
        if decision.stall_seconds > 0:
            sandbox.pause(decision.stall_seconds)
        self._send(response)

    def _read_request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        host = self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}"
        return Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )

    def _handle(self, request: Request) -> Response:
        try:
            return self.server.sandbox.app.handle(request)
        except Exception:
            # A sandbox bug must show up as a loud 500, not as a hung test.
            traceback.print_exc(file=sys.stderr)
            response = message(500, "Server Error")
            response.outcome = self.server.sandbox.app.describe(request)
            return response

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-cache, private")
            self.send_header("X-Request-Id", uuid.uuid4().hex)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:
            # The client gave up (a read timeout during a stall): nothing reached it.
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _record(
        self, request: Request, outcome: dict[str, Any], arrived: float, status: int
    ) -> None:
        state = self.server.sandbox.state
        state.record_request(
            RecordedRequest(
                time=arrived,
                method=request.method,
                path=request.path,
                query={k: ("***" if k == "token" else v) for k, v in request.query.items()},
                status=status,
                token_ok=bool(outcome["token_ok"]),
            )
        )
        if request.method in WRITE_METHODS:
            state.record_write(
                RecordedWrite(
                    method=request.method,
                    method_override=bool(outcome["method_override"]),
                    path=request.path,
                    order_id=outcome["order_id"],
                    body=dict(outcome["body"]),
                    status=status,
                    applied=bool(outcome["applied"]),
                    time=arrived,
                )
            )


class SandboxServer:
    """A FIRST LINE Orders API on a loopback port; use as a context manager or start()/stop()."""

    def __init__(self, config: SandboxConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self._faults = dataclasses.replace(config.faults)
        self.state = SandboxState(config, self._faults)
        self.app = SandboxApp(self.state)
        self.injector = FaultInjector(self._faults, config.seed)
        self._address = (host, port)
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def __repr__(self) -> str:
        where = self.base_url if self._http else "not started"
        return f"SandboxServer({where}, orders={self.config.orders}, seed={self.config.seed})"

    @property
    def faults(self) -> Faults:
        """The live fault switches: change fields, or assign a new Faults, at any time."""
        return self._faults

    @faults.setter
    def faults(self, new: Faults) -> None:
        for field in dataclasses.fields(Faults):
            setattr(self._faults, field.name, getattr(new, field.name))

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("sandbox server is not started")
        return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        """http://HOST:PORT, without /api/v1."""
        host = self._address[0]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def start(self) -> SandboxServer:
        if self._http is not None:
            return self
        self._stopping.clear()
        self._http = _HttpServer(self._address, self)
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            # Short polls make stop() quick; test suites start and stop hundreds of servers.
            kwargs={"poll_interval": 0.02},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        http, thread = self._http, self._thread
        if http is None:
            return
        self._stopping.set()
        http.shutdown()
        http.server_close()
        with http.connections_lock:
            connections = list(http.open_connections)
        # Keep-alive connections would otherwise hold their threads until the client leaves.
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._http = self._thread = None

    def pause(self, seconds: float) -> None:
        """Sleep that ends early when the server stops, so stalls never outlive a test."""
        if seconds <= 0:
            return
        self._stopping.wait(seconds)

    def wait(self) -> None:
        """Block until stop() is called (or Ctrl-C)."""
        while self._http is not None and not self._stopping.wait(0.5):
            pass

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(cfg: SandboxConfig, host: str, port: int) -> None:
    """Run a sandbox until Ctrl-C; prints its base URL (alone, on stdout) once it listens."""
    server = SandboxServer(cfg, host=host, port=port)
    server.start()
    print(server.base_url, flush=True)
    print(
        f"sandbox: {cfg.orders} orders {cfg.start}..{cfg.end}, seed {cfg.seed}; "
        f"API at {server.base_url}/api/v1; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
