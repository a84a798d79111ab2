"""The judge: the v2 case schema and its errors, scoring with known answers,
impossible decisions kept apart, folds that never see the scored case, the
report, calibrate's restarts and its reproducible preset, the size limits."""

import json
import numpy as np
import pytest
import yaml

import sim.history as H
from sim.errors import ConfigError
from sim.history import Decision, headline, load_case, rps_days
from sim.history.validate import protocols

from .conftest import ROOT, write_yaml

FIXTURE = ROOT / "tests" / "fixtures" / "history" / "v2_small.yaml"


class _Proc:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(*args):
    """The command line, in this process (a subprocess per call is too slow for the suite)."""
    import contextlib
    import io

    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
    return _Proc(code, out.getvalue(), err.getvalue())


# ---------------------------------------------------------------- schema


def test_v2_case_dates_become_days():
    case = load_case(FIXTURE)
    f = case.facts
    assert f.art4 == {"LTU": 1}
    assert f.eu427 == (True, 4) and f.art5 == (False, None)
    assert f.un == (False, None)  # a vetoed draft is no resolution
    assert f.commitments == (("LTU", 1, 2),) and f.not_reached == (("POL", 4),)
    assert f.votes == (("LTU", 3, 3, True),) and f.stances == (("RUS", 0, 0),)
    assert case.tags == ("test", "state")
    assert "LTU" in case.article4_candidates and "POL" in case.article4_candidates  # victim, and a neighbour
    assert "PRT" not in case.article4_candidates


def test_v1_cases_still_load_and_score_the_same_fields():
    case = load_case(ROOT / "tests/fixtures/history/v1_tur_2012_10.yaml")
    assert case.facts.art4 == {"TUR": None}
    res = H.validate([case], replicates=10, seed=0)
    row = res["cases"][0]
    assert {"case", "title", "article4", "article5", "eu_42_7", "observed"} <= set(row)
    assert set(row["article4"]) == set(case.nato_members)  # v1: every member
    assert res["decisions"] == len(case.nato_members) + 1


def _edited(tmp_path, old, new):
    text = FIXTURE.read_text()
    assert old in text, old
    return write_yaml(tmp_path / "bad.yaml", text.replace(old, new, 1))


@pytest.mark.parametrize("old, new, key, words", [
    ("date: 2019-06-02, source", "date: 2019-05-02, source", "observed.article4_requests.0.date", "before"),
    ("{state: LTU, date: 2019-06-02", "{state: SWE, date: 2019-06-02", "observed.article4_requests.0.state", "NATO"),
    ("level: political", "level: polite", "observed.commitments.0.level", ""),
    ("{state: POL, level", "{state: QQQ, level", "observed.not_reached.0.state", "QQQ"),
    ("{state: POL, level", "{state: AUS, level", "observed.not_reached.0.state", "include"),
    ("{state: RUS, stance: oppose, date", "{state: CHN, stance: oppose, date", "observed.stances.0.state", "stance"),
    ("passed: true, level", "pased: true, level", "observed.votes.0.pased", "did you mean passed"),
    ("  article5: {invoked: false}", "  article5: {invoked: false, date: 2019-06-02}", "observed.article5", "invoked"),
    ("  article5: {invoked: false}\n", "", "observed", "article5"),
    ("vetoes: [RUS]", "vetoes: [XXQ]", "observed.un_resolutions.0.vetoes.0", "XXQ"),
    ("  sources:", "  source:", "observed.source", "did you mean sources"),
    ("tags: [test, state]", "tag: [test]", "tag", "did you mean tags"),
])
def test_v2_errors_name_file_and_key(tmp_path, old, new, key, words):
    path = _edited(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_case(path)
    assert info.value.key == key and info.value.file == str(path), str(info.value)
    assert words in str(info.value)
    proc = cli("check", path)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_duplicate_case_names_refused(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", FIXTURE.read_text())
    write_yaml(tmp_path / "b.yaml", FIXTURE.read_text())
    with pytest.raises(ConfigError, match="also the name"):
        H.load_cases([str(tmp_path)])
    assert H.load_cases([str(a)])[0].case == "v2_small"


# ---------------------------------------------------------------- scoring


def _d(case, p, obs, kind="article4", name=None, day_probs=None, day=None, horizon=10, **features):
    return Decision(case, name or f"{kind}:{case}:{p}:{obs}", kind, p, obs, day_probs, day, horizon,
                    {"decision_kind": kind, **features})


def test_perfect_forecaster_scores_zero():
    ds = [_d("a", 1.0, True, day_probs=tuple(np.eye(10)[3]), day=3), _d("b", 0.0, False, kind="article5"),
          _d("c", 1.0, True, kind="vote")]
    h = headline(ds)
    # the 0.0 / not-happened one is impossible: out of the headline
    assert h["impossible"] == 1 and h["overall"]["decisions"] == 2
    assert h["overall"]["brier"] == 0.0 and h["overall"]["rps_days"] == 0.0


def test_constant_forecaster_has_its_known_score():
    ds = [_d(str(i), 0.3, i < 4) for i in range(10)]  # 4 of 10 happened
    h = headline(ds)
    # 0.4 * 0.7^2 + 0.6 * 0.3^2 = 0.196 + 0.054 = 0.25
    assert h["overall"]["brier"] == pytest.approx(0.25)
    assert h["kinds"]["article4"]["decisions"] == 10 and h["kinds"]["article4"]["happened"] == 4


def test_rps_over_days_by_hand():
    # all mass on day 2, observed day 4, horizon 5: cumulative differs on thresholds 2 and 3 -> 2/5
    assert rps_days(np.eye(5)[2], 4, 5) == pytest.approx(2 / 5)
    # nothing forecast (all "not by the horizon") for an event on day 0: every threshold wrong
    assert rps_days(np.zeros(5), 0, 5) == pytest.approx(1.0)
    # censored: an event after the horizon is scored as "not by the horizon"
    assert rps_days(np.zeros(5), 9, 5) == 0.0


def test_impossible_decisions_stay_out_of_the_headline():
    good = [_d("a", 0.6, True), _d("b", 0.4, False)]
    padding = [_d(f"z{i}", 0.001, False) for i in range(100)]
    h = headline(good + padding)
    assert h["overall"] == headline(good)["overall"]
    assert h["impossible"] == 100
    # but an event the rules call impossible that happened is informative (a miss)
    miss = headline(good + [_d("m", 0.001, True)])
    assert miss["overall"]["decisions"] == 3 and miss["overall"]["brier"] > h["overall"]["brier"]


def test_leave_one_out_never_sees_the_case_it_scores():
    cases = [load_case(ROOT / f"configs/history/{c}.yaml") for c in ("tur_2012_10", "est_2025_09", "usa_2001_09")]
    res = H.validate(cases, replicates=5, seed=0)
    seen = res["_seen"]["leave_one_out"]
    for c in cases:
        assert c.case not in seen[c.case] and len(seen[c.case]) == 2
    assert all(c.case in res["_seen"]["in_sample"][c.case] for c in cases)
    split = res["protocols"]["time_split"]
    assert not set(split["fit_cases"]) & set(split["scored_cases"])
    for c in split["scored_cases"]:
        assert c not in res["_seen"]["time_split"][c]


def test_out_of_fold_base_rate_by_hand():
    # case a: 1 of 2 happened; case b: 0 of 2. Out of fold, a's base rate is b's (0) and b's is a's (0.5).
    ds = [_d("a", 0.5, True), _d("a", 0.5, False, name="x"), _d("b", 0.5, False), _d("b", 0.5, False, name="y")]

    class C:
        def __init__(self, name, year):
            import datetime as dt
            self.case, self.start_date = name, dt.date(year, 1, 1)

    p = protocols(ds, [C("a", 2000), C("b", 2010)], None)
    # a: (0-1)^2 + 0 ; b: 0.25 + 0.25 -> mean 1.5 / 4
    assert p["leave_one_out"]["base_rate"]["overall"]["brier"] == pytest.approx(1.5 / 4)
    assert p["in_sample"]["base_rate"]["overall"]["brier"] == pytest.approx(
        np.mean([(0.25 - 1) ** 2, 0.25 ** 2, 0.25 ** 2, 0.25 ** 2]))
    assert p["leave_one_out"]["nothing"]["overall"]["brier"] == pytest.approx(0.25)


def test_v2_fixture_scores_every_observable():
    res = H.validate([load_case(FIXTURE)], replicates=8, seed=1)
    kinds = {d["kind"] for d in res["cases"][0]["decisions"]}
    assert kinds == {"article4", "article5", "eu_42_7", "un_resolution", "commitment", "vote", "stance"}
    assert set(res["protocols"]) == {"in_sample", "leave_one_out", "time_split"}


# ---------------------------------------------------------------- command line


def test_validate_json_report_and_limits(tmp_path):
    rep = tmp_path / "rep"
    proc = cli("validate", FIXTURE, ROOT / "configs/history/fra_2015_11.yaml", "--replicates", 10, "--json",
               "--report", rep, "--until", "2019-01-01")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"cases", "brier", "accuracy", "baseline_brier", "baseline_accuracy", "decisions",
            "headline", "impossible", "protocols", "verdicts"} <= set(out)
    assert out["protocols"]["time_split"]["scored_cases"] == ["v2_small"]
    html = (rep / "index.html").read_text()
    assert "reliability.png" in html and "leave_one_out" in html and (rep / "reliability.png").stat().st_size > 0
    assert (rep / "case_v2_small.png").exists()
    again = cli("validate", FIXTURE, "--replicates", 2, "--report", rep)
    assert again.returncode == 2 and "not empty" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    for args in (("validate", "--replicates", 10_001), ("validate", "--replicates", 0),
                 ("calibrate", "--points", 1_001), ("validate", "--until", "soon")):
        bad = cli(*args)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_full_case_base_with_few_replicates():
    cases = H.load_cases(None)
    res = H.validate(cases, replicates=4, seed=0)
    assert len(res["cases"]) == len(cases)
    assert res["headline"]["overall"]["decisions"] + res["headline"]["impossible"] == \
        sum(len(r["decisions"]) for r in res["cases"])


def test_calibrate_restarts_spread_and_reproducible_preset(tmp_path):
    args = [ROOT / "configs/history/tur_2012_10.yaml", ROOT / "configs/history/est_2025_09.yaml",
            "--points", 3, "--replicates", 3, "--score-replicates", 3, "--rounds", 0, "--restarts", 2,
            "--quiet"]
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    # the same command gives the same preset
    pa, pb = cli("calibrate", *args, "--workers", 1, "--out", a), cli("calibrate", *args, "--workers", 1, "--out", b)
    assert pa.returncode == 0 and pb.returncode == 0, pa.stderr
    assert "restarts" in pa.stdout
    ta, tb = a.read_text(), b.read_text()
    assert ta.replace(str(a), "") == tb.replace(str(b), "")  # same command, same preset
    header = next(line for line in ta.splitlines() if line.startswith("# Reproduce exactly: "))
    assert "--seed 0" in header and "--restarts 2" in header
    data = yaml.safe_load(ta)
    assert set(data) - {"base"} == set(H.CALIBRATED_WEIGHTS)


def test_shipped_preset_names_its_command():
    text = (ROOT / "configs/presets/calibrated.yaml").read_text()
    line = next(x for x in text.splitlines() if x.startswith("# Reproduce exactly: "))
    assert "coalition-sim calibrate" in line and "--seed" in line
    # the header is the canonical form of a command the parser accepts
    import shlex

    from sim.cli import build_parser
    from sim.history_cli import canonical_command

    command = line[len("# Reproduce exactly: "):]
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert canonical_command(args) == command
    weights = {k: v for k, v in yaml.safe_load(text).items() if k != "base"}
    assert set(weights) == set(H.CALIBRATED_WEIGHTS)
