"""Sensitivity of a sweep's outputs to its parameters, with SALib.

* ``sobol`` designs: first-order (S1) and total (ST) indices with their
  bootstrap confidence intervals (Saltelli's scheme, SALib's estimators);
* ``morris`` designs: mu* (mean absolute elementary effect, with its
  confidence interval) and sigma;
* ``grid`` and ``lhs`` designs: Borgonovo's delta moment-independent measure
  with its bootstrap confidence interval (SALib's ``delta``, which accepts
  any sample), beside Spearman's rank correlation of each parameter with
  each output (with a Fisher-z 95% interval).

Every output the experiment kept is analysed unless others are asked for.
An output is averaged over a point's replicates first. A day that never
came counts as the run's horizon ("days to X, censored at the horizon"). A
categorical output (a final commitment, a stance) is analysed as the
probability of each of its categories: one row set per category, never as
ordered numbers. Outputs that do not vary over the design are listed and
skipped.

``sensitivity.csv`` is merged per output: the rows of the outputs analysed
now replace their earlier rows, the others are kept.
"""

from __future__ import annotations

import fnmatch
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, suggest
from .experiment import (RUN_COLUMNS, _choices, _problem, as_numbers, design_matrix, is_day_column, load_results,
                         manifest_experiment, run_horizons)

FILE = "sensitivity.csv"
COLUMNS = ("output", "category", "parameter", "method", "S1", "S1_conf", "ST", "ST_conf", "mu_star",
           "mu_star_conf", "sigma", "delta", "delta_conf", "spearman", "spearman_conf")
# Summary fields that are text, not outcomes.
TEXT_FIELDS = ("scenario", "start_date", "preset", "art5_decision", "article4_requested_by")
DELTA_RESAMPLES = 20
# SALib's delta splits the points into classes of at least 10 by each
# parameter's quantiles (at least 3 classes): below 30 points it has none.
DELTA_MIN_POINTS = 30


def is_categorical(series: pd.Series) -> bool:
    """A categorical output: a final commitment or stance (ordered or not)."""
    return isinstance(series.dtype, pd.CategoricalDtype) or (
        series.dtype == object and not is_day_column(str(series.name)))


def analysable(runs: pd.DataFrame, params: list[str]) -> list[str]:
    """The kept outputs that can be analysed: yes/no, numbers, days, categories."""
    skip = set(RUN_COLUMNS) | set(params) | set(TEXT_FIELDS)
    out = []
    for c in runs.columns:
        if c in skip:
            continue
        s = runs[c]
        if (pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype) or is_day_column(c)
                or is_categorical(s)):
            out.append(c)
    return out


def output_matrix(runs: pd.DataFrame, outputs: list[str], horizon) -> pd.DataFrame:
    """One row per point (in point order), one numeric column per output;
    ``horizon`` (a number, or one per run) stands for a day that never came.
    A categorical output becomes one column per category, ``name=category``:
    the share of the point's runs that ended in it."""
    cols: dict[str, np.ndarray] = {}
    for name in outputs:
        s = runs[name]
        if is_categorical(s):
            text = s.astype(object).where(s.notna(), None)
            cats = [str(c) for c in (s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype)
                                     else sorted(text.dropna().unique()))]
            for c in cats:
                cols[f"{name}={c}"] = (text.astype(str) == c).to_numpy(dtype=float)
        else:
            cols[name] = as_numbers(s, name, horizon)
    frame = pd.DataFrame(cols, index=runs.index)
    frame["point_id"] = runs["point_id"].to_numpy()
    return frame.groupby("point_id", sort=True).mean()


def _pick_outputs(runs: pd.DataFrame, asked: list[str] | None, params: list[str], where: str) -> list[str]:
    candidates = analysable(runs, params)
    if not asked:
        return candidates
    chosen: list[str] = []
    for pattern in asked:
        hits = fnmatch.filter(candidates, pattern)
        if not hits:
            others = [c for c in runs.columns if c not in RUN_COLUMNS]
            why = " (a parameter or a text field)" if fnmatch.filter(others, pattern) else ""
            raise ConfigError(where, "--output", f"no analysable output matches {pattern!r}{why}"
                                                 f"{suggest(pattern, candidates)}")
        chosen += [c for c in hits if c not in chosen]
    return chosen


def _numeric_design(res, design, params: list[str]) -> np.ndarray:
    """The design points as numbers, one row per point: a categorical
    parameter as the index of its value in the experiment file."""
    points = res.design.set_index("point_id").sort_index()
    cols = []
    for p in params:
        x = points[p]
        if not pd.api.types.is_numeric_dtype(x.dtype) or pd.api.types.is_bool_dtype(x.dtype):
            x = x.map({v: i for i, v in enumerate(_codes(design.parameters[p]))})
        cols.append(np.asarray(x, dtype=float))
    return np.column_stack(cols)


def spearman_interval(rho: float, n: int) -> float:
    """Half-width of a 95% interval of Spearman's rho (Fisher's z with
    Fieller et al.'s variance 1.06/(n-3)), symmetric in z, reported as the
    larger half in rho."""
    if n <= 3 or not np.isfinite(rho):
        return float("nan")
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    half = 1.96 * np.sqrt(1.06 / (n - 3))
    return float(max(np.tanh(z + half) - rho, rho - np.tanh(z - half)))


def analyze(results: str | Path, outputs: list[str] | None = None, seed: int = 0,
            delta_resamples: int = DELTA_RESAMPLES):
    """Sensitivity indices of a sweep; merges them into ``DIR/sensitivity.csv``.

    Returns (table, notes, path): a DataFrame with one row per (output,
    category, parameter, method) analysed now and the columns of
    :data:`COLUMNS`, and lines to print. Raises ConfigError when nothing
    could be analysed (and leaves sensitivity.csv as it was)."""
    res = load_results(results)
    manifest = res.manifest
    exp = manifest_experiment(manifest)
    design = exp.design
    params = list(design.parameters)
    chosen = _pick_outputs(res, outputs, params, str(results))
    horizon = run_horizons(res, manifest)
    Y = output_matrix(res, chosen, horizon)
    n_points = manifest["counts"]["points"]
    if len(Y) != n_points:
        raise ConfigError(str(results), None, f"runs.parquet holds {len(Y)} of the design's {n_points} points")
    notes: list[str] = []
    rows: list[dict] = []
    problem = _problem(design)
    X = design_matrix(design, exp.seed) if design.kind in ("sobol", "morris") else None
    if X is not None and len(X) != n_points:
        raise ConfigError(str(results), None, "the design cannot be rebuilt as it was sampled (another SALib version?)")
    Xd = _numeric_design(res, design, params) if X is None else None
    constant: list[str] = []
    for column in Y.columns:
        name, _, category = column.partition("=")
        y = Y[column].to_numpy()
        base = {"output": name, "category": category or None}
        if not np.isfinite(y).all():
            notes.append(f"{column}: skipped (not numeric in every run)")
            continue
        if np.ptp(y) == 0:
            if "." in column or "=" in column:
                constant.append(column)
            else:
                notes.append(f"{column}: skipped (the same value, {y[0]:g}, at every point)")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if design.kind == "sobol":
                from SALib.analyze import sobol

                si = sobol.analyze(problem, y, calc_second_order=design.second_order, seed=_salib_seed(seed))
                for j, p in enumerate(params):
                    rows.append({**base, "parameter": p, "method": "sobol", "S1": si["S1"][j],
                                 "S1_conf": si["S1_conf"][j], "ST": si["ST"][j], "ST_conf": si["ST_conf"][j]})
            elif design.kind == "morris":
                from SALib.analyze import morris

                si = morris.analyze(problem, X, y, num_levels=design.levels, seed=seed)
                for j, p in enumerate(params):
                    rows.append({**base, "parameter": p, "method": "morris", "mu_star": si["mu_star"][j],
                                 "mu_star_conf": si["mu_star_conf"][j], "sigma": si["sigma"][j]})
            else:
                for j, p in enumerate(params):
                    rho = _spearman(Xd[:, j], y)
                    rows.append({**base, "parameter": p, "method": "spearman", "spearman": rho,
                                 "spearman_conf": spearman_interval(rho, len(y))})
                delta = _delta(problem, Xd, y, seed, delta_resamples)
                if delta is None:
                    notes.append(f"{column}: no delta measure (SALib's delta needs at least {DELTA_MIN_POINTS} design "
                                 "points, in classes of 10 or more)")
                else:
                    for j, p in enumerate(params):
                        rows.append({**base, "parameter": p, "method": "delta", "delta": delta[0][j],
                                     "delta_conf": delta[1][j]})
    if constant:
        shown = ", ".join(constant[:8]) + (f" and {len(constant) - 8} more" if len(constant) > 8 else "")
        notes.append(f"Skipped, the same at every design point: {shown}.")
    if not rows:
        raise ConfigError(str(results), "--output" if outputs else None,
                          f"nothing to analyse: none of the {len(chosen)} output(s) varies over the design points")
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    path = Path(results) / FILE
    merged = merge(path, table, analysed={c.partition("=")[0] for c in Y.columns})
    tmp = path.with_name(path.name + ".tmp")
    merged.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, path)
    if design.kind in ("grid", "lhs"):
        notes.append("Delta: Borgonovo's moment-independent measure (0: the output's distribution does not "
                     "depend on the parameter), with a bootstrap 95% interval; Spearman: rank correlations "
                     "with a Fisher-z 95% interval (a categorical parameter by the order of its values).")
    notes.append("Days that never came are counted as the horizon; categorical outputs as the probability of "
                 "each category; outputs are averaged over replicates first.")
    return table, notes, path


def read(path: str | Path) -> pd.DataFrame:
    """sensitivity.csv as written by :func:`analyze` (older files without
    the newer columns get them empty)."""
    table = pd.read_csv(path, dtype={"category": object})
    for c in COLUMNS:
        if c not in table.columns:
            table[c] = np.nan
    return table[list(COLUMNS)]


def merge(path: Path, table: pd.DataFrame, analysed: set[str]) -> pd.DataFrame:
    """The earlier rows of outputs not analysed now, then the new rows."""
    if not path.is_file():
        return table
    try:
        old = read(path)
    except Exception:  # an unreadable earlier file is replaced
        return table
    kept = old[~old["output"].isin(analysed)]
    return pd.concat([kept, table], ignore_index=True) if len(kept) else table


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(pd.Series(x).corr(pd.Series(y), method="spearman"))


def _delta(problem: dict, X: np.ndarray, y: np.ndarray, seed: int, resamples: int):
    """(delta, 95% half-width) per parameter, or None when SALib cannot
    estimate it on so few points."""
    from SALib.analyze import delta

    if len(y) < DELTA_MIN_POINTS:
        return None
    prob = {**problem, "names": [f"x{j}" for j in range(X.shape[1])]}  # SALib forbids some name suffixes
    try:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            si = delta.analyze(prob, X, y, num_resamples=resamples, seed=_salib_seed(seed), method="delta")
    except Exception:
        return None
    key = "delta" if "delta" in si else "delta_raw"
    values = np.asarray(si[key], dtype=float)
    if not np.isfinite(values).any():
        return None
    return values, np.asarray(si[f"{key}_conf"], dtype=float)


def _salib_seed(seed: int) -> int:
    """A seed SALib honours: it ignores 0 (``if seed:``) and then draws its
    bootstrap unseeded, so 0 maps to a fixed non-zero seed."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0]) or 1


def _codes(spec) -> list:
    return [c if isinstance(c, str) else (c if isinstance(c, (int, float, bool)) else str(c)) for c in _choices(spec)]


def format_table(table: pd.DataFrame) -> str:
    """The indices as text, one block per output (and category) and method."""
    if table.empty:
        return "No output varies over the design: nothing to analyse."
    lines = []
    width = max(9, int(table["parameter"].str.len().max()))
    head = {
        "sobol": f"  {'parameter':{width}}  {'S1':>7} {'±95%':>7}  {'ST':>7} {'±95%':>7}",
        "morris": f"  {'parameter':{width}}  {'mu*':>9} {'±95%':>9}  {'sigma':>9}",
        "spearman": f"  {'parameter':{width}}  {'rho':>7} {'±95%':>7}",
        "delta": f"  {'parameter':{width}}  {'delta':>7} {'±95%':>7}",
    }
    key = table["output"] + table["category"].map(lambda c: f" = {c}" if isinstance(c, str) and c else "")
    for label, block in table.groupby(key, sort=False):
        lines.append(label if "=" not in label else f"{label} (probability)")
        for method, part in block.groupby("method", sort=False):
            lines.append(head[method])
            for _, r in part.iterrows():
                if method == "sobol":
                    lines.append(f"  {r.parameter:{width}}  {r.S1:7.3f} {r.S1_conf:7.3f}  {r.ST:7.3f} {r.ST_conf:7.3f}")
                elif method == "morris":
                    lines.append(f"  {r.parameter:{width}}  {r.mu_star:9.4g} {r.mu_star_conf:9.4g}  {r.sigma:9.4g}")
                elif method == "spearman":
                    lines.append(f"  {r.parameter:{width}}  {r.spearman:7.3f} {r.spearman_conf:7.3f}")
                else:
                    lines.append(f"  {r.parameter:{width}}  {r.delta:7.3f} {r.delta_conf:7.3f}")
        lines.append("")
    return "\n".join(lines)
