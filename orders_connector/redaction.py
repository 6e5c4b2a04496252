"""The one place that removes secrets from text before it is logged or raised.

The transport and the client build every error message and log line through a `Redactor`, and
the package logger carries a `RedactingFilter` while a transport is open, as a second net.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

REDACTED: Final = "[REDACTED]"

SECRET_HEADERS: Final[frozenset[str]] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)

# Whatever the token is, these shapes carry a credential: `Bearer <x>` and the `?token=` form
# the old docs describe.
_CREDENTIAL_SHAPES: Final = (
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
    re.compile(r"(?i)((?:access_)?token=)[^&\s\"']+"),
    re.compile(r"(?i)(\"(?:access_)?token\"\s*:\s*\")[^\"]*"),
)


class Redactor:
    """Removes the given secrets, and anything shaped like a credential, from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def text(self, value: object) -> str:
        """`str(value)` with every secret replaced by [REDACTED]."""
        out = value if isinstance(value, str) else str(value)
        for secret in self._secrets:
            out = out.replace(secret, REDACTED)
        for shape in _CREDENTIAL_SHAPES:
            out = shape.sub(lambda m: m.group(1) + REDACTED, out)
        return out

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of `headers` safe to dump: credential headers blanked, the rest redacted."""
        return {
            name: REDACTED if name.lower() in SECRET_HEADERS else self.text(value)
            for name, value in headers.items()
        }

    def value(self, value: Any) -> Any:
        """Redact strings inside nested dicts and lists (e.g. a 422 `errors` map)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value


def redact(text: object, secrets: Iterable[str]) -> str:
    """One-off form of `Redactor(secrets).text(text)`."""
    return Redactor(secrets).text(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no secret of `redactor` reaches any handler."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redactor.text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
