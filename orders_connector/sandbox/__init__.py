"""A local imitation of the FIRST LINE Orders API, served over loopback by a real HTTP server.

It shares no parsing or serialisation code with the client, only the published enum lists,
so a client bug cannot hide behind the same bug here.
"""

from orders_connector.sandbox.config import Faults, SandboxConfig
from orders_connector.sandbox.records import RecordedRequest, RecordedWrite
from orders_connector.sandbox.server import SandboxServer, serve_forever
from orders_connector.sandbox.state import SandboxState

__all__ = [
    "Faults",
    "RecordedRequest",
    "RecordedWrite",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "serve_forever",
]
