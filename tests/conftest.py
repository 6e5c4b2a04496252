"""Shared pytest fixtures. Each block is owned by the module named in its header."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from orders_connector.sandbox import SandboxConfig, SandboxServer

# --- hypothesis (owner: the lead) -----------------------------------------------------------
# CI explores the same examples on every run, so a red build always means a change broke
# something; local runs keep exploring new examples (and found real bugs that way).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# --- sandbox fixtures (owner: orders_connector/sandbox) ---------------------------------------

SANDBOX_TOKEN = "test-token"
SANDBOX_DEFAULTS: dict[str, Any] = {
    "orders": 300,
    "start": dt.date(2025, 10, 1),
    "end": dt.date(2025, 10, 10),
    "seed": 7,
    "token": SANDBOX_TOKEN,
}

MakeSandbox = Callable[..., SandboxServer]


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    """make_sandbox(**SandboxConfig overrides) -> a started server, stopped at teardown.

    Defaults: 300 orders over 2025-10-01..2025-10-10, seed 7, token "test-token".
    """
    started: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        server = SandboxServer(SandboxConfig(**{**SANDBOX_DEFAULTS, **overrides})).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> SandboxServer:
    """A started sandbox with the default small data set (see make_sandbox)."""
    return make_sandbox()


# --- end of sandbox fixtures ------------------------------------------------------------------
