"""Shared fixtures: the repository's Paris scenario and small hand-made worlds."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import sim
from sim.states import REQUIRED_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
PARIS = ROOT / "configs" / "scenarios" / "paris_2015.yaml"


def state_row(code, **kw):
    row = {
        "iso3": code, "name": f"State {code}", "nato_accession": "1949-08-24", "eu_accession": "",
        "eu_exit": "", "unsc_permanent": "false", "population": 10_000_000, "milex_usd_bn": 5,
        "strike_aircraft": 60, "neighbours": "", "approval_regime": "executive",
        "legislature_name": f"Parliament of {code}", "legislature_seats": 200,
        "public_support": 0.6, "threat_perception": 0.5, "preferred_institution": "nato",
        "autonomy_preference": 0.3, "casualty_aversion": 0.5, "assad_stance": -0.5, "west_alignment": 0.8,
        "source": "test", "status": "estimate", "notes": "",
    }
    row.update(kw)
    return row


def write_states(path: Path, rows: list[dict]) -> Path:
    columns = list(REQUIRED_COLUMNS) + ["source", "status", "notes"]
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


@pytest.fixture(scope="session")
def paris():
    return sim.load_scenario(PARIS)


@pytest.fixture
def mini_states(tmp_path):
    """Four NATO allies (AAA..DDD; AAA and BBB also in the EU), one rival
    (RRR, a permanent UNSC member) and a host state (HHH)."""
    rows = [
        state_row("AAA", eu_accession="1958-01-01", neighbours="BBB", autonomy_preference=0.2),
        state_row("BBB", eu_accession="1958-01-01", neighbours="AAA;CCC", approval_regime="prior_vote"),
        state_row("CCC", neighbours="BBB;RRR", approval_regime="convention"),
        state_row("DDD", nato_accession="2004-03-29"),
        state_row("RRR", nato_accession="", unsc_permanent="true", neighbours="CCC", west_alignment=-0.6,
                  assad_stance=1.0),
        state_row("HHH", nato_accession="", west_alignment=0.0),
    ]
    return write_states(tmp_path / "states.csv", rows)


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def pytest_addoption(parser):
    parser.addoption("--property-examples", type=int, default=12,
                     help="examples per property-based test (default 12; try 500 for a long run)")
