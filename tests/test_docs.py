"""docs/ODD.md documents every rule weight with its default, and stays free of LaTeX."""

from pathlib import Path

import pytest

from sim.scenario import Rules

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"


@pytest.fixture(scope="module")
def parameter_table() -> dict[str, str]:
    """The parameter table's rows: `name` -> the text of its default cell."""
    rows = {}
    for line in ODD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows.setdefault(cells[0].strip("`"), cells[1])
    return rows


@pytest.mark.parametrize("name", list(Rules.model_fields))
def test_every_rule_field_documented_with_its_default(name, parameter_table):
    default = Rules.model_fields[name].default
    assert name in parameter_table, f"Rules.{name} has no row in the parameter table of docs/ODD.md"
    cell = parameter_table[name].strip("`")
    if isinstance(default, str):
        assert cell == default, f"Rules.{name}: docs say {cell}, code says {default}"
    else:
        assert float(cell.replace(",", "").replace("_", "")) == pytest.approx(float(default), rel=1e-9), (
            f"Rules.{name}: docs say {cell}, code says {default}")


def test_odd_has_no_dollar_signs():
    assert "$" not in ODD.read_text(encoding="utf-8")

