"""The repository's states table: coverage, sources, consistency."""

from __future__ import annotations

import csv

from tests.conftest import ROOT

TABLE = ROOT / "configs" / "states" / "states.csv"


def rows():
    with open(TABLE, newline="") as fh:
        return {row["iso3"]: row for row in csv.DictReader(fh)}


def test_every_row_cites_a_source_and_says_what_is_estimated():
    for code, row in rows().items():
        assert row["source"].strip(), code
        assert row["status"].strip(), code


def test_the_states_the_scenarios_need_are_there():
    table = rows()
    needed = {"RUS", "CHN", "AUS", "JOR", "SAU", "ARE", "BHR", "QAT", "IRQ", "SYR", "UKR", "BLR"}
    assert needed <= set(table)
    nato = [c for c, r in table.items() if r["nato_accession"]]
    assert len(nato) == 32
    assert table["GBR"]["eu_exit"] == "2020-01-31"


def test_neighbours_are_symmetric_and_known():
    table = rows()
    for code, row in table.items():
        for other in filter(None, row["neighbours"].split(";")):
            assert other in table, (code, other)
            assert code in table[other]["neighbours"].split(";"), (code, other)
