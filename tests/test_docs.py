"""docs/ODD.md documents every rule weight with its default, and stays free of LaTeX."""

from pathlib import Path

import pytest

from sim.scenario import Rules

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"


def _default_text(value) -> str:
    return value if isinstance(value, str) else f"{value:g}"


@pytest.fixture(scope="module")
def odd_lines() -> list[str]:
    return ODD.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("name", list(Rules.model_fields))
def test_every_rule_field_documented_with_its_default(name, odd_lines):
    default = _default_text(Rules.model_fields[name].default)
    lines = [line for line in odd_lines if f"`{name}`" in line]
    assert lines, f"Rules.{name} does not appear in docs/ODD.md in backticks"
    assert any(default in line for line in lines), (
        f"Rules.{name}: no line naming `{name}` also gives its default {default}"
    )


def test_odd_has_no_dollar_signs():
    assert "$" not in ODD.read_text(encoding="utf-8")

