"""analyze (kept outputs, categories, delta, merging), discover (to_ema, PRIM, CART) and the report's outcomes over time."""

from __future__ import annotations

import html
import importlib.util
import re

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.discover import condition, to_ema
from sim.errors import ConfigError
from sim.experiment import SweepResults, load_results, sweep
from sim.report import report
from sim.report.context import _load
from sim.report.figures import daily_series
from sim.sensitivity import analyze

from .conftest import PARIS, write_yaml

HAS_EMA = importlib.util.find_spec("ema_workbench") is not None
needs_ema = pytest.mark.skipif(not HAS_EMA, reason="ema_workbench not installed (the [discover] extra)")

LHS = f"""name: lhs_over_time
description: "Britain's public support and the obligation weight, over time"
scenario: {PARIS}
days: 40
replicates: 1
seed: 3
design:
  kind: lhs
  samples: 32
  parameters:
    overrides.GBR.public_support: {{low: 0.1, high: 0.9}}
    rules.obligation_weight: {{low: 0.3, high: 3.0}}
outputs:
  summary: [days, coalition_size, strike_capacity, article5_invoked, strike_day.syria.GBR, commitment.DNK, stance.RUS]
  timeseries: true
"""


@pytest.fixture(scope="module")
def lhs(tmp_path_factory):
    """A 32-point Latin hypercube that keeps its per-day tables."""
    folder = tmp_path_factory.mktemp("lhs")
    out = folder / "results"
    sweep(write_yaml(folder / "lhs.yaml", LHS), out, workers=1)
    return out


def test_analyze_keeps_every_output_and_reads_categories_as_probabilities(lhs):
    table, notes, path = analyze(lhs, delta_resamples=8)
    assert set(table["output"]) >= {"coalition_size", "strike_capacity", "strike_day.syria.GBR"}  # strike_day.* by default
    # Categorical outputs: one probability per category, never an ordered number.
    stance = table[table["output"] == "stance.RUS"]
    assert not stance.empty and stance["category"].notna().all()
    assert set(stance["category"]) <= {"oppose", "deconflict", "coordinate", "join"}
    assert table.loc[~table["output"].isin(["stance.RUS", "commitment.DNK"]), "category"].isna().all()
    # Not Sobol or Morris: the delta measure with its interval beside Spearman's rho with its interval.
    assert {"delta", "spearman"} <= set(table["method"])
    delta = table[(table["method"] == "delta") & (table["output"] == "strike_capacity")]
    assert len(delta) == 2 and (delta["delta"] >= 0).all() and (delta["delta_conf"] > 0).all()
    rho = table[table["method"] == "spearman"]
    assert rho["spearman"].between(-1, 1).all() and (rho["spearman_conf"] > 0).all()
    assert any("days: skipped" in n for n in notes)
    assert pd.read_csv(path)["output"].nunique() == table["output"].nunique()


def test_analyze_twice_keeps_both_outputs(lhs):
    analyze(lhs, ["coalition_size"], delta_resamples=4)
    first = pd.read_csv(lhs / "sensitivity.csv")
    analyze(lhs, ["strike_capacity"], delta_resamples=4)
    both = pd.read_csv(lhs / "sensitivity.csv")
    assert {"coalition_size", "strike_capacity"} <= set(both["output"])
    kept = both[both["output"] == "coalition_size"].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first[first["output"] == "coalition_size"].reset_index(drop=True))
    analyze(lhs, ["coalition_size"], delta_resamples=4)  # analysed again: replaced, not duplicated
    again = pd.read_csv(lhs / "sensitivity.csv")
    assert len(again[again["output"] == "coalition_size"]) == len(kept)


def test_analyze_with_nothing_to_analyse_exits_2(lhs, capsys):
    before = (lhs / "sensitivity.csv").read_bytes() if (lhs / "sensitivity.csv").exists() else None
    assert cli.main(["analyze", str(lhs), "--output", "days"]) == 2
    err = capsys.readouterr().err.strip()
    assert "nothing to analyse" in err and len(err.splitlines()) == 1
    after = (lhs / "sensitivity.csv").read_bytes() if (lhs / "sensitivity.csv").exists() else None
    assert after == before
    with pytest.raises(ConfigError, match="no analysable output"):
        analyze(lhs, ["no_such_output"])


def test_report_draws_outcomes_over_time_and_every_method(lhs):
    analyze(lhs, ["coalition_size", "stance.RUS"], delta_resamples=4)
    folder = report(lhs)
    names = {p.name for p in folder.glob("*.png")}
    assert {"over_time.png", "sensitivity.png", "sensitivity_spearman.png"} <= names
    page = html.unescape((folder / "index.html").read_text())
    assert "Outcomes over time" in page and 'href="report.css"' in page
    assert (folder / "report.css").read_text().startswith("body")
    assert "probability of each category" in page
    # The daily series end where the summaries end: same counting, run for run.
    daily = daily_series(_load(lhs))
    last = daily[daily["day"] == daily["day"].max()].set_index("run_id").sort_index()
    runs = load_results(lhs).set_index("run_id").sort_index()
    assert (last["coalition_size"].to_numpy() == runs["coalition_size"].to_numpy()).all()
    assert (last["strike_capacity"].to_numpy() == runs["strike_capacity"].to_numpy()).all()
    assert runs["coalition_size"].nunique() > 1


def test_to_ema_and_the_condition(lhs):
    res = load_results(lhs)
    experiments, outcomes = to_ema(res)
    assert list(experiments.columns) == ["overrides.GBR.public_support", "rules.obligation_weight"]
    assert len(experiments) == len(res)
    day = outcomes["strike_day.syria.GBR"]
    assert day.dtype == float and np.isnan(day).sum() == res["strike_day.syria.GBR"].isna().sum()
    assert outcomes["article5_invoked"].dtype == bool
    assert set(outcomes["stance.RUS"]) <= {"oppose", "deconflict", "coordinate", "join"}
    # A day that never came is later than any day.
    late = condition(res, "strike_day.syria.GBR > 35")
    early = condition(res, "strike_day.syria.GBR <= 35")
    assert (late ^ early).all()
    assert condition(res, 'commitment.DNK >= "training" and coalition_size > 0').dtype == bool
    with pytest.raises(ConfigError, match="names no output"):
        condition(res, "nothing <= 3")


def planted(n=400, seed=1) -> SweepResults:
    """Runs in which Britain strikes early exactly when a > 0.6 and b < 0.4 (plus noise)."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    inside = (a > 0.6) & (b < 0.4)
    day = np.where(inside, rng.integers(5, 30, n), rng.integers(40, 120, n))
    never = rng.uniform(size=n) < 0.2
    frame = pd.DataFrame({
        "run_id": np.arange(n), "point_id": np.arange(n), "replicate": 0, "seed": 0, "a": a, "b": b,
        "c": pd.Categorical(rng.choice(["x", "y", "z"], n)),
        "strike_day.syria.GBR": pd.array(np.where(never & ~inside, 0, day), dtype="Int32").astype("Int32"),
    })
    frame.loc[never & ~inside, "strike_day.syria.GBR"] = pd.NA
    res = SweepResults(frame)
    res.manifest = {"design": {"parameters": ["a", "b", "c"]}, "horizon": 120}
    res.path = "planted"
    return res


@needs_ema
def test_prim_finds_a_planted_box(tmp_path):
    from sim.discover import discover

    found = discover(planted(), "strike_day.syria.GBR <= 35", boxes=1, figure=tmp_path / "box.png")
    box = found.boxes[0]
    assert box.density > 0.8 and box.coverage > 0.5
    lo_a, hi_a = box.limits["a"]
    lo_b, hi_b = box.limits["b"]
    assert 0.5 < lo_a < 0.7 and hi_a > 0.9 and lo_b < 0.1 and 0.3 < hi_b < 0.5
    assert found.cart and found.cart[0].density > 0.6
    assert (tmp_path / "box.png").stat().st_size > 10_000
    text = found.text()
    assert re.search(r"coverage [01]\.\d\d, density [01]\.\d\d", text)


@needs_ema
def test_discover_verb_and_feature_scores(lhs, capsys):
    from sim.discover import feature_scores

    assert cli.main(["discover", str(lhs), "--where", "coalition_size >= 16", "--no-report", "--boxes", "1"]) == 0
    out = capsys.readouterr().out
    assert "PRIM box 1" in out and (lhs / "discovery" / "coalition_size_16.png").is_file()
    scores = feature_scores(lhs, ["coalition_size", "stance.RUS", "article5_invoked"])
    assert list(scores.index) == ["overrides.GBR.public_support", "rules.obligation_weight"]
    assert np.allclose(scores.sum(), 1.0)
    assert "stance.RUS" in scores.columns  # a categorical output, classified
    assert cli.main(["discover", str(lhs), "--where", "coalition_size < 0", "--no-report"]) == 2
