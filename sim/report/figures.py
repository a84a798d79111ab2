"""The report's figures, each drawn on matplotlib's Agg canvas (no pyplot, so the caller's backend is
left alone) and recorded on the context with its section, title and caption."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..outputs import split_column
from .context import (
    DPI,
    MAX_OUTCOMES,
    MAX_STATE_OUTCOMES,
    MAX_EFFECTS,
    MAX_EFFECT_STATES,
    MAX_HEATMAP_ROWS,
    MAX_ECDF_STATES,
    MAX_BINS,
    RUN_COLUMNS,
    BINARY_OUTPUTS,
    NUMBER_OUTPUTS,
    DAY_OUTPUTS,
    OUTPUT_LABELS,
    EVENT_LABELS,
    Figure,
    Context,
    _cap,
    state_name,
    param_label,
    level_label,
    output_label,
    event_label,
    axis_label,
    _wrap,
    _slug,
    output_kind,
    numeric_values,
    category_order,
    _numeric_positions,
    _param_axis,
    mean_ci,
    _yerr,
    _bins,
    _spearman,
    value_label,
)

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
    striking = {split_column(c)[1] for c in cols if split_column(c)[0] == "response_strike_day"}
    for c in cols:
        head, code = split_column(c)
        if head == "response_strike_day" or (head == "response_day" and code not in striking):
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
            if not item[0].startswith("response_day."):
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
    main = [c for c in BINARY_OUTPUTS + NUMBER_OUTPUTS + DAY_OUTPUTS if c in cols]
    main += [c for c in cols if c not in main and "." not in c and pd.api.types.is_bool_dtype(runs[c].dtype)]
    states = sorted({split_column(c)[1] for c in cols if split_column(c)[0] in
                     ("commitment", "response_strike_day", "response_day", "stance")})
    per_state = []
    if 0 < len(states) <= MAX_EFFECT_STATES:
        for code in states:
            per_state += [c for c in (f"commitment.{code}", f"response_strike_day.{code}", f"response_day.{code}",
                                      f"stance.{code}") if c in cols]
    elif states:
        ctx.notes.append(f"Effects: the experiment keeps per-state outputs for {len(states)} states; they have no "
                         "effect figure each (see the timing figures), keep a few states with outputs.summary "
                         "(e.g. [response_strike_day.DNK, commitment.DNK]) to get one.")
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
    ordered = split_column(col)[0] in ("commitment", "stance")
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
    "response_strike_day": ("first strike", "Days to each state's first strike",
                   "begins strikes (a strike decided after the attack)"),
    "response_day": ("first new commitment", "Days to each state's first new commitment",
                       "takes on a new commitment (any level, decided after the attack)"),
}


def figure_timing(ctx: Context, folder: Path) -> None:
    any_kept = False
    for head, (what, title, verb) in TIMING.items():
        cols = [c for c in ctx.runs.columns if split_column(c)[0] == head]
        if not cols:
            continue
        any_kept = True
        stats = []
        for c in cols:
            days = ctx.runs[c].dropna().to_numpy(dtype=float)
            if len(days):
                stats.append((split_column(c)[1], days))
        if not stats:
            ctx.notes.append(f"Timing ({what}): no state's {what} came within the horizon in any run.")
            continue
        total = len(ctx.runs)
        stats.sort(key=lambda t: (np.median(t[1]), -len(t[1])))
        _timing_boxes(ctx, folder, head, what, title, verb, stats, total)
        _timing_ecdf(ctx, folder, head, what, title, verb, stats, total)
    if not any_kept:
        ctx.notes.append("Timing: skipped; the experiment kept no per-state day (response_strike_day.XXX or "
                         "response_day.XXX; add e.g. 'response_strike_day.*' to outputs.summary).")


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
                 "(a screening for grid and Latin hypercube designs, not a variance decomposition); error bars: "
                 "95% intervals (Fisher's z)."),
    "delta": ("Delta moment-independent measures", "delta (0: no influence)",
              "Borgonovo's delta: how far the output's whole distribution moves when the parameter is known "
              "(0: not at all), estimated from the design points as sampled (SALib), with 95% bootstrap "
              "intervals; it needs no particular design."),
}
MAX_SENSITIVITY_PANELS = 12



def _importance(block: pd.DataFrame, method: str) -> float:
    col = {"sobol": "ST", "morris": "mu_star", "delta": "delta", "spearman": "spearman"}[method]
    values = block[col].to_numpy(dtype=float)
    return float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0


def figure_sensitivity(ctx: Context, folder: Path) -> None:
    """One figure per method in sensitivity.csv (Sobol, Morris, delta,
    Spearman), of the outputs (and categories) it holds for this sweep."""
    from ..sensitivity import FILE, read

    path = ctx.path / FILE
    if not path.is_file():
        ctx.notes.append("Sensitivity indices: skipped; there is no sensitivity.csv. Run "
                         f"'coalition-sim analyze {ctx.path}' and then this report again.")
        return
    try:
        table = read(path)
    except Exception as exc:
        ctx.notes.append(f"Sensitivity indices: skipped; sensitivity.csv cannot be read ({exc}).")
        return
    table = table[table["output"].isin(ctx.runs.columns) & table["parameter"].isin(ctx.params)]
    if table.empty:
        ctx.notes.append("Sensitivity indices: skipped; sensitivity.csv holds no indices of this sweep's "
                         "outputs and parameters.")
        return
    table = table.assign(key=table["output"] + table["category"].map(
        lambda c: f"={c}" if isinstance(c, str) and c else ""))
    for method in ("sobol", "morris", "delta", "spearman"):
        part = table[table["method"] == method]
        if not part.empty:
            _sensitivity_figure(ctx, folder, method, part)


def _key_label(ctx: Context, key: str) -> str:
    output, _, category = key.partition("=")
    label = output_label(ctx, output)
    if not category:
        return label
    words = level_label(ctx, category) if output.startswith("commitment") else category.replace("_", " ")
    return f"{label}: probability of {words}"


def _sensitivity_figure(ctx: Context, folder: Path, method: str, table: pd.DataFrame) -> None:
    keys = list(dict.fromkeys(table["key"]))
    ranked = sorted(keys, key=lambda k: -_importance(table[table["key"] == k], method))
    shown = [k for k in keys if k in ranked[:MAX_SENSITIVITY_PANELS]]
    params = [p for p in ctx.params if p in set(table["parameter"])]
    n = len(shown)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    label_w = max(len(param_label(ctx, p)) for p in params) * 0.07
    fig = _figure(ncols * 3.4 + label_w + 0.6, nrows * (0.42 * len(params) + 1.4) + 0.9)
    axes = _grid_axes(fig, n, ncols, sharey=True)
    ypos = np.arange(len(params))[::-1].astype(float)
    name, unit, explain = METHOD_TEXT[method]
    bars = {"error_kw": {"elinewidth": 1, "capsize": 2}}
    for ax, key in zip(axes, shown):
        block = table[table["key"] == key].set_index("parameter").reindex(params)
        if method == "sobol":
            for offset, col, colour, lab in ((0.19, "S1", "#6baed6", "S1 (alone)"),
                                             (-0.19, "ST", "#08519c", "ST (with interactions)")):
                ax.barh(ypos + offset, block[col].to_numpy(dtype=float), height=0.36,
                        xerr=block[f"{col}_conf"].to_numpy(dtype=float), color=colour, label=lab, **bars)
            ax.axvline(0, color="black", linewidth=0.6)
        elif method == "morris":
            ax.barh(ypos + 0.19, block["mu_star"].to_numpy(dtype=float), height=0.36,
                    xerr=block["mu_star_conf"].to_numpy(dtype=float), color="#08519c", label="mu* (importance)",
                    **bars)
            ax.barh(ypos - 0.19, block["sigma"].to_numpy(dtype=float), height=0.36, color="#fdae6b",
                    label="sigma (interactions, non-linearity)")
        elif method == "delta":
            ax.barh(ypos, block["delta"].to_numpy(dtype=float), height=0.6,
                    xerr=block["delta_conf"].to_numpy(dtype=float), color="#08519c", **bars)
            ax.set_xlim(left=0)
        else:
            rho = block["spearman"].to_numpy(dtype=float)
            ax.barh(ypos, rho, height=0.6, color=np.where(rho >= 0, "#08519c", "#de2d26"),
                    xerr=block["spearman_conf"].to_numpy(dtype=float), **bars)
            ax.axvline(0, color="black", linewidth=0.6)
            ax.set_xlim(-1, 1)
        ax.set_title(_wrap(_key_label(ctx, key), 44), fontsize=9)
        ax.set_xlabel(unit, fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_yticks(ypos, [param_label(ctx, p) for p in params], fontsize=8)
    if method in ("sobol", "morris"):
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    fig.suptitle(f"{name} of the outputs (from sensitivity.csv)")
    more = (f" Drawn: the {n} of {len(keys)} outputs with the largest indices; all are in sensitivity.csv."
            if len(keys) > n else "")
    days = (" Days that never came count as the horizon; a categorical output is read as the probability of "
            "each category; outputs are averaged over each point's replicates first (as 'coalition-sim "
            "analyze' computes them).")
    file = "sensitivity.png" if method != "spearman" else "sensitivity_spearman.png"
    _save(ctx, fig, folder, Figure(file, "sensitivity", name, explain + days + more))


# --------------------------------------------------------------------------
# 5. Outcomes over time (when the per-day tables were kept)


MAX_TIME_STATES = 4
MAX_TIME_GROUPS = 5


def daily_series(ctx: Context) -> pd.DataFrame | None:
    """Per run and day: coalition size (active states at support or above)
    and strike capacity (strike aircraft committed), from the per-day
    commitments and each design point's states as the model compiles them
    (its active states and strike aircraft). None when the experiment file
    cannot be read back to compile the points."""
    from .. import CoalitionModel
    from ..experiment import build_scenario, load_experiment
    from ..rules import aircraft_committed, SUPPORT

    ts = ctx.timeseries
    try:
        loaded = load_experiment(ctx.manifest["experiment_file"])
    except Exception:
        return None
    specs = loaded.experiment.design.parameters
    runs = ctx.runs[["run_id", "point_id"]]
    point_of = dict(zip(runs["run_id"].to_numpy(), runs["point_id"].to_numpy()))
    frames = []
    from ..experiment import _value

    levels = ts["commitment"].cat.codes.to_numpy()
    ts = ts.assign(_level=levels)
    for point_id, part in ts.groupby(ts["run_id"].map(point_of), sort=True):
        values = {p: _value(ctx.points.loc[point_id, p], specs[p]) for p in ctx.params}
        setup = CoalitionModel(build_scenario(loaded, values), seed=0).setup
        codes = list(setup.codes)
        index = part["state"].astype(str).map({c: k for k, c in enumerate(codes)}).to_numpy()
        active = setup.active[index] if setup.active.ndim == 1 else setup.active[0][index]
        fleet = np.asarray(setup.attr["strike_aircraft"])
        fleet = (fleet[0] if fleet.ndim == 2 else fleet)[index]
        level = part["_level"].to_numpy()
        frames.append(pd.DataFrame({
            "run_id": part["run_id"].to_numpy(), "day": part["day"].to_numpy(),
            "coalition_size": (active & (level >= SUPPORT)).astype(int),
            "strike_capacity": aircraft_committed(fleet, level) * active,
        }).groupby(["run_id", "day"], sort=True).sum().reset_index())
    return pd.concat(frames, ignore_index=True)


def _time_groups(ctx: Context) -> tuple[pd.Series, str, list[str]]:
    """Each run's group: its design point when there are few, else the bins
    (or values) of the parameter most rank-correlated with the final
    coalition size."""
    runs = ctx.runs
    n_points = runs["point_id"].nunique()
    if n_points <= MAX_TIME_GROUPS:
        labels = []
        for pid in sorted(runs["point_id"].unique()):
            row = ctx.points.loc[pid]
            labels.append(", ".join(f"{param_label(ctx, p, short=True)} {value_label(row[p])}" for p in ctx.params)
                          or f"point {pid}")
        codes = runs["point_id"].map({pid: k for k, pid in enumerate(sorted(runs["point_id"].unique()))})
        return pd.Series(codes.to_numpy(), index=runs["run_id"].to_numpy()), "design point", labels
    target = runs["coalition_size"].to_numpy(dtype=float) if "coalition_size" in runs.columns else None
    def score(p):
        x, _, _ = _param_axis(ctx, p)
        return abs(_spearman(x, target)) if target is not None else 0.0
    p = max(ctx.params, key=score)
    if p in ctx.levels and len(ctx.levels[p][0]) <= MAX_TIME_GROUPS:
        order, codes, labels = ctx.levels[p]
        return pd.Series(codes, index=runs["run_id"].to_numpy()), param_label(ctx, p), labels
    x = runs[p].to_numpy(dtype=float) if p not in ctx.levels else ctx.levels[p][1].astype(float)
    q = min(3, len(np.unique(x)))
    bins, edges = pd.qcut(x, q, labels=False, retbins=True, duplicates="drop")
    labels = [f"{edges[k]:.3g} to {edges[k + 1]:.3g}" for k in range(len(edges) - 1)]
    return pd.Series(bins, index=runs["run_id"].to_numpy()), f"{param_label(ctx, p)} (thirds of the runs)", labels


def _named_states(ctx: Context) -> list[str]:
    """The states the experiment names: in its per-state outputs when few,
    else in its parameters' paths; else those whose commitment moves most."""
    cols = [c for c in ctx.runs.columns if split_column(c)[0] in ("commitment", "response_strike_day", "response_day")]
    kept = list(dict.fromkeys(split_column(c)[1] for c in cols))
    if 0 < len(kept) <= MAX_TIME_STATES:
        return kept
    in_params = list(dict.fromkeys(p.split(".")[1] for p in ctx.params
                                   if p.split(".")[0] in ("overrides", "commitments") and len(p.split(".")) >= 2))
    if in_params:
        return in_params[:MAX_TIME_STATES]
    ts = ctx.timeseries
    last = ts[ts["day"] == ts["day"].max()]
    spread = last.groupby("state", observed=True)["commitment"].apply(lambda s: s.cat.codes.std())
    return [str(c) for c in spread.sort_values(ascending=False).index[:MAX_TIME_STATES] if spread[c] > 0]


def figure_over_time(ctx: Context, folder: Path) -> None:
    if ctx.timeseries is None or ctx.timeseries.empty:
        ctx.notes.append("Outcomes over time: skipped; the sweep kept no per-day tables "
                         "(outputs.timeseries: true in the experiment file keeps them).")
        return
    daily = daily_series(ctx)
    groups, by, labels = _time_groups(ctx)
    series = []
    if daily is not None:
        series += [("coalition_size", "Coalition size (states at support or above)", daily),
                   ("strike_capacity", "Strike aircraft committed", daily)]
    else:
        ctx.notes.append("Outcomes over time: coalition size and strike capacity not drawn; the experiment file "
                         f"{ctx.manifest.get('experiment_file')} cannot be read back to compile the design points.")
    ts = ctx.timeseries
    states = _named_states(ctx)
    for code in states:
        part = ts[ts["state"].astype(str) == code]
        frame = pd.DataFrame({"run_id": part["run_id"].to_numpy(), "day": part["day"].to_numpy(),
                              "level": part["commitment"].cat.codes.to_numpy()})
        series.append((f"level.{code}", f"{state_name(ctx, code)}'s commitment", frame))
    if not series:
        ctx.notes.append("Outcomes over time: skipped; nothing to draw.")
        return
    n = len(series)
    ncols = 2 if n > 1 else 1
    nrows = math.ceil(n / ncols)
    fig = _figure(ncols * 5.4 + 2.2, nrows * 3.3 + 0.8)
    axes = _grid_axes(fig, n, ncols)
    colours = _category_colours(len(labels), ordered=False)
    from ..scenario import LEVELS

    for ax, (col, title, frame) in zip(axes, series):
        value = "level" if col.startswith("level.") else col
        g = frame["run_id"].map(groups)
        stats = frame.assign(g=g.to_numpy()).groupby(["g", "day"])[value].quantile([0.05, 0.5, 0.95]).unstack()
        for k, label in enumerate(labels):
            if k not in stats.index.get_level_values(0):
                continue
            block = stats.loc[k]
            days = block.index.to_numpy()
            ax.fill_between(days, block[0.05], block[0.95], color=colours[k], alpha=0.18, linewidth=0, step="post")
            ax.step(days, block[0.5], where="post", color=colours[k], label=label)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(ctx.day_axis, fontsize=8)
        ax.grid(alpha=0.3)
        if value == "level":
            ax.set_yticks(range(len(LEVELS)), [level_label(ctx, v) for v in LEVELS], fontsize=7)
            ax.set_ylim(-0.3, len(LEVELS) - 0.7)
        else:
            ax.set_ylim(bottom=0)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right center", fontsize=8, frameon=False, title=by, title_fontsize=8)
    fig.suptitle("Outcomes over time: median and 5–95% band of the runs")
    counts = pd.Series(groups).value_counts()
    _save(ctx, fig, folder, Figure(
        "over_time.png", "over_time", "Outcomes over time",
        f"For each day, the median (line) and the band from the 5th to the 95th percentile of the runs (shaded), "
        f"by {by} ({', '.join(f'{labels[k]}: {counts.get(k, 0):,} runs' for k in range(len(labels)))}). "
        "Coalition size and strike capacity are counted from each day's commitments as the run's summary counts "
        "them on its last day; a state's commitment is its level on that day (ordered from none to ground forces)."))


# --------------------------------------------------------------------------
# 6. Scenario discovery (figures made by 'coalition-sim discover')


def figure_discovery(ctx: Context, folder: Path) -> None:
    import shutil

    found = ctx.path / "discovery"
    figures = sorted(found.glob("*.png")) if found.is_dir() else []
    for png in figures:
        text = png.with_suffix(".txt")
        summary = text.read_text(encoding="utf-8").strip() if text.is_file() else ""
        shutil.copyfile(png, folder / f"discovery_{png.name}")
        head, _, rest = summary.partition("\n")
        ctx.figures.append(Figure(
            f"discovery_{png.name}", "discovery", f"Where {head}" if head else png.stem,
            "Made by 'coalition-sim discover' (PRIM and CART of EMA Workbench). Left: PRIM's peeling trajectory, "
            "each step a box trading coverage (the share of the cases of interest inside it) against density "
            "(the share of its runs that are cases); circled: the box chosen. Right: the ranges each chosen box "
            "keeps of the parameters it restricts. " + " ".join(line.strip() for line in rest.splitlines())))
