"""The validation report: one HTML page (a jinja2 template) with PNG figures.

Per case and observable, the model's probability (and distribution of days)
against what happened; a reliability diagram with counts
(``sklearn.calibration.calibration_curve``); the scores beside the
baselines; in-sample, leave-one-out and time split side by side.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .baselines import BASELINES
from .scoring import Decision

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coalition-sim validation</title>
<style>body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:right}
th:first-child,td:first-child{text-align:left}.no{color:#a00}.yes{color:#070}img{max-width:100%}</style></head>
<body>
<h1>Validation against history</h1>
<p>{{ n_cases }} cases, {{ replicates }} runs each (seed {{ seed }}); {{ n_decisions }} decisions, of which
{{ n_impossible }} are impossible under the rules (p &lt; {{ threshold }} and did not happen) and are listed apart,
not averaged in. Brier score for yes/no at each case's horizon, ranked probability score (RPS) over days for the
dated outcomes; lower is better. Baselines are fitted out of fold except in the in-sample column.
{{ note }}</p>

<h2>Where the model beats the baselines, and where not</h2>
<ul>{% for v in verdicts %}<li class="{{ 'no' if 'NOT' in v else 'yes' }}">{{ v }}</li>{% endfor %}</ul>

<h2>Scores, three protocols side by side</h2>
<table><tr><th>observable</th><th>forecaster</th>
{% for p in proto_names %}<th>{{ p }} Brier</th><th>n</th><th>RPS days</th>{% endfor %}</tr>
{% for row in score_rows %}<tr><td>{{ row.kind }}</td><td>{{ row.who }}</td>
{% for cell in row.cells %}<td>{{ cell.brier }}</td><td>{{ cell.n }}</td><td>{{ cell.rps }}</td>{% endfor %}</tr>{% endfor %}
</table>
<p>Time split: fit on {{ split_fit }}; scored on {{ split_scored }} (cases on or after {{ until }}).</p>

<h2>Reliability (informative decisions, in-sample)</h2>
<img src="reliability.png" alt="reliability diagram">
<table><tr><th>bin mean predicted</th><th>observed frequency</th><th>decisions</th></tr>
{% for b in bins %}<tr><td>{{ b[0] }}</td><td>{{ b[1] }}</td><td>{{ b[2] }}</td></tr>{% endfor %}</table>

<h2>Per case</h2>
{% for c in cases %}<h3>{{ c.case }}: {{ c.title }}</h3>
<img src="{{ c.figure }}" alt="{{ c.case }}">
{% if c.days_figure %}<img src="{{ c.days_figure }}" alt="{{ c.case }} days">{% endif %}
{% endfor %}

<h2>Impossible under the rules (not in the headline)</h2>
<table><tr><th>case</th><th>decision</th><th>p</th></tr>
{% for d in impossible %}<tr><td>{{ d.case }}</td><td>{{ d.decision }}</td><td>{{ '%.4f' % d.probability }}</td></tr>{% endfor %}
</table>
</body></html>
"""


def check_out_dir(path: str | Path) -> Path:
    p = Path(path)
    if p.exists() and (not p.is_dir() or any(p.iterdir())):
        raise ConfigError(str(p), None, "--report folder exists and is not empty; choose a new or empty folder")
    return p


def _fmt(x):
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.3f}"


def _case_figure(plt, ds: list[Decision], path: Path, title: str):
    ds = sorted(ds, key=lambda d: (d.impossible, d.kind, d.decision))
    shown = [d for d in ds if not d.impossible][:40] or ds[:10]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(shown) + 1.2))
    y = np.arange(len(shown))
    ax.barh(y, [d.probability for d in shown], color="#8ab", label="model probability")
    ax.scatter([1.0 if d.observed else 0.0 for d in shown], y, color=["#070" if d.observed else "#a00" for d in shown],
               marker="D", zorder=3, label="what happened (1 yes, 0 no)")
    ax.set_yticks(y, [d.decision for d in shown], fontsize=7)
    ax.set_xlim(-0.05, 1.05)
    ax.invert_yaxis()
    ax.set_xlabel("probability by the horizon")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _days_figure(plt, ds: list[Decision], path: Path) -> bool:
    dated = [d for d in ds if d.day_probs is not None and (d.has_day or d.probability > 0)][:8]
    if not dated:
        return False
    fig, ax = plt.subplots(figsize=(7, 3))
    for d in dated:
        cdf = np.cumsum(d.day_probs)
        line, = ax.step(np.arange(len(cdf)), cdf, where="post", label=d.decision)
        if d.has_day:
            ax.axvline(d.observed_day, color=line.get_color(), ls=":", lw=1)
    ax.set_xlabel("day from the start date (dotted: observed day)")
    ax.set_ylabel("model: share of runs by day")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def write_report(out_dir: str | Path, result: dict, cases) -> Path:
    """Write index.html and the figures into a new (or empty) folder, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from jinja2 import Environment
    from sklearn.calibration import calibration_curve

    out = check_out_dir(out_dir)
    decisions: list[Decision] = result["_all"]
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}."))
    try:
        informative = [d for d in decisions if not d.impossible]
        bins = []
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        ax.plot([0, 1], [0, 1], color="#999", ls="--")
        if informative and len({d.observed for d in informative}) > 1:
            p = np.array([d.probability for d in informative])
            o = np.array([d.observed for d in informative], dtype=int)
            edges = np.linspace(0, 1, 6)
            frac, mean = calibration_curve(o, p, n_bins=5, strategy="uniform")
            counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=5)  # as calibration_curve bins
            counts = counts[counts > 0]
            ax.plot(mean, frac, marker="o")
            for x, yv, n in zip(mean, frac, counts):
                ax.annotate(str(n), (x, yv), textcoords="offset points", xytext=(4, 4), fontsize=8)
            bins = [(f"{a:.3f}", f"{b:.3f}", int(n)) for a, b, n in zip(mean, frac, counts)]
        ax.set_xlabel("model probability")
        ax.set_ylabel("observed frequency")
        ax.set_title("reliability (labels: decisions per bin)", fontsize=9)
        fig.tight_layout()
        fig.savefig(tmp / "reliability.png", dpi=90)
        plt.close(fig)

        case_rows = []
        for c in cases:
            ds = [d for d in decisions if d.case == c.case]
            fig_name = f"case_{c.case}.png"
            _case_figure(plt, ds, tmp / fig_name, f"{c.case} ({sum(d.impossible for d in ds)} impossible not shown)")
            days_name = f"days_{c.case}.png"
            has_days = _days_figure(plt, ds, tmp / days_name)
            case_rows.append({"case": c.case, "title": c.title, "figure": fig_name,
                              "days_figure": days_name if has_days else None})

        protos = result["protocols"]
        names = [n for n in ("in_sample", "leave_one_out", "time_split") if n in protos and "model" in protos[n]]
        kinds = sorted({k for n in names for k in protos[n]["model"]["kinds"]})
        rows = []
        for kind in ["overall", *kinds]:
            for who in ("model", *BASELINES):
                cells = []
                for n in names:
                    blk = protos[n][who]
                    s = blk["overall"] if kind == "overall" else blk["kinds"].get(kind)
                    cells.append({"brier": _fmt(s["brier"]) if s else "", "n": s["decisions"] if s else "",
                                  "rps": _fmt(s["rps_days"]) if s else ""})
                rows.append({"kind": kind, "who": who, "cells": cells})
        split = protos.get("time_split", {})
        html = Environment(autoescape=True).from_string(TEMPLATE).render(
            n_cases=len(cases), replicates=result.get("replicates"), seed=result.get("seed"),
            n_decisions=len(decisions), n_impossible=len(decisions) - len(informative), threshold=0.005,
            verdicts=result["verdicts"], proto_names=names, score_rows=rows, bins=bins, cases=case_rows,
            impossible=result["impossible"], until=split.get("until", ""),
            split_fit=", ".join(split.get("fit_cases", [])) or "none",
            split_scored=", ".join(split.get("scored_cases", [])) or "none",
            note=result.get("note", ""))
        (tmp / "index.html").write_text(html)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "index.html"
