"""Scenario discovery and feature scoring over a sweep's results.

* :func:`to_ema` turns a sweep's results into EMA Workbench's
  ``(experiments, outcomes)`` pair: the varied parameters per run (numbers
  as floats or ints, categorical ones as pandas categoricals) and a dict of
  one array per kept output (days as floats with NaN for "never came",
  yes/no as bools, categorical outputs as arrays of their labels), so EMA
  Workbench's whole analysis library (PRIM, CART, feature scoring, dimensional
  stacking, ...) works on a sweep.
* :func:`discover` finds the parameter ranges in which a condition on the
  outputs holds (``strike_day.syria.GBR <= 35``): PRIM's boxes (coverage, density,
  the restricted ranges) and CART's leaves, with a figure.
* :func:`feature_scores` scores every varied parameter against every output
  (extra trees; a categorical or yes/no output by classification, a number
  or day by regression).

PRIM, CART and the feature scores are EMA Workbench's (``pip install
coalition-sim[discover]``); nothing here re-implements them.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError
from .experiment import RUN_COLUMNS, is_day_column, load_results, run_horizons

__all__ = ["to_ema", "discover", "feature_scores", "Discovery", "Box"]


def _ema():
    """EMA Workbench's analysis package, or a ConfigError naming the extra."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import cart, feature_scoring, prim
            from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    except ImportError:
        raise ConfigError("ema_workbench", None, "is not installed: pip install 'coalition-sim[discover]'") from None
    return prim, cart, feature_scoring, RuleInductionType


def _results(results):
    return load_results(results) if isinstance(results, (str, Path)) else results


def _params(res) -> list[str]:
    return [p for p in res.manifest["design"]["parameters"] if p in res.columns]


def to_ema(results) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A sweep's results (a folder or :func:`sim.load_results`' frame) as
    EMA Workbench's ``(experiments, outcomes)``: one row per run."""
    res = _results(results)
    params = _params(res)
    experiments = pd.DataFrame(index=range(len(res)))
    for p in params:
        s = res[p].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            s = s.astype(str).astype("category")
        experiments[p] = s
    outcomes: dict[str, np.ndarray] = {}
    for c in res.columns:
        if c in RUN_COLUMNS or c in params:
            continue
        s = res[c]
        if is_day_column(c):
            outcomes[c] = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_bool_dtype(s.dtype):
            outcomes[c] = s.to_numpy(dtype=bool)
        elif isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
            outcomes[c] = s.astype(object).where(s.notna(), None).to_numpy()
        elif pd.api.types.is_numeric_dtype(s.dtype):
            outcomes[c] = s.to_numpy(dtype=float) if s.hasnans else s.to_numpy()
    return experiments, outcomes


# --------------------------------------------------------------------------
# The condition


_OPS = r"(<=|>=|==|!=|<|>)"


def condition(res, where: str) -> np.ndarray:
    """The runs in which ``where`` holds: comparisons of outputs with values
    (``strike_day.syria.GBR <= 35``, ``commitment.DNK >= "support"``,
    ``article5_invoked == True``), joined by ``and``, ``or``, ``not`` and
    brackets. A day that never came is later than any day (so
    ``strike_day.syria.GBR <= 35`` means "strikes by day 35", and ``> 35`` includes
    the runs in which it never struck)."""
    names = sorted((c for c in res.columns if c not in RUN_COLUMNS), key=len, reverse=True)
    frame = {}
    text = where
    used = []
    for k, name in enumerate(names):
        pattern = r"(?<![\w.`])" + re.escape(name) + r"(?![\w.])"
        if re.search(pattern, text):
            alias = f"__c{k}"
            text = re.sub(pattern, alias, text)
            s = res[name]
            if is_day_column(name):
                s = s.astype("Float64").to_numpy(dtype=float, na_value=np.inf)
            frame[alias] = pd.Series(s).reset_index(drop=True)
            used.append(name)
    if not used:
        raise ConfigError("--where", None, f"{where!r} names no output of the sweep (e.g. 'strike_day.syria.GBR <= 35')")
    try:
        value = pd.DataFrame(frame).eval(text, engine="python")
    except Exception as exc:
        raise ConfigError("--where", None, f"cannot read {where!r} ({type(exc).__name__}: {exc})") from None
    value = np.asarray(value)
    if value.dtype != bool or value.shape != (len(res),):
        raise ConfigError("--where", None, f"{where!r} is not a yes/no condition on each run")
    return value


# --------------------------------------------------------------------------
# PRIM and CART


@dataclass
class Box:
    """A box in the parameters' space: its statistics and restricted ranges."""

    method: str                      # "prim" or "cart"
    coverage: float                  # share of the cases of interest inside the box
    density: float                   # share of the runs inside that are cases of interest
    mass: float                      # share of all runs inside
    limits: dict[str, tuple]         # parameter -> (low, high) or the set of values kept

    def describe(self, label=lambda p: p) -> list[str]:
        lines = [f"  coverage {self.coverage:.2f}, density {self.density:.2f}, mass {self.mass:.2f}"]
        if not self.limits:
            lines.append("  (no parameter restricted)")
        for p, lim in self.limits.items():
            if isinstance(lim, frozenset):
                lines.append(f"  {label(p)}: one of {', '.join(sorted(map(str, lim)))}")
            else:
                lines.append(f"  {label(p)}: from {lim[0]:.4g} to {lim[1]:.4g}")
        return lines


@dataclass
class Discovery:
    where: str
    cases: int
    runs: int
    boxes: list[Box] = field(default_factory=list)
    trajectories: list[pd.DataFrame] = field(default_factory=list)
    chosen: list[int] = field(default_factory=list)
    cart: list[Box] = field(default_factory=list)
    figure: Path | None = None

    def text(self, label=lambda p: p) -> str:
        lines = [f"{self.where}: {self.cases:,} of {self.runs:,} runs ({100 * self.cases / max(self.runs, 1):.1f}%)"]
        for k, box in enumerate(self.boxes, start=1):
            lines.append(f"PRIM box {k}" + (":" if k == 1 else " (statistics of the runs the earlier boxes left):"))
            lines += box.describe(label)
        for k, box in enumerate(self.cart, start=1):
            lines.append(f"CART leaf {k} (of the densest):")
            lines += box.describe(label)
        return "\n".join(lines)


def _limits(lims: pd.DataFrame, init: pd.DataFrame) -> dict[str, tuple]:
    """The restricted dimensions of a box: numeric (low, high) or the kept set."""
    out: dict[str, tuple] = {}
    for p in lims.columns:
        lo, hi = lims[p].iloc[0], lims[p].iloc[1]
        lo0, hi0 = init[p].iloc[0], init[p].iloc[1]
        if isinstance(lo, (set, frozenset)):
            if set(lo) != set(lo0):
                out[p] = frozenset(lo)
        elif lo > lo0 or hi < hi0:
            out[p] = (float(lo), float(hi))
    return out


def _pick(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """The densest box on the trajectory that still covers ``min_coverage``."""
    ok = trajectory[trajectory["coverage"] >= min_coverage]
    if ok.empty:
        ok = trajectory
    best = ok[ok["density"] == ok["density"].max()]
    return int(best["coverage"].idxmax())


def discover(results, where: str, *, boxes: int = 2, min_coverage: float = 0.5, mass_min: float = 0.05,
             peel_alpha: float = 0.05, figure: str | Path | None = None) -> Discovery:
    """PRIM (up to ``boxes`` boxes, each the densest step of its peeling
    trajectory that covers at least ``min_coverage`` of the cases left) and
    CART over the runs of a sweep, for the cases in which ``where`` holds.
    Writes a figure to ``figure`` when given."""
    prim, cart, _, RuleInductionType = _ema()
    res = _results(results)
    x, _ = to_ema(res)
    if x.shape[1] == 0:
        raise ConfigError(str(getattr(res, "path", "results")), None, "the design varies no parameter")
    y = condition(res, where)
    found = Discovery(where=where, cases=int(y.sum()), runs=len(y))
    if found.cases == 0 or found.cases == len(y):
        raise ConfigError("--where", None, f"{where!r} holds in {'no' if found.cases == 0 else 'every'} run: "
                                           "nothing to discover")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("EMA").setLevel(logging.ERROR)
        p = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
        for _ in range(boxes):
            box = p.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory.reset_index(drop=True)
            i = _pick(traj, min_coverage)
            box.select(i)
            # PRIM's own statistics: a later box's are of the runs the earlier boxes left.
            row = traj.iloc[i]
            found.boxes.append(Box("prim", float(row["coverage"]), float(row["density"]), float(row["mass"]),
                                   _limits(box.box_lims[i], p.box_init)))
            found.trajectories.append(traj)
            found.chosen.append(i)
        tree = cart.CART(x, y, mass_min=mass_min, mode=RuleInductionType.BINARY)
        tree.build_tree()
        leaves = []
        for lims, stats in zip(tree.boxes, tree.stats):
            leaves.append(Box("cart", float(stats["coverage"]), float(stats["density"]), float(stats["mass"]),
                              _limits(lims, p.box_init)))
        leaves.sort(key=lambda b: (-b.density, -b.coverage))
        found.cart = [b for b in leaves if b.density > found.cases / found.runs][:3]
    if figure is not None:
        found.figure = _draw(found, x, Path(figure))
    return found


def _in_box(x: pd.DataFrame, lims: pd.DataFrame) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for p in lims.columns:
        lo, hi = lims[p].iloc[0], lims[p].iloc[1]
        if isinstance(lo, (set, frozenset)):
            inside &= x[p].astype(object).isin(list(lo)).to_numpy()
        else:
            v = x[p].to_numpy(dtype=float)
            inside &= (v >= lo) & (v <= hi)
    return inside


# --------------------------------------------------------------------------
# Feature scoring


def feature_scores(results, outputs: list[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """Extra-trees feature scores (EMA Workbench's ``get_ex_feature_scores``)
    of every varied parameter for every output that varies: a parameter ×
    output table whose columns each sum to 1. Days that never came count
    as the horizon; yes/no and categorical outputs are classified."""
    _, _, feature_scoring, RuleInductionType = _ema()
    res = _results(results)
    x, outcomes = to_ema(res)
    horizon = run_horizons(res, res.manifest)
    scores = {}
    for name, y in outcomes.items():
        if outputs and name not in outputs:
            continue
        if y.dtype == object:
            y = np.asarray(["" if v is None else str(v) for v in y])
            mode = RuleInductionType.CLASSIFICATION
            varies = len(np.unique(y)) > 1
        elif y.dtype == bool:
            mode = RuleInductionType.CLASSIFICATION
            varies = y.any() and not y.all()
        else:
            y = np.where(np.isnan(y), horizon, y) if is_day_column(name) else y.astype(float)
            if not np.isfinite(y).all():
                continue
            mode = RuleInductionType.REGRESSION
            varies = np.ptp(y) > 0
        if not varies:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table, _ = feature_scoring.get_ex_feature_scores(x, y, mode=mode, random_state=seed, nr_trees=50)
        scores[name] = table.iloc[:, 0]
    if not scores:
        return pd.DataFrame(index=list(x.columns))
    table = pd.DataFrame(scores).reindex(list(x.columns))
    table.index.name = "parameter"
    return table


# --------------------------------------------------------------------------
# The figure


def _draw(found: Discovery, x: pd.DataFrame, path: Path) -> Path:
    """Left: PRIM's peeling trajectory (coverage against density); right:
    each box's restricted ranges as a share of the parameter's range."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax, bx = fig.subplots(1, 2, width_ratios=[1, 1.3])
    for k, (traj, i) in enumerate(zip(found.trajectories, found.chosen), start=1):
        sc = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=14,
                        marker="o" if k == 1 else "s")
        ax.scatter([traj["coverage"][i]], [traj["density"][i]], s=110, facecolors="none", edgecolors="red")
        ax.annotate(f"box {k}", (traj["coverage"][i], traj["density"][i]), textcoords="offset points",
                    xytext=(6, 6), fontsize=8, color="red")
    if found.trajectories:
        fig.colorbar(sc, ax=ax, label="parameters restricted")
    ax.set_xlabel("coverage (share of the cases of interest in the box)")
    ax.set_ylabel("density (share of the box's runs that are cases)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title("PRIM peeling trajectory", fontsize=10)
    rows = [(k, p, lim) for k, b in enumerate(found.boxes, start=1) for p, lim in b.limits.items()]
    labels = []
    for j, (k, p, lim) in enumerate(rows):
        if isinstance(lim, frozenset):
            values = list(x[p].cat.categories)
            for v in values:
                bx.scatter([values.index(v) / max(len(values) - 1, 1)], [j], color="#08519c" if v in lim else "#ccc",
                           s=50, zorder=3)
            labels.append(f"box {k}: {p}\n{{{', '.join(sorted(map(str, lim)))}}}")
        else:
            lo0, hi0 = float(x[p].min()), float(x[p].max())
            span = (hi0 - lo0) or 1.0
            a, b = (max(lim[0], lo0) - lo0) / span, (min(lim[1], hi0) - lo0) / span
            bx.plot([0, 1], [j, j], color="#ccc", linewidth=6, solid_capstyle="butt")
            bx.plot([a, b], [j, j], color="#08519c", linewidth=6, solid_capstyle="butt")
            labels.append(f"box {k}: {p}\n{lim[0]:.3g} to {lim[1]:.3g} (of {lo0:.3g} to {hi0:.3g})")
    bx.set_yticks(range(len(rows)), labels, fontsize=7)
    bx.invert_yaxis()
    bx.set_xlim(-0.05, 1.05)
    bx.set_xlabel("position in the parameter's sampled range")
    bx.set_title("Restricted ranges of each box", fontsize=10)
    fig.suptitle(f"Scenario discovery: {found.where} ({found.cases:,} of {found.runs:,} runs)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, dpi=110, facecolor="white", format="png")
    tmp.replace(path)
    return path
