"""The SQL files of `sql/`, loaded by name.

The files ship inside the wheel as `orders_connector/sql/`; in an editable install they are only at
the repository root, next to the package. Values are always bound as parameters, never formatted
into the text, so a file is read once and cached.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_REPO_SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


class SqlFileNotFoundError(FileNotFoundError):
    """No `sql/<name>.sql` in the installed package nor next to it."""


def load_sql(name: str) -> str:
    """The text of `sql/<name>.sql` (package data first, then the repository's `sql/`)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a SQL file name: {name!r} (lower-case letters, digits, '_')")
    return _load(name)


@cache
def _load(name: str) -> str:
    filename = f"{name}.sql"
    packaged = resources.files("orders_connector").joinpath("sql", filename)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    beside = _REPO_SQL_DIR / filename
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    raise SqlFileNotFoundError(
        f"SQL file {filename!r} not found in the package (orders_connector/sql/) "
        f"nor in {_REPO_SQL_DIR}"
    )
