"""Figures of a sweep's results: ``coalition-sim report DIR``.

:func:`report` reads a results directory written by ``coalition-sim sweep``
(runs.parquet, design.parquet, manifest.json, and sensitivity.csv when
``coalition-sim analyze`` has written it) and writes PNG figures with an
``index.html`` that puts them together with the experiment's description:

1. ``outcomes.png``: the probability of each yes/no outcome (Article 5
   invoked, the EU's Article 42.7, an ally's strikes within the horizon, ...)
   at each design point: heat maps over the varied parameters for a grid, a
   scatter of the design points for a sampled design (LHS, Sobol, Morris);
2. ``effect_<output>.png``: how each varied parameter moves one main output:
   the mean over the runs at each value (or in each bin of a range) with its
   95% confidence interval; a categorical output (a state's final
   commitment) as stacked shares;
3. ``timing_<kind>.png`` and ``timing_<kind>_ecdf.png``: the days to each
   state's first strike or first new commitment, for every state that ever
   moves; runs in which it never came within the horizon are censored and
   shown apart (as a share, and as the gap under 1 of the ECDF);
4. ``sensitivity.png``: Sobol indices (S1, ST), Morris mu* and sigma, or
   Spearman correlations, with their confidence intervals.

A figure whose outputs the experiment did not keep is skipped and the page
says why. States are named from the states table, parameters by prettified
paths. The figures are drawn on matplotlib's Agg canvas directly (no pyplot,
so the caller's backend is left alone). The folder is built beside the
target and renamed into place, so a reader never sees half a report.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .errors import ConfigError
from .experiment import Span, _choices, as_numbers, is_day_column, load_results, manifest_experiment, run_horizons

__all__ = ["report"]

GENERATOR = "coalition-sim report"
DPI = 110
MAX_OUTCOMES = 9          # panels in outcomes.png
MAX_STATE_OUTCOMES = 6    # of which per-state ("Denmark strikes")
MAX_EFFECTS = 12          # effect_<output>.png figures
MAX_EFFECT_STATES = 3     # per-state outputs get effect figures when at most this many states are kept
MAX_HEATMAP_ROWS = 36
MAX_ECDF_STATES = 8
MAX_BINS = 8
DISCRETE_MAX = 12         # a range with at most this many distinct values is plotted per value

RUN_COLUMNS = ("run_id", "point_id", "replicate", "seed")
LEVEL_ORDER = ("none", "political", "training", "support", "strikes_invited", "strikes_uninvited", "ground")
STANCE_ORDER = ("oppose", "deconflict", "coordinate", "join")

# Outputs in the order the report shows them.
BINARY_OUTPUTS = ("article5_requested", "article5_invoked", "eu_42_7_requested", "eu_42_7_invoked")
NUMBER_OUTPUTS = ("coalition_size", "strike_coalition_size", "new_strikers", "strike_capacity",
                  "article4_requests_count")
DAY_OUTPUTS = ("first_allied_strike_day", "article5_day", "eu_42_7_day", "first_strike_day", "un_resolution_day")
CATEGORY_OUTPUTS = ("russia_stance",)

OUTPUT_LABELS = {
    "article5_requested": "Article 5 requested",
    "article5_invoked": "Article 5 invoked",
    "article5_day": "Day Article 5 is invoked",
    "eu_42_7_requested": "EU Article 42.7 requested",
    "eu_42_7_invoked": "EU Article 42.7 invoked",
    "eu_42_7_day": "Day EU Article 42.7 is invoked",
    "un_resolution_day": "Day of a UN Security Council resolution",
    "coalition_size": "Coalition size (states at support or above)",
    "strike_coalition_size": "Strike coalition size (states at strikes or above)",
    "new_strikers": "States that begin strikes",
    "strike_capacity": "Strike aircraft committed",
    "first_strike_day": "Day of the first strike",
    "first_allied_strike_day": "Day of the first allied strike",
    "article4_requests_count": "Article 4 requests",
    "russia_stance": "Russia's final stance",
    "days": "Horizon (days)",
}
# A day output read as "did it happen within the horizon?"
EVENT_LABELS = {
    "article5_day": "Article 5 invoked",
    "eu_42_7_day": "EU Article 42.7 invoked",
    "un_resolution_day": "UN Security Council resolution",
    "first_strike_day": "Any state begins strikes",
    "first_allied_strike_day": "An ally strikes (not the victim)",
}
# Words for parameter paths.
PARAM_WORDS = {
    "art5_decision": "Article 5 decision rule",
    "legislature_support": "parliamentary support",
    "public_support": "public support",
    "autonomy_preference": "autonomy preference",
    "casualty_aversion": "casualty aversion",
    "threat_perception": "threat perception",
    "strike_aircraft": "strike aircraft",
    "approval_regime": "approval regime",
    "preferred_institution": "preferred institution",
    "west_alignment": "alignment with the West",
    "assad_stance": "stance on Assad",
    "unsc_permanent": "permanent UNSC seat",
}
TOKEN_WORDS = {"art4": "Article 4", "art5": "Article 5", "eu427": "EU 42.7", "un": "UN", "unsc": "UNSC",
               "nac": "NAC", "eu": "EU", "nato": "NATO", "isil": "ISIL"}
KIND_WORDS = {
    "grid": "a grid: every combination of the listed values",
    "lhs": "a Latin hypercube sample of the ranges",
    "sobol": "a Sobol design (Saltelli's sampling, for variance-based indices)",
    "morris": "a Morris design (one-at-a-time trajectories, for elementary effects)",
}


# --------------------------------------------------------------------------
# What the figures need to know about the sweep


@dataclass
class Figure:
    file: str
    section: str
    title: str
    caption: str


@dataclass
class Context:
    path: Path
    runs: pd.DataFrame
    manifest: dict
    params: list[str]
    specs: dict[str, Any]
    kind: str
    horizon: np.ndarray          # per run: the day standing for "never"
    horizon_text: str            # "120 days" or "the horizon"
    day_axis: str                # "days after 13 Nov 2015"
    names: dict[str, str]
    scenario: dict
    levels: dict[str, tuple[list, np.ndarray, list[str]]] = field(default_factory=dict)
    points: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    @property
    def replicates(self) -> int:
        return int(self.manifest.get("counts", {}).get("replicates") or self.runs.groupby("point_id").size().max())


def _load(path: Path) -> Context:
    if not path.exists():
        raise ConfigError(str(path), None, "no such results directory")
    if not path.is_dir():
        raise ConfigError(str(path), None, "not a sweep's results directory (a file, not a folder)")
    if not (path / "manifest.json").is_file():
        raise ConfigError(str(path), None, "not a sweep's results directory (no manifest.json); "
                                           "make one with 'coalition-sim sweep EXPERIMENT --out DIR'")
    if not (path / "runs.parquet").is_file():
        raise ConfigError(str(path), None, "no runs.parquet: the sweep is not complete; finish it with "
                                           "'coalition-sim sweep ... --resume'")
    try:
        res = load_results(path)
    except ConfigError:
        raise
    except Exception as exc:  # a damaged parquet or manifest
        raise ConfigError(str(path), None, f"cannot read the results ({type(exc).__name__}: {exc})") from None
    runs = pd.DataFrame(res)
    manifest = res.manifest
    if runs.empty or "point_id" not in runs.columns:
        raise ConfigError(str(path / "runs.parquet"), None, "holds no runs")
    design = manifest.get("design") or {}
    params = [p for p in design.get("parameters", []) if p in runs.columns]
    specs: dict[str, Any] = {}
    try:
        specs = dict(manifest_experiment(manifest).design.parameters)
    except Exception:
        pass
    try:
        scenario = yaml.safe_load(manifest.get("scenario_text") or "") or {}
    except yaml.YAMLError:
        scenario = {}
    if not isinstance(scenario, dict):
        scenario = {}
    horizon = run_horizons(runs, manifest)
    distinct = np.unique(horizon)
    horizon_text = f"{int(distinct[0])} days" if len(distinct) == 1 else "the horizon"
    start = scenario.get("start_date")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            start = None
    day_axis = (f"days after {start.day} {start:%b %Y} (day 0)" if isinstance(start, dt.date)
                else "days from the scenario's start (day 0)")
    ctx = Context(path=path, runs=runs, manifest=manifest, params=params, specs=specs,
                  kind=design.get("kind", "grid"), horizon=horizon, horizon_text=horizon_text, day_axis=day_axis,
                  names=_state_names(manifest, scenario), scenario=scenario)
    for p in params:
        if _is_discrete(ctx, p):
            ctx.levels[p] = _levels(ctx, p)
    ctx.points = runs.drop_duplicates("point_id").set_index("point_id").sort_index()[params]
    return ctx


def _state_names(manifest: dict, scenario: dict) -> dict[str, str]:
    """ISO3 code -> name, from the scenario's states table (or the default one)."""
    from .states import load_states

    tables = []
    ref = scenario.get("states")
    if isinstance(ref, str) and manifest.get("scenario_file"):
        tables.append(Path(manifest["scenario_file"]).resolve().parent / ref)
    tables.append(None)
    names: dict[str, str] = {}
    for table in reversed(tables):  # the default first, the scenario's own table over it
        try:
            rows = load_states(table).rows
        except Exception:
            continue
        names.update({code: str(row.get("name") or code) for code, row in rows.items()})
    return names


# --------------------------------------------------------------------------
# Labels


def _words(token: str) -> str:
    if token in PARAM_WORDS:
        return PARAM_WORDS[token]
    parts = token.split("_")
    return " ".join(TOKEN_WORDS.get(p, p) for p in parts)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def state_name(ctx: Context, code: str) -> str:
    return ctx.names.get(code, code)


def param_label(ctx: Context, path: str, short: bool = False) -> str:
    """A dotted parameter path in words: overrides.FRA.autonomy_preference ->
    'France: autonomy preference'; events.0.deaths -> 'Event 1 (terror attack
    on France): deaths'."""
    parts = path.split(".")
    head = parts[0]
    if head == "rules" and len(parts) == 1:
        return "Theory lens (rules preset)"
    if head == "rules" and len(parts) == 2:
        word = _words(parts[1])
        return _cap(word) if short or parts[1] in PARAM_WORDS else f"Rule: {word}"
    if head == "overrides" and len(parts) == 3:
        return f"{state_name(ctx, parts[1])}: {_words(parts[2])}"
    if head in ("commitments", "stances") and len(parts) == 2:
        return f"{state_name(ctx, parts[1])}: starting {'commitment' if head == 'commitments' else 'stance'}"
    if head == "events" and len(parts) >= 3 and parts[1].isdigit():
        k = int(parts[1])
        rest = " ".join(_words(p) for p in parts[2:])
        if short:
            return _cap(rest)
        events = ctx.scenario.get("events") or []
        what = ""
        if k < len(events) and isinstance(events[k], dict):
            ev = events[k]
            kind = str(ev.get("kind", "event")).replace("_", " ")
            target = ev.get("target")
            what = f" ({kind} on {state_name(ctx, target)})" if target else f" ({kind})"
        return f"Event {k + 1}{what}: {rest}"
    if path == "days":
        return "Horizon (days)"
    return _cap(" › ".join(_words(p) for p in parts))


def value_label(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value).replace("_", " ")


def level_label(ctx: Context, level: str) -> str:
    theatres = ctx.scenario.get("theatres") or {}
    if level == "strikes_invited":
        where = theatres.get("invited")
        return f"strikes where invited ({where})" if where else "strikes where invited"
    if level == "strikes_uninvited":
        where = theatres.get("uninvited")
        return f"strikes without consent ({where})" if where else "strikes without consent"
    if level == "support":
        return "military support"
    if level == "political":
        return "political support"
    if level == "ground":
        return "ground forces"
    return level.replace("_", " ")


def output_label(ctx: Context, col: str) -> str:
    if col in OUTPUT_LABELS:
        return OUTPUT_LABELS[col]
    head, _, code = col.partition(".")
    if code:
        name = state_name(ctx, code)
        if head == "commitment":
            return f"{name}'s final commitment"
        if head == "strike_day":
            return f"Day {name} begins strikes"
        if head == "commitment_day":
            return f"Day of {name}'s first new commitment"
        if head == "stance":
            return f"{name}'s final stance"
    return _cap(col.replace("_", " ").replace(".", " "))


def event_label(ctx: Context, col: str) -> str:
    """A day output as the event 'it came within the horizon'."""
    if col in EVENT_LABELS:
        return EVENT_LABELS[col]
    head, _, code = col.partition(".")
    if head == "strike_day":
        return f"{state_name(ctx, code)} strikes"
    if head == "commitment_day":
        return f"{state_name(ctx, code)} takes on a new commitment"
    return output_label(ctx, col)


def axis_label(ctx: Context, col: str, kind: str) -> str:
    if kind == "binary":
        return f"{output_label(ctx, col)} (share of runs)"
    if kind == "day":
        return f"{output_label(ctx, col)}\n(mean; never = day {_horizon_number(ctx)})"
    return output_label(ctx, col)


def _horizon_number(ctx: Context) -> str:
    distinct = np.unique(ctx.horizon)
    return str(int(distinct[0])) if len(distinct) == 1 else "of the horizon"


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, max(width, 16))) or text


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "output"


# --------------------------------------------------------------------------
# Columns: kinds, values, parameter levels


def output_kind(series: pd.Series, col: str) -> str | None:
    if pd.api.types.is_bool_dtype(series.dtype):
        return "binary"
    if is_day_column(col):
        return "day"
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "number"
    return None


def numeric_values(ctx: Context, col: str) -> np.ndarray:
    """A binary, day or number output as floats (a day that never came = the horizon)."""
    return as_numbers(ctx.runs[col], col, ctx.horizon)


def category_order(ctx: Context, col: str) -> list[str]:
    s = ctx.runs[col]
    present = [str(v) for v in pd.unique(s.dropna().astype(str))]
    head = col.split(".", 1)[0]
    base = LEVEL_ORDER if head == "commitment" else STANCE_ORDER if head == "stance" or col == "russia_stance" else ()
    if isinstance(s.dtype, pd.CategoricalDtype) and not base:
        base = tuple(str(c) for c in s.cat.categories)
    return [v for v in base if v in present] + sorted(v for v in present if v not in base)


def _spec_choices(spec) -> tuple | None:
    """A discrete parameter's values in the experiment file's order; None for a range."""
    return None if spec is None or isinstance(spec, Span) else _choices(spec)


def _is_discrete(ctx: Context, p: str) -> bool:
    spec = ctx.specs.get(p)
    if spec is not None and _spec_choices(spec) is not None:
        return True
    s = ctx.runs[p]
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return True
    return s.nunique() <= DISCRETE_MAX  # a range drawn at few values (Morris levels): per value


def _column_form(value):
    """A choice as runs.parquet stores it: numbers as numbers, other values as text."""
    if isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value)


def _levels(ctx: Context, p: str) -> tuple[list, np.ndarray, list[str]]:
    """A discrete parameter: its values in the experiment file's order, each
    run's index into them, and their labels."""
    s = ctx.runs[p]
    present = list(pd.unique(s.dropna()))
    choices = _spec_choices(ctx.specs.get(p))
    order: list = []
    if choices is not None:
        for c in choices:
            form = _column_form(c)
            match = next((v for v in present if v == form or str(v) == str(form)), None)
            if match is not None and not any(match is o or match == o for o in order):
                order.append(match)
    rest = [v for v in present if not any(v == o for o in order)]
    try:
        rest = sorted(rest)
    except TypeError:
        rest = sorted(rest, key=str)
    order += rest
    index = {v: k for k, v in enumerate(order)}
    codes = np.array([index.get(v, -1) for v in s.tolist()], dtype=int)
    return order, codes, [value_label(v) for v in order]


def _numeric_positions(values: list) -> np.ndarray | None:
    """Numeric values of a discrete parameter as x positions, when their
    spacing is even enough to read; else None (equal spacing)."""
    if len(values) < 2 or not all(isinstance(v, (int, float, np.integer, np.floating))
                                  and not isinstance(v, (bool, np.bool_)) for v in values):
        return None
    x = np.array(values, dtype=float)
    gaps = np.diff(np.sort(x))
    if (gaps <= 0).any() or gaps.max() / gaps.min() > 5:
        return None
    return x


def _param_axis(ctx: Context, p: str, per_point: bool = False):
    """(x values, tick positions, tick labels) of a parameter: a discrete one
    as its codes (or numbers), a range as its values."""
    if p in ctx.levels:
        order, codes, labels = ctx.levels[p]
        pos = _numeric_positions(order)
        if per_point:
            codes = pd.Series(codes, index=ctx.runs.index).groupby(ctx.runs["point_id"].to_numpy()).first()
            codes = codes.sort_index().to_numpy()
        if pos is not None:
            return pos[codes], pos, labels
        return codes.astype(float), np.arange(len(order), dtype=float), labels
    x = ctx.points[p] if per_point else ctx.runs[p]
    return x.to_numpy(dtype=float), None, None


# --------------------------------------------------------------------------
# Statistics


def wilson(k: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of a share k/n."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def mean_ci(values: np.ndarray, groups: np.ndarray, binary: bool):
    """Per group (sorted): mean, lower and upper 95% bounds, count."""
    frame = pd.DataFrame({"g": groups, "y": values}).dropna()
    agg = frame.groupby("g")["y"].agg(["mean", "std", "count", "sum"]).sort_index()
    if binary:
        lo, hi = wilson(agg["sum"].to_numpy(), agg["count"].to_numpy())
    else:
        half = 1.96 * agg["std"].fillna(0).to_numpy() / np.sqrt(agg["count"].to_numpy())
        lo, hi = agg["mean"].to_numpy() - half, agg["mean"].to_numpy() + half
    return agg.index.to_numpy(), agg["mean"].to_numpy(), lo, hi, agg["count"].to_numpy()


def _yerr(mid, lo, hi) -> np.ndarray:
    """Error bar lengths below and above (never negative: rounding at 0 and 1)."""
    mid, lo, hi = (np.asarray(v, dtype=float) for v in (mid, lo, hi))
    return np.vstack([np.clip(mid - lo, 0, None), np.clip(hi - mid, 0, None)])


def _bins(x_points: np.ndarray, x_runs: np.ndarray):
    """Quantile bins of a range over the design points; each run's bin and each bin's centre."""
    q = min(MAX_BINS, len(np.unique(x_points)))
    _, edges = pd.qcut(x_points, q, retbins=True, duplicates="drop")
    edges[0], edges[-1] = -np.inf, np.inf
    idx = np.clip(np.searchsorted(edges, x_runs, side="right") - 1, 0, len(edges) - 2)
    centres = pd.Series(x_runs).groupby(idx).mean()
    return idx, centres


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    r = pd.Series(x).corr(pd.Series(y), method="spearman")
    return 0.0 if not np.isfinite(r) else float(r)


# --------------------------------------------------------------------------
# Drawing


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(min(width, 30), min(height, 40)), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(ctx: Context, fig, folder: Path, figure: Figure) -> None:
    fig.savefig(folder / figure.file, dpi=DPI, facecolor="white")
    ctx.figures.append(figure)


def _grid_axes(fig, n: int, ncols: int, **kw):
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, **kw)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n]


def _boxplot_horizontal(ax, data, labels):
    import matplotlib

    kw = dict(widths=0.6, showfliers=True, patch_artist=True,
              flierprops={"markersize": 2, "alpha": 0.4},
              medianprops={"color": "black"}, boxprops={"facecolor": "#9ecae1"})
    major, minor = (int(v) for v in matplotlib.__version__.split(".")[:2])
    if (major, minor) >= (3, 10):
        ax.boxplot(data, orientation="horizontal", **kw)
    else:
        ax.boxplot(data, vert=False, **kw)
    ax.set_yticks(np.arange(1, len(labels) + 1), labels)


def _category_colours(n: int, ordered: bool):
    from matplotlib import colormaps

    if ordered:
        cmap = colormaps["YlOrRd"]
        return [cmap(0.12 + 0.85 * k / max(n - 1, 1)) for k in range(n)]
    cmap = colormaps["tab10"]
    return [cmap(k % 10) for k in range(n)]


# --------------------------------------------------------------------------
# 1. Outcome probabilities per design point


def _outcomes(ctx: Context) -> list[tuple[str, str, np.ndarray]]:
    """The yes/no outcomes to show: (column, label, bool per run)."""
    runs = ctx.runs
    cols = [c for c in runs.columns if c not in RUN_COLUMNS and c not in ctx.params]
    found: list[tuple[str, str, np.ndarray]] = []
    for c in BINARY_OUTPUTS + tuple(c for c in cols if c not in BINARY_OUTPUTS):
        if c in cols and pd.api.types.is_bool_dtype(runs[c].dtype):
            found.append((c, OUTPUT_LABELS.get(c, output_label(ctx, c)), runs[c].to_numpy(dtype=bool)))
    have = {label for _, label, _ in found}
    for c in DAY_OUTPUTS:
        if c in cols and EVENT_LABELS[c] not in have:
            found.append((c, f"{EVENT_LABELS[c]} within {ctx.horizon_text}", runs[c].notna().to_numpy()))
    per_state = []
    striking = {c.split(".", 1)[1] for c in cols if c.startswith("strike_day.")}
    for c in cols:
        head, _, code = c.partition(".")
        if head == "strike_day" or (head == "commitment_day" and code not in striking):
            per_state.append((c, f"{event_label(ctx, c)} within {ctx.horizon_text}", runs[c].notna().to_numpy()))
    constant = []
    kept = []
    point_ids = runs["point_id"].to_numpy()
    for item in found:
        if not np.ptp(item[2].astype(int)):
            constant.append(item)
            continue
        share = pd.Series(item[2].astype(float)).groupby(point_ids).mean()
        if len(share) > 1 and np.ptp(share.to_numpy()) == 0:
            ctx.notes.append(f"Outcome probabilities: {item[1]}: {100 * share.iloc[0]:.1f}% of the runs at every "
                             "design point (the parameters do not move it; with common random numbers every "
                             "point sees the same draws); not drawn.")
            continue
        kept.append(item)
    varied_states = []
    for item in per_state:
        if np.ptp(item[2].astype(int)) == 0:
            if not item[0].startswith("commitment_day."):
                constant.append(item)
            continue
        share = pd.Series(item[2].astype(float)).groupby(point_ids).mean()
        if len(share) > 1 and np.ptp(share.to_numpy()) == 0:
            continue
        varied_states.append((float(share.var(ddof=0)), item))
    varied_states.sort(key=lambda t: -t[0])
    room = max(0, min(MAX_STATE_OUTCOMES, MAX_OUTCOMES - len(kept)))
    chosen_states = [item for _, item in varied_states[:room]]
    if len(varied_states) > room:
        ctx.notes.append(f"Outcome probabilities: {len(varied_states) - room} more per-state outcomes vary over the "
                         f"design; shown are the {room} that vary most between design points.")
    if len(constant) and len(constant) <= 12:
        said = "; ".join(f"{label}: {'every' if item.all() else 'no'} run" for _, label, item in constant)
        ctx.notes.append(f"Outcome probabilities: not drawn, the same in every run: {said}.")
    elif constant:
        ctx.notes.append(f"Outcome probabilities: {len(constant)} yes/no outcomes are the same in every run "
                         "and are not drawn.")
    return (kept + chosen_states)[:MAX_OUTCOMES]


def figure_outcomes(ctx: Context, folder: Path) -> None:
    if not ctx.params:
        ctx.notes.append("Outcome probabilities: skipped; the design varies no parameter.")
        return
    outcomes = _outcomes(ctx)
    if not outcomes:
        ctx.notes.append("Outcome probabilities: skipped; the experiment kept no yes/no outcome that varies "
                         "(article5_invoked, eu_42_7_invoked, or a day such as strike_day.DNK).")
        return
    discrete = all(p in ctx.levels for p in ctx.params)
    if ctx.kind == "grid" and discrete and len(ctx.params) >= 2:
        _outcomes_heatmaps(ctx, folder, outcomes)
    elif discrete and len(ctx.params) == 1:
        _outcomes_lines(ctx, folder, outcomes)
    else:
        _outcomes_scatter(ctx, folder, outcomes)


def _outcomes_lines(ctx: Context, folder: Path, outcomes) -> None:
    p = ctx.params[0]
    order, codes, labels = ctx.levels[p]
    pos = _numeric_positions(order)
    xs = pos if pos is not None else np.arange(len(order), dtype=float)
    fig = _figure(8.5, 4.2)
    ax = fig.subplots()
    for k, (_, label, y) in enumerate(outcomes):
        g, mean, lo, hi, _ = mean_ci(y.astype(float), codes, binary=True)
        x = xs[g.astype(int)] + (k - (len(outcomes) - 1) / 2) * 0.02 * (np.ptp(xs) or 1)
        ax.errorbar(x, mean, yerr=_yerr(mean, lo, hi), marker="o", capsize=3, label=label)
    ax.set_xticks(xs, labels)
    ax.set_xlabel(param_label(ctx, p))
    ax.set_ylabel("share of runs (95% interval)")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    fig.suptitle("Outcome probabilities per design point")
    _save(ctx, fig, folder, Figure(
        "outcomes.png", "outcomes", "Outcome probabilities per design point",
        f"The share of the {ctx.replicates} replicates of each design point in which each outcome happened, "
        f"against {param_label(ctx, p)}, with 95% Wilson intervals. Events counted by a day happen "
        f"within the horizon ({ctx.horizon_text}) or not at all."))


def _outcomes_heatmaps(ctx: Context, folder: Path, outcomes) -> None:
    params = list(ctx.params)
    sizes = {p: len(ctx.levels[p][0]) for p in params}
    averaged: list[str] = []
    if math.prod(sizes.values()) // max(sizes.values()) > MAX_HEATMAP_ROWS:
        # Too many combinations for a row each: the two parameters that move
        # the outcomes most, averaged over the others.
        def spread(p):
            codes = ctx.levels[p][1]
            return np.mean([np.ptp(pd.Series(y.astype(float)).groupby(codes).mean().to_numpy())
                            for _, _, y in outcomes])
        top = sorted(params, key=lambda p: -spread(p))[:2]
        averaged = [p for p in params if p not in top]
        params = [p for p in params if p in top]
    xp = max(params, key=lambda p: sizes[p])
    rows_p = [p for p in params if p != xp]
    x_order, x_codes, x_labels = ctx.levels[xp]
    combos = list(itertools.product(*(range(sizes[p]) for p in rows_p)))
    def row_label(combo):
        if len(rows_p) == 1:
            return ctx.levels[rows_p[0]][2][combo[0]]
        parts = []
        for p, c in zip(rows_p, combo):
            value = ctx.levels[p][0][c]
            text = ctx.levels[p][2][c]
            numeric = isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_))
            parts.append(f"{param_label(ctx, p, short=True).lower()} {text}" if numeric else text)
        return ", ".join(parts)
    # One numeric parameter on the rows: lowest at the bottom, like an axis.
    flip = len(rows_p) == 1 and all(isinstance(v, (int, float, np.integer, np.floating))
                                    and not isinstance(v, (bool, np.bool_)) for v in ctx.levels[rows_p[0]][0])
    n = len(outcomes)
    ncols = 3 if n > 4 else min(n, 2)
    nrows = math.ceil(n / ncols)
    cell_w = 0.62 if sizes[xp] <= 8 else 0.4
    label_w = max(len(row_label(c)) for c in combos) * 0.065
    width = ncols * (sizes[xp] * cell_w + 1.0) + label_w + 1.2
    height = nrows * (len(combos) * 0.34 + 1.3) + 0.8
    fig = _figure(max(width, 6.5), max(height, 3.4))
    axes = _grid_axes(fig, n, ncols, sharey=True)
    frame = pd.DataFrame({"x": x_codes, **{f"r{k}": ctx.levels[p][1] for k, p in enumerate(rows_p)}})
    keys = ["x"] + [f"r{k}" for k in range(len(rows_p))]
    image = None
    annotate = len(combos) * sizes[xp] <= 120
    panel_chars = int((sizes[xp] * cell_w + 1.0) * 10 + (label_w * 10 if ncols == 1 else 0))
    for ax, (_, label, y) in zip(axes, outcomes):
        share = frame.assign(y=y.astype(float)).groupby(keys)["y"].mean()
        matrix = np.full((len(combos), sizes[xp]), np.nan)
        for (xk, *rk), v in share.items():
            if xk >= 0 and all(r >= 0 for r in rk):
                matrix[combos.index(tuple(rk)), xk] = v
        image = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest",
                          origin="lower" if flip else "upper")
        if len(rows_p) > 1:  # a white line between the blocks of the outer parameter
            inner = math.prod(sizes[p] for p in rows_p[1:])
            for b in range(inner, len(combos), inner):
                ax.axhline(b - 0.5, color="white", linewidth=2)
        if annotate:
            for (i, j), v in np.ndenumerate(matrix):
                if np.isfinite(v):
                    ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if v < 0.55 else "black")
        ax.set_title(_wrap(label, panel_chars), fontsize=9)
        ax.set_xticks(np.arange(sizes[xp]), x_labels, fontsize=8, rotation=0 if sizes[xp] <= 6 else 45)
        ax.set_xlabel(param_label(ctx, xp), fontsize=8)
        ax.set_yticks(np.arange(len(combos)), [row_label(c) for c in combos], fontsize=8)
    for k, ax in enumerate(axes):
        if k % ncols == 0 and len(rows_p) == 1:
            ax.set_ylabel(param_label(ctx, rows_p[0]), fontsize=8)
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="share of runs (numbers in %)")
    fig.suptitle("Outcome probabilities per design point")
    rows_text = " and ".join(param_label(ctx, p) for p in rows_p)
    avg_text = (f" Each cell is averaged over {', '.join(param_label(ctx, p) for p in averaged)} "
                "(too many combinations to draw one row each)." if averaged else "")
    _save(ctx, fig, folder, Figure(
        "outcomes.png", "outcomes", "Outcome probabilities per design point",
        f"Each cell: the share (in %) of the {ctx.replicates} runs at a design point in which the outcome "
        f"happened; columns: {param_label(ctx, xp)}; rows: {rows_text}.{avg_text} With {ctx.replicates} runs "
        f"a share is known to about ±{100 * 0.98 / math.sqrt(max(ctx.replicates, 1)):.0f} points at most (95%). "
        f"Events counted by a day happen within the horizon ({ctx.horizon_text}) or not at all."))


def _outcomes_scatter(ctx: Context, folder: Path, outcomes) -> None:
    point_ids = ctx.runs["point_id"].to_numpy()
    rng = np.random.default_rng(0)
    n = len(outcomes)
    ncols = 3 if n > 4 else min(n, 2)
    nrows = math.ceil(n / ncols)
    fig = _figure(ncols * 3.9 + 1.2, nrows * 3.3 + 0.6)
    axes = _grid_axes(fig, n, ncols)
    image = None
    used: set[str] = set()
    for ax, (_, label, y) in zip(axes, outcomes):
        share = pd.Series(y.astype(float)).groupby(point_ids).mean().sort_index()
        xs = {p: _param_axis(ctx, p, per_point=True) for p in ctx.params}
        ranked = sorted(ctx.params, key=lambda p: -abs(_spearman(xs[p][0], share.to_numpy())))
        if len(ranked) == 1:
            p = ranked[0]
            x, ticks, tick_labels = xs[p]
            ax.scatter(x, share.to_numpy(), s=9, alpha=0.5, color="#3182bd", linewidths=0)
            ax.set_ylim(-0.03, 1.03)
            ax.set_ylabel("share of runs at the point")
            used.add(p)
        else:
            p, q = ranked[:2]
            (x, xt, xl), (yv, yt, yl) = xs[p], xs[q]
            if xt is not None:
                x = x + rng.uniform(-0.25, 0.25, len(x)) * (np.min(np.diff(xt)) if len(xt) > 1 else 1)
            if yt is not None:
                yv = yv + rng.uniform(-0.25, 0.25, len(yv)) * (np.min(np.diff(yt)) if len(yt) > 1 else 1)
            image = ax.scatter(x, yv, c=share.to_numpy(), s=10, cmap="viridis", vmin=0, vmax=1, linewidths=0)
            ax.set_ylabel(param_label(ctx, q), fontsize=8)
            if yt is not None:
                ax.set_yticks(yt, yl)
            used.update((p, q))
            ticks, tick_labels = xt, xl
        if ticks is not None:
            ax.set_xticks(ticks, tick_labels)
        ax.set_xlabel(param_label(ctx, p), fontsize=8)
        ax.set_title(_wrap(label, 48), fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=list(axes), shrink=0.8, label="share of runs at the design point")
    fig.suptitle("Outcome probabilities per design point")
    how = ("Each dot is a design point, placed by the two parameters most correlated (Spearman) with that "
           "outcome, coloured by the share of its runs in which the outcome happened."
           if len(ctx.params) > 1 else
           "Each dot is a design point: the share of its runs in which the outcome happened.")
    _save(ctx, fig, folder, Figure(
        "outcomes.png", "outcomes", "Outcome probabilities per design point",
        f"{how} Design: {ctx.kind}, {len(share)} points × {ctx.replicates} runs; with so few runs per point a "
        f"single point's share is noisy: read the pattern, and the effect figures below for averages. Events "
        f"counted by a day happen within the horizon ({ctx.horizon_text}) or not at all."))


# --------------------------------------------------------------------------
# 2. The effect of each parameter on the main outputs


def _effect_outputs(ctx: Context) -> list[tuple[str, str]]:
    runs = ctx.runs
    cols = [c for c in runs.columns if c not in RUN_COLUMNS and c not in ctx.params]
    main = [c for c in BINARY_OUTPUTS + NUMBER_OUTPUTS + DAY_OUTPUTS + CATEGORY_OUTPUTS if c in cols]
    main += [c for c in cols if c not in main and "." not in c and pd.api.types.is_bool_dtype(runs[c].dtype)]
    states = sorted({c.split(".", 1)[1] for c in cols if c.split(".", 1)[0] in
                     ("commitment", "strike_day", "commitment_day", "stance")})
    per_state = []
    if 0 < len(states) <= MAX_EFFECT_STATES:
        for code in states:
            per_state += [c for c in (f"commitment.{code}", f"strike_day.{code}", f"commitment_day.{code}",
                                      f"stance.{code}") if c in cols]
    elif states:
        ctx.notes.append(f"Effects: the experiment keeps per-state outputs for {len(states)} states; they have no "
                         "effect figure each (see the timing figures), keep a few states with outputs.summary "
                         "(e.g. [strike_day.DNK, commitment.DNK]) to get one.")
    twins = {"article5_invoked": "article5_day", "eu_42_7_invoked": "eu_42_7_day"}
    main = [c for c in main if twins.get(c) not in cols]  # the day's figure shows the share too
    chosen, constant = [], []
    for c in main + per_state:
        kind = output_kind(runs[c], c)
        if kind is None:
            continue
        if kind == "category":
            varies = runs[c].astype(str).nunique() > 1
        elif kind == "day":
            varies = runs[c].nunique(dropna=False) > 1
        else:
            values = numeric_values(ctx, c)
            varies = np.nanmax(values) != np.nanmin(values)
        (chosen if varies else constant).append((c, kind))
    if constant:
        ctx.notes.append("Effects: not drawn, the same in every run: "
                         + ", ".join(output_label(ctx, c) for c, _ in constant) + ".")
    if len(chosen) > MAX_EFFECTS:
        ctx.notes.append(f"Effects: {len(chosen) - MAX_EFFECTS} more outputs not drawn "
                         f"({', '.join(output_label(ctx, c) for c, _ in chosen[MAX_EFFECTS:])}).")
    return chosen[:MAX_EFFECTS]


def figure_effects(ctx: Context, folder: Path) -> None:
    if not ctx.params:
        ctx.notes.append("Effects: skipped; the design varies no parameter.")
        return
    outputs = _effect_outputs(ctx)
    if not outputs:
        ctx.notes.append("Effects: skipped; no kept output varies over the runs.")
        return
    for col, kind in outputs:
        _effect_figure(ctx, folder, col, kind)


def _effect_figure(ctx: Context, folder: Path, col: str, kind: str) -> None:
    """One output against each parameter; a day output as two rows: how
    often it came within the horizon, and on which day when it did."""
    params = ctx.params
    n = len(params)
    ncols = n if n <= 5 else 4
    blocks = math.ceil(n / ncols)
    rows = ("share", "when") if kind == "day" else (kind,)
    fig = _figure(ncols * 3.2 + 0.9, blocks * len(rows) * 2.8 + 0.7)
    grid = fig.subplots(blocks * len(rows), ncols, squeeze=False, sharey="row")
    point_ids = ctx.runs["point_id"].to_numpy()
    categories = category_order(ctx, col) if kind == "category" else []
    came = ctx.runs[col].notna().to_numpy() if kind == "day" else None
    handles = None
    for k, p in enumerate(params):
        block, c = divmod(k, ncols)
        for r, what in enumerate(rows):
            ax = grid[block * len(rows) + r, c]
            if what == "share":
                handles = _effect_panel(ctx, ax, p, came.astype(float), "binary", point_ids) or handles
                ylabel = f"{event_label(ctx, col)} within\n{ctx.horizon_text} (share of runs)"
                ax.set_ylim(-0.03, 1.03)
            elif what == "when":
                days = ctx.runs[col].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
                _effect_panel(ctx, ax, p, days, "when", point_ids)
                ylabel = f"{output_label(ctx, col)},\nwhen it came (median, middle half)"
            elif what == "category":
                handles = _effect_panel(ctx, ax, p, None, "category", point_ids, col, categories) or handles
                ylabel = "share of runs"
            else:
                _effect_panel(ctx, ax, p, numeric_values(ctx, col), kind, point_ids)
                ylabel = axis_label(ctx, col, kind)
                if kind == "binary":
                    ax.set_ylim(-0.03, 1.03)
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel(ylabel, fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel(param_label(ctx, p), fontsize=8)
    for k in range(n, blocks * ncols):
        block, c = divmod(k, ncols)
        for r in range(len(rows)):
            grid[block * len(rows) + r, c].set_visible(False)
    if handles:
        fig.legend(handles=handles[::-1], loc="outside right center", fontsize=8, frameon=False)
    label = output_label(ctx, col)
    fig.suptitle(f"Effect of each parameter on: {label}")
    where = (f"at each value of the parameter (or in each of up to {MAX_BINS} equal-count bins of its range), the "
             "other parameters varying as the design varies them")
    if kind == "category":
        text = f"the share of runs ending at each level, {where}."
    elif kind == "day":
        text = (f"top, the share of runs in which it came within the horizon ({ctx.horizon_text}), with 95% Wilson "
                f"intervals; bottom, the day it came in those runs (median, bar: the middle half). Runs in which "
                f"it never came are censored: they count in the top row only. {where[0].upper() + where[1:]}.")
    else:
        ci = "95% Wilson interval" if kind == "binary" else "95% confidence interval of the mean"
        dots = " Faint dots: each design point's mean." if any(p not in ctx.levels for p in params) else ""
        text = f"the mean over all runs {where}; bars and bands: {ci}.{dots}"
    _save(ctx, fig, folder, Figure(f"effect_{_slug(col)}.png", "effects", label, _cap(text)))


def _effect_panel(ctx: Context, ax, p: str, y, kind: str, point_ids, col: str | None = None,
                  categories: list[str] | None = None):
    """One parameter's panel: means with intervals (binary, number), medians
    with quartiles (when), or stacked shares (category)."""
    discrete = p in ctx.levels
    if discrete:
        order, groups, labels = ctx.levels[p]
        pos = _numeric_positions(order)
        xs = pos if pos is not None else np.arange(len(order), dtype=float)
        ax.set_xticks(xs, labels, rotation=0 if len(order) <= 5 else 45, fontsize=8)
        line = "-" if pos is not None else "none"
    else:
        x_runs = ctx.runs[p].to_numpy(dtype=float)
        groups, centres = _bins(ctx.points[p].to_numpy(dtype=float), x_runs)
        xs = np.full(int(centres.index.max()) + 1, np.nan)
        xs[centres.index.to_numpy()] = centres.to_numpy()
        line = "-"
    if kind == "category":
        width = 0.7 * (np.nanmin(np.diff(np.sort(xs))) if len(xs) > 1 else 1.0)
        return _stacked(ctx, ax, col, groups, xs, width, categories)
    if kind == "when":
        frame = pd.DataFrame({"g": groups, "y": y}).dropna()
        q = frame.groupby("g")["y"].quantile([0.25, 0.5, 0.75]).unstack()
        q = q[q.index >= 0]
        x = xs[q.index.to_numpy().astype(int)]
        ax.errorbar(x, q[0.5], yerr=_yerr(q[0.5].to_numpy(), q[0.25].to_numpy(), q[0.75].to_numpy()),
                    marker="o", capsize=3, color="#08519c", linestyle=line)
        ax.set_ylim(bottom=0)
        return None
    if not discrete:
        per_point = pd.Series(y).groupby(point_ids).mean()
        px = ctx.points[p].reindex(per_point.index).to_numpy(dtype=float)
        ax.scatter(px, per_point.to_numpy(), s=5, alpha=0.15, color="#6baed6", linewidths=0)
    g, mean, lo, hi, _ = mean_ci(y, groups, binary=kind == "binary")
    ok = g >= 0
    x = xs[g[ok].astype(int)]
    if discrete:
        ax.errorbar(x, mean[ok], yerr=_yerr(mean[ok], lo[ok], hi[ok]), marker="o", capsize=3,
                    color="#08519c", linestyle=line)
    else:
        ax.fill_between(x, lo[ok], hi[ok], color="#08519c", alpha=0.2, linewidth=0)
        ax.plot(x, mean[ok], marker="o", color="#08519c")
    return None


def _stacked(ctx: Context, ax, col: str, groups: np.ndarray, xs: np.ndarray, width: float, categories: list[str]):
    s = ctx.runs[col].astype(str)
    table = pd.crosstab(pd.Series(groups, name="g"), pd.Series(s.to_numpy(), name="c"), normalize="index")
    table = table.reindex(columns=categories, fill_value=0.0)
    ordered = col.split(".", 1)[0] in ("commitment", "stance") or col == "russia_stance"
    colours = _category_colours(len(categories), ordered)
    bottom = np.zeros(len(table))
    x = xs[table.index.to_numpy().astype(int)]
    handles = []
    for c, colour in zip(categories, colours):
        h = ax.bar(x, table[c].to_numpy(), width=width, bottom=bottom, color=colour,
                   label=level_label(ctx, c) if col.startswith("commitment") else c.replace("_", " "))
        bottom += table[c].to_numpy()
        handles.append(h)
    ax.set_ylim(0, 1)
    return handles


# --------------------------------------------------------------------------
# 3. Time to commitment per state


TIMING = {
    "strike_day": ("first strike", "Days to each state's first strike",
                   "begins strikes (a strike decided after the attack)"),
    "commitment_day": ("first new commitment", "Days to each state's first new commitment",
                       "takes on a new commitment (any level, decided after the attack)"),
}


def figure_timing(ctx: Context, folder: Path) -> None:
    any_kept = False
    for head, (what, title, verb) in TIMING.items():
        cols = [c for c in ctx.runs.columns if c.startswith(head + ".")]
        if not cols:
            continue
        any_kept = True
        stats = []
        for c in cols:
            days = ctx.runs[c].dropna().to_numpy(dtype=float)
            if len(days):
                stats.append((c.split(".", 1)[1], days))
        if not stats:
            ctx.notes.append(f"Timing ({what}): no state's {what} came within the horizon in any run.")
            continue
        total = len(ctx.runs)
        stats.sort(key=lambda t: (np.median(t[1]), -len(t[1])))
        _timing_boxes(ctx, folder, head, what, title, verb, stats, total)
        _timing_ecdf(ctx, folder, head, what, title, verb, stats, total)
    if not any_kept:
        ctx.notes.append("Timing: skipped; the experiment kept no per-state day (strike_day.XXX or "
                         "commitment_day.XXX; add e.g. 'strike_day.*' to outputs.summary).")


def _timing_boxes(ctx, folder, head, what, title, verb, stats, total) -> None:
    names = [state_name(ctx, code) for code, _ in stats]
    height = 1.6 + 0.32 * len(stats)
    fig = _figure(9.5, max(height, 2.6))
    ax, bx = fig.subplots(1, 2, sharey=True, width_ratios=[3, 1])
    # First at the top.
    data = [d for _, d in stats][::-1]
    _boxplot_horizontal(ax, data, names[::-1])
    ax.set_xlabel(f"{ctx.day_axis}, in the runs in which it came")
    ax.set_xlim(left=-1, right=float(np.max(ctx.horizon)) + 1)
    ax.grid(axis="x", alpha=0.3)
    share = np.array([len(d) / total for d in data])
    bx.barh(np.arange(1, len(data) + 1), share, color="#6baed6", height=0.6)
    for yk, v in enumerate(share, start=1):
        bx.text(min(v + 0.03, 0.97), yk, f"{100 * v:.0f}%", va="center", ha="left" if v < 0.8 else "right",
                fontsize=7)
    bx.set_xlim(0, 1)
    bx.set_xlabel(f"share of runs in which it\ncame within {ctx.horizon_text}")
    bx.grid(axis="x", alpha=0.3)
    fig.suptitle(title)
    _save(ctx, fig, folder, Figure(
        f"timing_{head}.png", "timing", title,
        f"For every state that {verb} in at least one run: left, the distribution of the day it happened "
        f"(box: middle half of the runs, line: median, whiskers: 1.5 × the box, dots beyond); right, the share "
        f"of all {total:,} runs in which it happened at all. Runs in which it never came within the horizon "
        f"({ctx.horizon_text}) are censored: they are not in the box, only missing from the share. States "
        f"ordered by median day."))


def _timing_ecdf(ctx, folder, head, what, title, verb, stats, total) -> None:
    chosen = sorted(stats, key=lambda t: -len(t[1]))[:MAX_ECDF_STATES]
    chosen.sort(key=lambda t: (np.median(t[1]), -len(t[1])))
    horizon = float(np.max(ctx.horizon))
    fig = _figure(8.8, 4.2)
    ax = fig.subplots()
    for code, days in chosen:
        d = np.sort(days)
        steps = np.concatenate([[0.0], d, [horizon]])
        cum = np.concatenate([[0.0], np.arange(1, len(d) + 1) / total, [len(d) / total]])
        ax.step(steps, cum, where="post", label=f"{state_name(ctx, code)} ({100 * len(d) / total:.0f}%)")
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(ctx.day_axis)
    ax.set_ylabel(f"share of runs with a {what}\nby that day")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False,
              title="state (share by the horizon)", title_fontsize=8)
    fig.suptitle(f"{title}: cumulative share of runs")
    more = (f" The {len(chosen)} states that move in the most runs are drawn." if len(stats) > len(chosen) else "")
    _save(ctx, fig, folder, Figure(
        f"timing_{head}_ecdf.png", "timing", f"{title} (cumulative)",
        f"The share of all {total:,} runs in which a state has had its {what} by each day (an empirical "
        f"cumulative distribution over all runs). A curve that ends below 1 at the horizon ({ctx.horizon_text}) "
        f"leaves the runs in which it never happened: the gap is the censored share.{more}"))


# --------------------------------------------------------------------------
# 4. Sensitivity indices


METHOD_TEXT = {
    "sobol": ("Sobol indices", "share of the output's variance",
              "S1 (first order): the share of the output's variance due to the parameter alone; ST (total): "
              "including its interactions with the others. Error bars: 95% bootstrap intervals (SALib). An ST "
              "near 0 means the parameter does not matter over its range; a small negative S1 is estimation noise."),
    "morris": ("Morris elementary effects", "effect on the output (its units)",
               "mu*: the mean absolute change of the output per step of the parameter (its importance), with a 95% "
               "bootstrap interval; sigma: the spread of those changes (non-linearity or interactions)."),
    "spearman": ("Spearman rank correlations", "rank correlation with the output",
                 "Spearman's rank correlation between each parameter and the output over the design points "
                 "(a screening for grid and Latin hypercube designs, not a variance decomposition; no interval)."),
}


def figure_sensitivity(ctx: Context, folder: Path) -> None:
    path = ctx.path / "sensitivity.csv"
    if not path.is_file():
        ctx.notes.append("Sensitivity indices: skipped; there is no sensitivity.csv. Run "
                         f"'coalition-sim analyze {ctx.path}' and then this report again.")
        return
    try:
        table = pd.read_csv(path)
    except Exception as exc:
        ctx.notes.append(f"Sensitivity indices: skipped; sensitivity.csv cannot be read ({exc}).")
        return
    if table.empty or "method" not in table.columns:
        ctx.notes.append("Sensitivity indices: skipped; sensitivity.csv holds no indices (no output varied).")
        return
    method = str(table["method"].iloc[0])
    if method not in METHOD_TEXT:
        ctx.notes.append(f"Sensitivity indices: skipped; unknown method {method!r} in sensitivity.csv.")
        return
    table = table[table["method"] == method]
    outputs = list(dict.fromkeys(table["output"]))
    params = list(dict.fromkeys(table["parameter"]))
    n = len(outputs)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    label_w = max(len(param_label(ctx, p)) for p in params) * 0.07
    fig = _figure(ncols * 3.4 + label_w + 0.6, nrows * (0.42 * len(params) + 1.4) + 0.9)
    axes = _grid_axes(fig, n, ncols, sharey=True)
    ypos = np.arange(len(params))[::-1].astype(float)
    name, unit, explain = METHOD_TEXT[method]
    for ax, output in zip(axes, outputs):
        block = table[table["output"] == output].set_index("parameter").reindex(params)
        if method == "sobol":
            for offset, col, colour, lab in ((0.19, "S1", "#6baed6", "S1 (alone)"),
                                             (-0.19, "ST", "#08519c", "ST (with interactions)")):
                ax.barh(ypos + offset, block[col].to_numpy(dtype=float), height=0.36,
                        xerr=block[f"{col}_conf"].to_numpy(dtype=float), color=colour, label=lab,
                        error_kw={"elinewidth": 1, "capsize": 2})
            ax.axvline(0, color="black", linewidth=0.6)
        elif method == "morris":
            ax.barh(ypos + 0.19, block["mu_star"].to_numpy(dtype=float), height=0.36,
                    xerr=block["mu_star_conf"].to_numpy(dtype=float), color="#08519c", label="mu* (importance)",
                    error_kw={"elinewidth": 1, "capsize": 2})
            ax.barh(ypos - 0.19, block["sigma"].to_numpy(dtype=float), height=0.36, color="#fdae6b",
                    label="sigma (interactions, non-linearity)")
        else:
            rho = block["spearman"].to_numpy(dtype=float)
            ax.barh(ypos, rho, height=0.6, color=np.where(rho >= 0, "#08519c", "#de2d26"))
            ax.axvline(0, color="black", linewidth=0.6)
            ax.set_xlim(-1, 1)
        ax.set_title(_wrap(output_label(ctx, output), 44), fontsize=9)
        ax.set_xlabel(unit, fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_yticks(ypos, [param_label(ctx, p) for p in params], fontsize=8)
    if method in ("sobol", "morris"):
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    fig.suptitle(f"{name} of the outputs (from sensitivity.csv)")
    days = (" Days that never came count as the horizon; outputs are averaged over each point's replicates "
            "first (as 'coalition-sim analyze' computes them).")
    _save(ctx, fig, folder, Figure("sensitivity.png", "sensitivity", name, explain + days))


# --------------------------------------------------------------------------
# The page


SECTIONS = (
    ("outcomes", "Outcome probabilities per design point"),
    ("effects", "The effect of each varied parameter"),
    ("timing", "Time to commitment per state"),
    ("sensitivity", "Sensitivity indices"),
)

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
.description { font-size: 1.1em; color: #333; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; }
code { background: #f4f4f4; padding: 0 0.2em; border-radius: 3px; }
figure { margin: 1.2em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.4em; }
.notes li { margin-bottom: 0.3em; } pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; }
footer { color: #777; font-size: 0.85em; margin-top: 3em; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


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


def _page(ctx: Context, created: str) -> str:
    m = ctx.manifest
    counts = m.get("counts") or {}
    name = m.get("name") or ctx.path.name
    kind = ctx.kind
    design = KIND_WORDS.get(kind, kind)
    samples = ""
    if ctx.specs and kind != "grid":
        try:
            samples = f", {manifest_experiment(m).design.samples} samples"
        except Exception:
            samples = ""
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           f'<meta name="generator" content="{GENERATOR}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(name)}: sweep report</title>", f"<style>{CSS}</style></head><body>",
           f"<h1>{_e(name)}</h1>"]
    if m.get("description"):
        out.append(f'<p class="description">{_e(m["description"].strip())}</p>')
    points = counts.get("points", ctx.runs["point_id"].nunique())
    replicates = counts.get("replicates", ctx.replicates)
    total = counts.get("runs", len(ctx.runs))
    facts = [
        ("Design", f"{design}{samples}"),
        ("Counts", f"{points:,} design points × {replicates:,} replicates = {total:,} runs"
                   + ("" if len(ctx.runs) == total else f" ({len(ctx.runs):,} in runs.parquet)")),
        ("Horizon", f"{ctx.horizon_text}, {ctx.day_axis.replace('days after', 'from')}"),
        ("Scenario", m.get("scenario_file", "")),
        ("Experiment file", m.get("experiment_file", "")),
        ("Seed", f"{m.get('seed', '')}" + ("; common random numbers (every point sees the same draws)"
                                             if m.get("common_random_numbers") else "")),
        ("Engine", m.get("engine", "")),
    ]
    out.append("<h2>The experiment</h2><table>")
    out += [f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts if v not in ("", None)]
    out.append("</table>")
    if ctx.params:
        out.append("<table><tr><th>Varied parameter</th><th>Path in the scenario</th><th>Values</th></tr>")
        for p in ctx.params:
            out.append(f"<tr><td>{_e(param_label(ctx, p))}</td><td><code>{_e(p)}</code></td>"
                       f"<td>{_e(_spec_text(ctx, p))}</td></tr>")
        out.append("</table>")
    glance = _glance_rows(ctx)
    if glance:
        out.append(f"<h2>Over all {len(ctx.runs):,} runs</h2><table>")
        out += [f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in glance]
        out.append("</table>")
    number = 0
    for key, heading in SECTIONS:
        figures = [f for f in ctx.figures if f.section == key]
        if not figures:
            continue
        number += 1
        out.append(f'<h2 id="{key}">{number}. {_e(heading)}</h2>')
        for f in figures:
            out.append(f'<figure><img src="{_e(f.file)}" alt="{_e(f.title)}" loading="lazy">'
                       f"<figcaption><b>{_e(f.title)}.</b> {_e(f.caption)}</figcaption></figure>")
    if ctx.notes:
        out.append('<h2>Notes</h2><ul class="notes">')
        out += [f"<li>{_e(n)}</li>" for n in ctx.notes]
        out.append("</ul>")
    if m.get("experiment_text"):
        out.append(f"<details><summary>The experiment file</summary><pre>{_e(m['experiment_text'])}</pre></details>")
    versions = m.get("versions") or {}
    made = f"coalition-sim {versions.get('coalition-sim', '')}".strip() if isinstance(versions, dict) else ""
    commit = f", commit {m['git_commit'][:12]}" if m.get("git_commit") else ""
    out.append(f"<footer>Made by <code>coalition-sim report</code> on {_e(created)} from <code>{_e(ctx.path)}</code>"
               f" (sweep finished {_e(m.get('finished', '?'))}{_e(commit)}{'; ' + _e(made) if made else ''}).</footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# The public function


def _is_report(folder: Path) -> bool:
    index = folder / "index.html"
    try:
        return index.is_file() and f'content="{GENERATOR}"' in index.read_text(errors="replace")[:2000]
    except OSError:
        return False


def _check_target(src: Path, target: Path) -> None:
    if target.resolve() == src.resolve():
        raise ConfigError(str(target), "--out", "is the results directory itself; choose a folder for the report")
    if target.exists():
        if not target.is_dir():
            raise ConfigError(str(target), "--out", "exists and is a file; choose a folder for the report")
        if any(target.iterdir()) and not _is_report(target):
            raise ConfigError(str(target), "--out", "exists and is not a report made by coalition-sim; "
                                                    "choose another folder (it is replaced as a whole)")


def report(results_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the figures and ``index.html`` of a sweep's results directory.

    ``out`` defaults to ``results_dir/report``. It is built in a temporary
    folder beside the target and renamed into place; a previous report there
    is replaced, any other existing folder is refused (ConfigError). Returns
    the report's folder. Bad input (no results directory, no runs.parquet)
    raises :class:`sim.errors.ConfigError`.
    """
    src = Path(results_dir)
    ctx = _load(src)
    target = Path(out) if out is not None else src / "report"
    _check_target(src, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-building-", dir=target.parent))
    old = None
    try:
        for draw in (figure_outcomes, figure_effects, figure_timing, figure_sensitivity):
            draw(ctx, tmp)
        (tmp / "index.html").write_text(_page(ctx, created), encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a report is for reading
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            os.replace(target, old / target.name)
        try:
            os.replace(tmp, target)
        except BaseException:
            if old is not None:
                os.replace(old / target.name, target)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not (old / target.name).exists():
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target
