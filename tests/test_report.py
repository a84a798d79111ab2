"""coalition-sim report: figures and index.html from a sweep's results directory."""

from __future__ import annotations

import argparse
import html
import re
from pathlib import Path

import pytest
from PIL import Image

from sim import report_cli
from sim.errors import ConfigError
from sim.experiment import sweep
from sim.report import report
from sim.sensitivity import analyze

from .conftest import PARIS, write_yaml

GRID_DESCRIPTION = "Denmark's public support x the NAC's rule: <who> strikes & when?"


def experiment(name: str, kind: str, params: dict, outputs: str, replicates: int, samples: int | None = None,
               description: str = "") -> str:
    lines = [f"name: {name}", f"description: {description!r}" if description else "", f"scenario: {PARIS}",
             "days: 30", f"replicates: {replicates}", "seed: 7", "design:", f"  kind: {kind}"]
    if samples:
        lines.append(f"  samples: {samples}")
    lines.append("  parameters:")
    lines += [f"    {k}: {v}" for k, v in params.items()]
    lines += ["outputs:", f"  summary: {outputs}"]
    return "\n".join(line for line in lines if line) + "\n"


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A 2 x 2 grid, 4 replicates, keeping yes/no outcomes, sizes, days and Denmark's and Britain's columns."""
    folder = tmp_path_factory.mktemp("grid")
    text = experiment(
        "report_grid", "grid",
        # Denmark's F-16s ready at once (in 2015 they were home until mid-2016), so that it can strike in 30 days
        {"overrides.DNK.public_support": "[0.2, 0.9]", "rules.art5_decision": "[consensus, majority]",
         "overrides.DNK.strike_unavailable_days": "[0]"},
        "[article5_invoked, eu_42_7_invoked, coalition_size, first_allied_strike_day, response_strike_day.DNK, "
        "commitment.DNK, response_strike_day.GBR, strike_day.syria.GBR]",
        replicates=4, description=GRID_DESCRIPTION)
    out = folder / "results"
    sweep(write_yaml(folder / "grid.yaml", text), out, workers=1)
    return out


@pytest.fixture(scope="module")
def sobol(tmp_path_factory):
    """A small Sobol design over two rule weights, analysed."""
    folder = tmp_path_factory.mktemp("sobol")
    text = experiment(
        "report_sobol", "sobol",
        {"rules.obligation_weight": "{low: 0.5, high: 2.0}", "rules.casualty_weight": "{low: 0.5, high: 2.0}"},
        "[coalition_size, strike_coalition_size, first_allied_strike_day, eu_42_7_invoked]",
        replicates=2, samples=8, description="Sobol indices of two weights")
    out = folder / "results"
    sweep(write_yaml(folder / "sobol.yaml", text), out, workers=1)
    analyze(out)
    return out


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A grid that keeps one output only: most figures have nothing to draw."""
    folder = tmp_path_factory.mktemp("bare")
    text = experiment("report_bare", "grid", {"events.0.deaths": "[130, 3000]"}, "[coalition_size]", replicates=2)
    out = folder / "results"
    sweep(write_yaml(folder / "bare.yaml", text), out, workers=1)
    return out


def images(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page)


def check_report(folder: Path) -> str:
    """Every PNG is a valid image, referenced by index.html; every referenced file exists."""
    page = (folder / "index.html").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert pngs, "no figures"
    for name in pngs:
        with Image.open(folder / name) as im:
            im.verify()
        with Image.open(folder / name) as im:
            assert im.format == "PNG" and im.width > 300 and im.height > 150
    assert sorted(images(page)) == pngs
    return page


def test_grid_report(grid):
    folder = report(grid)
    assert folder == grid / "report"
    page = check_report(folder)
    names = {p.name for p in folder.glob("*.png")}
    # (a) outcome probabilities, (b) effects, (c) time to commitment; no sensitivity.csv yet.
    assert {"outcomes.png", "effect_coalition_size.png", "effect_commitment_dnk.png", "effect_response_strike_day_dnk.png",
            "timing_response_strike_day.png"} <= names
    assert "sensitivity.png" not in names
    # Escaped in the HTML (whatever the entity), whole once unescaped.
    assert "&lt;who&gt;" in page and "<who>" not in page and GRID_DESCRIPTION in html.unescape(page)
    assert "report_grid" in page and "4 replicates" in page and "16 runs" in page
    # Names, not codes, and parameters in words (with their paths shown as code).
    assert "Day Denmark begins strikes" in page and "Denmark's final commitment" in html.unescape(page)
    assert "Day United Kingdom begins strikes" in page
    prose = re.sub(r"<code>.*?</code>|<details>.*?</details>", "", page, flags=re.S)
    assert not re.search(r"\b(DNK|GBR|FRA)\b", prose)
    assert "Denmark: public support" in page and "<code>overrides.DNK.public_support</code>" in page
    assert "Article 5 decision rule" in page
    assert "coalition-sim analyze" in page  # the note on the missing indices


def test_sobol_report_has_the_indices(sobol):
    folder = report(sobol)
    page = check_report(folder)
    names = {p.name for p in folder.glob("*.png")}
    assert {"outcomes.png", "sensitivity.png", "effect_coalition_size.png"} <= names
    assert "Sobol indices of two weights" in page
    assert "Sobol indices" in page and "Rule: obligation weight" in page
    assert not any(n.startswith("timing_") for n in names)  # no per-state days kept: skipped, and said so
    assert "Timing: skipped" in page


def test_outputs_not_kept_are_skipped(bare, tmp_path):
    folder = report(bare, tmp_path / "figures")
    page = check_report(folder)
    assert {p.name for p in folder.glob("*.png")} == {"effect_coalition_size.png"}
    assert "Outcome probabilities: skipped" in page and "Timing: skipped" in page
    assert "Event 1 (terror attack on France): deaths" in page


def test_report_again_replaces_it_atomically(bare, tmp_path):
    first = report(bare)
    assert first == bare / "report"
    (first / "stale.png").write_bytes(b"not a figure")
    again = report(bare)
    assert again == first and not (again / "stale.png").exists()
    check_report(again)
    assert [p.name for p in bare.iterdir() if p.name.startswith(".")] == []  # no building or old folders left
    # Elsewhere, with --out; an existing folder that is not a report is refused, not replaced.
    check_report(report(bare, tmp_path / "deep" / "figures"))
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a report"):
        report(bare, keep)
    assert (keep / "notes.txt").read_text() == "mine"
    with pytest.raises(ConfigError, match="results directory itself"):
        report(bare, bare)


def test_bad_input_is_a_config_error(tmp_path, grid):
    with pytest.raises(ConfigError, match="not a sweep's results directory"):
        report(tmp_path)
    with pytest.raises(ConfigError, match="no such results directory"):
        report(tmp_path / "missing")
    half = tmp_path / "half"
    half.mkdir()
    (half / "manifest.json").write_text((grid / "manifest.json").read_text())
    with pytest.raises(ConfigError, match="no runs.parquet"):
        report(half)
    assert not (half / "report").exists()


def test_report_verb(bare, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="coalition-sim")
    report_cli.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", str(bare), "--out", str(tmp_path / "r")])
    assert args.func(args) == 0
    assert "index.html" in capsys.readouterr().out
    assert (tmp_path / "r" / "index.html").is_file()
    args = parser.parse_args(["report", str(tmp_path / "r")])
    with pytest.raises(ConfigError):
        args.func(args)
