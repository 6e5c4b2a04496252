"""The request and answer the API app works on, free of any server machinery."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    method: str  # as sent
    path: str  # without the query string
    query: dict[str, str]  # the last value of each name wins, as in PHP
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    base_url: str  # scheme://host:port the client addressed


@dataclass
class Outcome:
    """What the request logs need beyond the status."""

    token_ok: bool = False
    effective_method: str = ""
    method_override: bool = False
    order_id: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    applied: bool = False


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    outcome: Outcome = field(default_factory=Outcome)


def encode_json(payload: Any) -> bytes:
    # json_encode's defaults: non-ASCII escaped as \uXXXX.
    return json.dumps(payload, separators=(",", ":")).encode()


def json_response(status: int, payload: Any, **headers: str) -> Response:
    return Response(status=status, body=encode_json(payload), headers=dict(headers))


def list_response(status: int, payload: Mapping[str, Any], data_json: Sequence[bytes]) -> Response:
    """`json_response` of a payload whose first key is `data`, given as already-encoded items.

    The bytes are the same as encoding the whole payload at once; the page's orders are not
    encoded again on every read.
    """
    head = encode_json({**payload, "data": []})
    opening = b'{"data":['
    if not head.startswith(opening + b"]"):
        raise ValueError("payload must start with its data list")
    body = opening + b",".join(data_json) + head[len(opening) :]
    return Response(status=status, body=body)


def message(status: int, text: str) -> Response:
    return json_response(status, {"message": text})


def parse_body(request: Request) -> dict[str, Any]:
    """JSON or form input as Laravel reads it; empty strings become null, as its middleware does."""
    if not request.body:
        return {}
    content_type = request.headers.get("content-type", "").lower()
    parsed: Any = None
    if "x-www-form-urlencoded" in content_type:
        parsed = _form(request.body)
    elif "json" in content_type:
        parsed = _json(request.body)
    else:
        parsed = _json(request.body)
        if parsed is None:
            parsed = _form(request.body)
    if not isinstance(parsed, dict):
        return {}
    return {str(k): (None if v == "" else v) for k, v in parsed.items()}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}
