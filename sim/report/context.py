"""What the report knows about a sweep: its runs, design, horizon and states' names; labels in words;
the kinds of its outputs; the statistics the figures draw."""


from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..outputs import split_column
from ..experiment import Span, _choices, as_numbers, is_day_column, load_results, manifest_experiment, run_horizons
from ..yamlio import load_yaml_text


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
    "government_seats": "government's seats",
    "opposition_seats": "main opposition's seats",
    "government_position": "government's line",
    "opposition_position": "main opposition's line",
    "government_type": "type of government",
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
    timeseries: pd.DataFrame | None = None   # the per-day tables, when the sweep kept them
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
        scenario = load_yaml_text(manifest.get("scenario_text") or "", "manifest.json: scenario_text") or {}
    except ConfigError:
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
    ctx.timeseries = getattr(res, "timeseries", None)
    ctx.points = runs.drop_duplicates("point_id").set_index("point_id").sort_index()[params]
    return ctx


def _state_names(manifest: dict, scenario: dict) -> dict[str, str]:
    """ISO3 code -> name, from the scenario's states table (or the default one)."""
    from ..states import load_states

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


def _qualifier(measure: str) -> str:
    return measure.partition(".")[2].replace("_", " ")


def output_label(ctx: Context, col: str) -> str:
    if col in OUTPUT_LABELS:
        return OUTPUT_LABELS[col]
    measure, code = split_column(col)
    if code:
        name = state_name(ctx, code)
        head = measure.partition(".")[0]
        if measure == "commitment":
            return f"{name}'s final commitment"
        if measure == "strike_day":
            return f"Day {name} strikes (any theatre)"
        if head == "strike_day":
            return f"Day {name} strikes in {_qualifier(measure).title()}"
        if head == "commitment_day":
            return f"Day {name} reaches {level_label(ctx, _qualifier(measure).replace(' ', '_'))}"
        if measure == "response_strike_day":
            return f"Day {name} begins strikes"
        if measure == "response_day":
            return f"Day of {name}'s first new commitment"
        if measure == "stance":
            return f"{name}'s final stance"
        if head == "stance_day":
            return f"Day {name} first reaches {_qualifier(measure)}"
    return _cap(col.replace("_", " ").replace(".", " "))


def event_label(ctx: Context, col: str) -> str:
    """A day output as the event 'it came within the horizon'."""
    if col in EVENT_LABELS:
        return EVENT_LABELS[col]
    measure, code = split_column(col)
    if measure == "response_strike_day":
        return f"{state_name(ctx, code)} strikes"
    if measure == "response_day":
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
    head = split_column(col)[0]
    base = LEVEL_ORDER if head == "commitment" else STANCE_ORDER if head == "stance" else ()
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


