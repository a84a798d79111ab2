"""The report's page: ``sim/templates/report.html.j2`` (Jinja2, HTML
escaping on) filled from the context, with its stylesheet
``sim/templates/report.css`` copied beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..experiment import manifest_experiment
from .context import (BINARY_OUTPUTS, DAY_OUTPUTS, EVENT_LABELS, GENERATOR, KIND_WORDS, NUMBER_OUTPUTS, Context,
                      _column_form, _spec_choices, output_kind, output_label, param_label, value_label)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STYLESHEET = "report.css"

SECTIONS = (
    ("outcomes", "Outcome probabilities per design point"),
    ("effects", "The effect of each varied parameter"),
    ("over_time", "Outcomes over time"),
    ("timing", "Time to commitment per state"),
    ("sensitivity", "Sensitivity indices"),
    ("discovery", "Scenario discovery"),
)


def _spec_text(ctx: Context, p: str) -> str:
    spec = ctx.specs.get(p)
    choices = _spec_choices(spec) if spec is not None else None
    if choices is not None:
        return ", ".join(value_label(_column_form(c)) for c in choices)
    if spec is not None and hasattr(spec, "low"):
        integer = " (whole numbers)" if getattr(spec, "integer", False) else ""
        return f"from {value_label(spec.low)} to {value_label(spec.high)}{integer}"
    if p in ctx.levels:
        return ", ".join(ctx.levels[p][2])
    s = ctx.runs[p]
    return f"from {value_label(s.min())} to {value_label(s.max())}"


def _glance_rows(ctx: Context) -> list[tuple[str, str]]:
    runs = ctx.runs
    rows: dict[str, str] = {}
    for c in BINARY_OUTPUTS + NUMBER_OUTPUTS + DAY_OUTPUTS:
        if c not in runs.columns or c in ctx.params:
            continue
        kind = output_kind(runs[c], c)
        if kind == "binary":
            rows[output_label(ctx, c)] = f"{100 * runs[c].mean():.1f}% of runs"
        elif kind == "number":
            v = runs[c].astype(float)
            rows[output_label(ctx, c)] = f"mean {v.mean():.3g} (from {v.min():g} to {v.max():g})"
        elif kind == "day":
            came = runs[c].notna()
            median = f", median day {runs[c].dropna().median():g} when it did" if came.any() else ""
            event = EVENT_LABELS.get(c, output_label(ctx, c))
            if event in rows:  # article5_invoked and article5_day: one row
                rows[event] += median
            else:
                rows[f"{event} within {ctx.horizon_text}"] = f"{100 * came.mean():.1f}% of runs{median}"
    return list(rows.items())


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, keep_trailing_newline=True)


def render(ctx: Context, created: str) -> str:
    """The page's HTML."""
    m = ctx.manifest
    counts = m.get("counts") or {}
    kind = ctx.kind
    samples = ""
    if ctx.specs and kind != "grid":
        try:
            samples = f", {manifest_experiment(m).design.samples} samples"
        except Exception:
            samples = ""
    points = counts.get("points", ctx.runs["point_id"].nunique())
    replicates = counts.get("replicates", ctx.replicates)
    total = counts.get("runs", len(ctx.runs))
    facts = [
        ("Design", f"{KIND_WORDS.get(kind, kind)}{samples}"),
        ("Counts", f"{points:,} design points × {replicates:,} replicates = {total:,} runs"
                   + ("" if len(ctx.runs) == total else f" ({len(ctx.runs):,} in runs.parquet)")),
        ("Horizon", f"{ctx.horizon_text}, {ctx.day_axis.replace('days after', 'from')}"),
        ("Scenario", m.get("scenario_file", "")),
        ("Experiment file", m.get("experiment_file", "")),
        ("Seed", f"{m.get('seed', '')}" + ("; common random numbers (every point sees the same draws)"
                                             if m.get("common_random_numbers") else "")),
        ("Engine", m.get("engine", "")),
    ]
    versions = m.get("versions") or {}
    made = f"coalition-sim {versions.get('coalition-sim', '')}".strip() if isinstance(versions, dict) else ""
    sections = [{"key": key, "heading": heading, "figures": [f for f in ctx.figures if f.section == key]}
                for key, heading in SECTIONS]
    return _environment().get_template("report.html.j2").render(
        generator=GENERATOR, stylesheet=STYLESHEET, name=m.get("name") or ctx.path.name,
        description=(m.get("description") or "").strip(),
        facts=[(k, v) for k, v in facts if v not in ("", None)],
        parameters=[(param_label(ctx, p), p, _spec_text(ctx, p)) for p in ctx.params],
        glance=_glance_rows(ctx), n_runs=len(ctx.runs),
        sections=[s for s in sections if s["figures"]], notes=ctx.notes,
        experiment_text=m.get("experiment_text") or "", created=created, source=str(ctx.path),
        finished=m.get("finished", "?"), commit=f", commit {m['git_commit'][:12]}" if m.get("git_commit") else "",
        made=made,
    )


def write(ctx: Context, folder: Path, created: str) -> None:
    """index.html and its stylesheet into ``folder``."""
    shutil.copyfile(TEMPLATES / STYLESHEET, folder / STYLESHEET)
    (folder / "index.html").write_text(render(ctx, created), encoding="utf-8")
