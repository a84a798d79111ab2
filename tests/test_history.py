"""Historical cases: the format, membership by date, the scores' arithmetic, validate's output."""

import json
import subprocess
import sys
import datetime as dt

import pytest
import yaml

import sim
import sim.history
from sim.errors import ConfigError
from sim.history import Decision, accuracy, base_rates, brier, case_paths, load_case, score

from .conftest import ROOT, write_yaml

CASE = """\
case: drawn
title: A case the repository does not hold
scenario:
  name: drawn
  title: drawn
  start_date: {date}
  days: 20
  events:
    - date: {date}
      kind: {kind}
      target: {target}
      perpetrator: {perp}
      perpetrator_kind: {perp_kind}
      deaths: 3
observed:
  article4_requested_by: {art4}
  article5_invoked: false
  eu_42_7_invoked: false
"""


def case_text(date="2019-06-01", kind="armed_attack", target="LTU", perp="RUS", perp_kind="state", art4="[LTU]"):
    return CASE.format(date=date, kind=kind, target=target, perp=perp, perp_kind=perp_kind, art4=art4)


@pytest.mark.parametrize("on, nato, eu", [("2001-09-11", 19, 15), ("2015-11-13", 28, 28), ("2025-09-19", 32, 27)])
def test_membership_follows_the_date(on, nato, eu):
    table = sim.load_states()
    day = dt.date.fromisoformat(on)
    assert len(table.nato_members(day)) == nato
    assert len(table.eu_members(day)) == eu


def test_shipped_cases_load():
    cases = [load_case(p) for p in case_paths(None)]
    assert {c.case for c in cases} >= {"usa_2001_09", "tur_2012_10", "pol_2014_03", "fra_2015_11", "bel_2016_03",
                                       "ukr_2022_02", "est_2025_09"}
    usa = next(c for c in cases if c.case == "usa_2001_09")
    assert len(usa.nato_members) == 19 and not usa.eu_42_7_applies


def test_any_case_file_works(tmp_path):
    for i, (date, kind, target, perp, kind_p) in enumerate([
        ("1999-04-01", "war_threat", "HUN", "SRB", "state"), ("2010-05-05", "terror_attack", "ESP", "a cell", "non_state"),
        ("2024-03-08", "invasion", "MDA", "RUS", "state"), ("2026-01-10", "airspace_violation", "FIN", "RUS", "state"),
    ]):
        path = write_yaml(tmp_path / f"c{i}.yaml", case_text(date, kind, target, perp, kind_p, "[]"))
        case = load_case(path)
        res = sim.history.validate([case], replicates=5, seed=1)
        assert set(res["cases"][0]["article4"]) == set(case.nato_members)


@pytest.mark.parametrize("edit, key", [
    (lambda t: t.replace("article5_invoked: false", "article5_invoked: maybe"), "observed.article5_invoked"),
    (lambda t: t.replace("article4_requested_by: [LTU]", "article4_requested_by: [XXZ]"), "observed.article4_requested_by"),
    (lambda t: t.replace("article4_requested_by: [LTU]", "article4_requested_by: [SWE]"), "observed.article4_requested_by"),
    (lambda t: t.replace("target: LTU", "target: XXY"), "scenario.events.0.target"),
    (lambda t: t.replace("kind: armed_attack", "kind: cyber"), "scenario.events.0.kind"),
    (lambda t: t.replace("observed:", "observd:"), "observd"),
    (lambda t: t + "  colour: red\n", "observed.colour"),
])
def test_bad_case_files_name_the_key(tmp_path, edit, key):
    path = write_yaml(tmp_path / "bad.yaml", edit(case_text()))
    with pytest.raises(ConfigError) as info:
        load_case(path)
    assert info.value.key == key, str(info.value)


def test_missing_states_are_named_together(tmp_path):
    text = case_text().replace("days: 20", "days: 20\n  include: [QQA, QQB]")
    with pytest.raises(ConfigError) as info:
        load_case(write_yaml(tmp_path / "m.yaml", text))
    assert "QQA" in str(info.value) and "QQB" in str(info.value)


def test_score_arithmetic_by_hand():
    decisions = [
        Decision("a", "article4:X", "article4", 0.8, True),
        Decision("a", "article4:Y", "article4", 0.1, False),
        Decision("a", "article5", "article5", 0.3, True),
        Decision("b", "article4:X", "article4", 0.6, False),
        Decision("b", "article5", "article5", 0.0, False),
    ]
    # Brier: mean of (p - o)^2 = (0.04 + 0.01 + 0.49 + 0.36 + 0) / 5
    assert brier([d.probability for d in decisions], [d.observed for d in decisions]) == pytest.approx(0.18)
    # Most likely outcome right in 3 of 5 (0.8 yes, 0.1 no, 0.0 no).
    assert accuracy([d.probability for d in decisions], [d.observed for d in decisions]) == pytest.approx(0.6)
    assert base_rates(decisions) == {"article4": pytest.approx(1 / 3), "article5": 0.5}
    s = score(decisions)
    # Baseline predicts 1/3 for every article4 and 0.5 for article5.
    expected = ((1 / 3 - 1) ** 2 + (1 / 3) ** 2 + 0.25 + (1 / 3) ** 2 + 0.25) / 5
    assert s["baseline_brier"] == pytest.approx(expected)
    assert s["baseline_accuracy"] == pytest.approx(3 / 5)  # 1/3 -> no (2 right), 0.5 -> yes (1 right)


def test_validate_json_has_the_documented_shape(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", case_text())
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(path), str(ROOT / "configs/history/fra_2015_11.yaml"),
                           "--replicates", "20", "--seed", "3", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # the v1 fields, beside the v2 ones
    assert {"cases", "brier", "accuracy", "baseline_brier", "baseline_accuracy", "decisions"} <= set(out)
    assert [c["case"] for c in out["cases"]] == ["drawn", "fra_2015_11"]
    for c in out["cases"]:
        assert {"case", "article4", "article5", "eu_42_7", "observed"} <= set(c)
        assert all(0 <= p <= 1 for p in c["article4"].values())
    assert out["cases"][1]["observed"]["eu_42_7_invoked"] is True
    bad = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(tmp_path / "nope.yaml")],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_calibrate_writes_a_usable_preset(tmp_path):
    out = tmp_path / "fitted.yaml"
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "calibrate", str(ROOT / "configs/history/tur_2012_10.yaml"),
                           str(ROOT / "configs/history/est_2025_09.yaml"), "--points", "3", "--replicates", "4",
                           "--rounds", "1", "--restarts", "2", "--score-replicates", "10", "--out", str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "Leave-one-case-out" in proc.stdout and "In-sample" in proc.stdout
    text = out.read_text()
    assert text.startswith("# Calibrated rules") and "base: baseline" in text
    data = yaml.safe_load(text)
    fitted = {k: v for k, v in data.items() if k != "base"}
    assert set(fitted) == set(sim.history.CALIBRATED_WEIGHTS)
    for name, value in fitted.items():
        lo, hi = sim.history.CALIBRATED_WEIGHTS[name]
        assert lo <= value <= hi
    scenario = sim.load_scenario(ROOT / "configs/scenarios/paris_2015.yaml", {"rules": fitted})
    assert scenario.rules.art4_bias == fitted["art4_bias"]


def test_validate_under_a_lens_changes_the_rules_of_every_case():
    cases = [load_case(ROOT / "configs/history/usa_2001_09.yaml")]
    plain = sim.history.validate(cases, replicates=30, seed=2)
    eager = sim.history.validate(cases, replicates=30, seed=2, rules={"art5_bias": 5.0})
    assert eager["cases"][0]["article5"] > plain["cases"][0]["article5"]
    with pytest.raises(Exception):
        sim.history.validate(cases, replicates=3, rules={"art5_bias": "high"})
    bad = subprocess.run([sys.executable, "-m", "sim.cli", "validate", "--rules", "realst"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "did you mean realist" in bad.stderr
