"""The golden record: today's runs are identical, row for row, to the ones
recorded in tests/golden/ (see tests/golden/make_golden.py, which also
regenerates them when behaviour changes on purpose)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_golden", HERE / "golden" / "make_golden.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

RECORDS = dict(golden.records(quick=True))


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_runs_match_the_golden_record(name):
    stored = golden.read(name)
    fresh = RECORDS[name]()
    assert len(stored["summaries"]) == len(fresh["summaries"]) > 0
    assert golden.same(stored, fresh) == []


def test_the_record_notices_a_change():
    stored = golden.read("roleplay")
    changed = dict(stored, timeseries=stored["timeseries"].copy())
    changed["timeseries"].loc[5, "threat"] += 1e-12
    diffs = golden.same(stored, changed)
    assert len(diffs) == 1 and diffs[0].startswith("timeseries")
