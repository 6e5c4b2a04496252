"""docs/tables.md, the column dictionary, is generated from schema.py and kept up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from orders_connector.docs_gen import main, render_tables_markdown
from orders_connector.reporting import STUCK_RETURN_DAYS
from orders_connector.schema import TABLES, VIEWS

REPO = Path(__file__).resolve().parent.parent
TABLES_MD = REPO / "docs" / "tables.md"


def test_docs_tables_md_is_what_the_generator_writes_now() -> None:
    assert TABLES_MD.read_text(encoding="utf-8") == render_tables_markdown(), (
        "docs/tables.md is out of date: run scripts/gen_docs"
    )


def test_every_table_view_and_column_is_documented() -> None:
    text = render_tables_markdown()
    for schema in [*TABLES.values(), *VIEWS.values()]:
        assert f"### {schema.name}\n" in text
        for column in schema.columns:
            assert f"| `{column.name}` | {column.type} |" in text


def test_check_mode_fails_on_a_stale_file_and_the_generator_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "docs" / "tables.md"
    assert main(["--check", "--output", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--output", str(target)]) == 0
    assert main(["--check", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_tables_markdown()


def test_the_documented_stuck_threshold_is_the_one_the_view_uses() -> None:
    # tests/test_reporting.py checks that stuck_returns filters on STUCK_RETURN_DAYS.
    assert f"more than {STUCK_RETURN_DAYS} days" in VIEWS["stuck_returns"].description
