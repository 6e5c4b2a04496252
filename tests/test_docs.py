"""The README's configuration table names every setting the code reads."""

from __future__ import annotations

from pathlib import Path

from orders_connector.settings import API_ENV_VARS, SYNC_ENV_VARS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_environment_variable_is_documented() -> None:
    documented = {
        line.split("`")[1] for line in README.splitlines() if line.startswith("| `ORDERS_")
    }
    assert set(API_ENV_VARS.values()) | set(SYNC_ENV_VARS.values()) <= documented


def test_readme_gives_exactly_two_setup_commands() -> None:
    block = README.split("## Two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert [c.split()[0] for c in commands] == ["./scripts/demo", "./scripts/test"]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test" in ci
