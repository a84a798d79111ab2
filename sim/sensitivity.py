"""Sensitivity of a sweep's outputs to its parameters, with SALib.

* ``sobol`` designs: first-order (S1) and total (ST) indices with their
  bootstrap confidence intervals (Saltelli's scheme, SALib's estimators);
* ``morris`` designs: mu* (mean absolute elementary effect, with its
  confidence interval) and sigma;
* ``grid`` and ``lhs`` designs: Spearman's rank correlation of each
  parameter with each output (a screening, not a variance decomposition).

An output is averaged over a point's replicates first. A day that never
came (an Article 5 that was never invoked) counts as the scenario's horizon,
so "days to X" reads as "days to X, censored at the horizon". Outputs that
do not vary over the design are listed and skipped.
"""

from __future__ import annotations

import fnmatch
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, suggest
from .experiment import (RUN_COLUMNS, _choices, _problem, as_numbers, design_matrix, load_results,
                         manifest_experiment, run_horizons)

# The outputs analysed unless others are asked for.
MAIN_OUTPUTS = (
    "article5_requested", "article5_invoked", "article5_day", "eu_42_7_invoked", "eu_42_7_day",
    "article4_requests_count", "coalition_size", "strike_coalition_size", "strike_capacity", "new_strikers",
    "first_allied_strike_day",
)
COLUMNS = ("output", "parameter", "method", "S1", "S1_conf", "ST", "ST_conf", "mu_star", "mu_star_conf", "sigma",
           "spearman")


def output_matrix(runs: pd.DataFrame, outputs: list[str], horizon) -> pd.DataFrame:
    """One row per point (in point order), one numeric column per output;
    ``horizon`` (a number, or one per run) stands for a day that never came."""
    frame = pd.DataFrame({name: as_numbers(runs[name], name, horizon) for name in outputs}, index=runs.index)
    frame["point_id"] = runs["point_id"].to_numpy()
    return frame.groupby("point_id", sort=True).mean()


def _pick_outputs(runs: pd.DataFrame, asked: list[str] | None, params: list[str], where: str) -> list[str]:
    skip = set(RUN_COLUMNS) | set(params)
    candidates = [c for c in runs.columns if c not in skip]
    if not asked:
        return [c for c in MAIN_OUTPUTS if c in candidates]
    chosen: list[str] = []
    for pattern in asked:
        hits = [c for c in fnmatch.filter(candidates, pattern) if c not in chosen]
        if not hits and not any(c in chosen for c in fnmatch.filter(candidates, pattern)):
            raise ConfigError(where, "--output", f"no output matches {pattern!r}{suggest(pattern, candidates)}")
        chosen += hits
    return chosen


def analyze(results: str | Path, outputs: list[str] | None = None, seed: int = 0):
    """Sensitivity indices of a sweep; writes ``DIR/sensitivity.csv``.

    Returns (table, notes, path): a DataFrame with one row per (output,
    parameter) and the columns of :data:`COLUMNS`, and lines to print."""
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
    for name in chosen:
        y = Y[name].to_numpy()
        if not np.isfinite(y).all():
            notes.append(f"{name}: skipped (not numeric in every run)")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{name}: skipped (the same value, {y[0]:g}, at every point)")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if design.kind == "sobol":
                from SALib.analyze import sobol

                si = sobol.analyze(problem, y, calc_second_order=design.second_order, seed=_salib_seed(seed))
                for j, p in enumerate(params):
                    rows.append({"output": name, "parameter": p, "method": "sobol", "S1": si["S1"][j],
                                 "S1_conf": si["S1_conf"][j], "ST": si["ST"][j], "ST_conf": si["ST_conf"][j]})
            elif design.kind == "morris":
                from SALib.analyze import morris

                si = morris.analyze(problem, X, y, num_levels=design.levels, seed=seed)
                for j, p in enumerate(params):
                    rows.append({"output": name, "parameter": p, "method": "morris", "mu_star": si["mu_star"][j],
                                 "mu_star_conf": si["mu_star_conf"][j], "sigma": si["sigma"][j]})
            else:
                points = res.design.set_index("point_id").sort_index()
                for p in params:
                    x = points[p]
                    if not pd.api.types.is_numeric_dtype(x.dtype) or pd.api.types.is_bool_dtype(x.dtype):
                        x = x.map({v: i for i, v in enumerate(_codes(design.parameters[p]))})
                    rho = pd.Series(np.asarray(x, dtype=float)).corr(pd.Series(y), method="spearman")
                    rows.append({"output": name, "parameter": p, "method": "spearman", "spearman": rho})
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    path = Path(results) / "sensitivity.csv"
    tmp = path.with_name(path.name + ".tmp")
    table.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, path)
    if design.kind in ("grid", "lhs"):
        notes.append("Spearman rank correlations over the design points (a categorical parameter by the order "
                     "of its values); use a sobol or morris design for variance-based indices.")
    notes.append("Days that never came are counted as the horizon; outputs are averaged over replicates first.")
    return table, notes, path


def _salib_seed(seed: int) -> int:
    """A seed SALib's Sobol analysis honours: it ignores 0 (``if seed:``) and
    then draws its bootstrap unseeded, so 0 maps to a fixed non-zero seed."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0]) or 1


def _codes(spec) -> list:
    return [c if isinstance(c, str) else (c if isinstance(c, (int, float, bool)) else str(c)) for c in _choices(spec)]


def format_table(table: pd.DataFrame) -> str:
    """The indices as text, one block per output."""
    if table.empty:
        return "No output varies over the design: nothing to analyse."
    lines = []
    method = table["method"].iloc[0]
    width = max(9, int(table["parameter"].str.len().max()))
    head = {
        "sobol": f"  {'parameter':{width}}  {'S1':>7} {'±95%':>7}  {'ST':>7} {'±95%':>7}",
        "morris": f"  {'parameter':{width}}  {'mu*':>9} {'±95%':>9}  {'sigma':>9}",
        "spearman": f"  {'parameter':{width}}  {'rho':>7}",
    }[method]
    for output, block in table.groupby("output", sort=False):
        lines.append(output)
        lines.append(head)
        for _, r in block.iterrows():
            if method == "sobol":
                lines.append(f"  {r.parameter:{width}}  {r.S1:7.3f} {r.S1_conf:7.3f}  {r.ST:7.3f} {r.ST_conf:7.3f}")
            elif method == "morris":
                lines.append(f"  {r.parameter:{width}}  {r.mu_star:9.4g} {r.mu_star_conf:9.4g}  {r.sigma:9.4g}")
            else:
                lines.append(f"  {r.parameter:{width}}  {r.spearman:7.3f}")
        lines.append("")
    return "\n".join(lines)
