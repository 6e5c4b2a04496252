"""A local imitation of the FIRST LINE Orders API, served over loopback by a real HTTP server.

It shares no parsing or serialisation code with the client, only the published enum lists,
so a client bug cannot hide behind the same bug here.

    cfg = SandboxConfig(orders=500, start=date(2025, 10, 1), end=date(2025, 10, 31), seed=7,
                        token="sandbox-token", faults=Faults(rate_limit_per_minute=60))
    with SandboxServer(cfg) as sb:          # port 0: a free port
        sb.base_url                         # "http://127.0.0.1:PORT" (client appends /api/v1)
        sb.faults.error_rate = 0.2          # live switches
        sb.state.orders_on(date(2025, 10, 3))   # the truth for one day window
        sb.state.writes, sb.state.requests      # what the server received

Behaviour choices where the vendor documents nothing: sort is id DESC; `links` carry only
`?page=N` (Laravel's default, filters are not kept); `per_page` is silently capped;
`order_created_at__end` is inclusive unless `end_inclusive=False`; the server's enum lists are
the published ones plus the undocumented values it serves, so echoing a served value back
never fails validation; `order_created_at` is always a real datetime (the server filters on it).
"""

from orders_connector.sandbox.config import DropPhase, Faults, SandboxConfig
from orders_connector.sandbox.records import RecordedRequest, RecordedWrite
from orders_connector.sandbox.server import SandboxServer, serve_forever
from orders_connector.sandbox.state import SandboxState

__all__ = [
    "DropPhase",
    "Faults",
    "RecordedRequest",
    "RecordedWrite",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "serve_forever",
]
