"""Theory lenses side by side: one scenario under each rules preset.

Pure functions (no Solara): the app shows their tables; tests call them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..batch import summary_rows
from ..history import Case, validate
from ..scenario import Rules, Scenario, load_preset, preset_names

# The calibrated preset is the baseline's fitted weights, not a theory.
NOT_A_LENS = ("calibrated",)


def lens_names() -> list[str]:
    """The theory lenses: every preset in configs/presets/ but the fitted one."""
    names = [n for n in preset_names() if n not in NOT_A_LENS]
    if "baseline" in names:  # baseline first, the others alphabetically
        names.remove("baseline")
        names.insert(0, "baseline")
    return names


def with_lens(scenario: Scenario, lens: str) -> Scenario:
    """The scenario under a lens's rule weights; the Article 5 decision rule
    chosen for the scenario is kept."""
    rules = load_preset(lens, "lens")
    rules["art5_decision"] = scenario.rules.art5_decision
    return scenario.model_copy(update={"rules": Rules.model_validate(rules)})


def _quantile(values: pd.Series, q: float) -> float:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(np.quantile(values.to_numpy(dtype=float), q)) if len(values) else float("nan")


def lens_comparison(scenario: Scenario, runs: int = 200, seed: int = 0, case: Case | None = None,
                    lenses: list[str] | None = None, replicates: int = 100) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lens table (see :func:`lens_table`) and, for the distribution
    view, the days to the first allied strike of every run with one (a long
    table: lens, day)."""
    rows, days = [], []
    seeds = list(range(int(seed), int(seed) + int(runs)))
    for lens in lenses or lens_names():
        sc = with_lens(scenario, lens)
        df = summary_rows([sc] * len(seeds), seeds)
        strike = pd.to_numeric(df["first_allied_strike_day"], errors="coerce")
        row = {
            "lens": lens,
            "runs": len(df),
            "p_article4": float((df["article4_requests_count"] > 0).mean()),
            "p_article5": float(df["article5_invoked"].astype(bool).mean()),
            "p_eu_42_7": float(df["eu_42_7_invoked"].astype(bool).mean()),
            "p_allied_strike": float(strike.notna().mean()),
            "strike_day_q10": _quantile(strike, 0.10),
            "strike_day_q50": _quantile(strike, 0.50),
            "strike_day_q90": _quantile(strike, 0.90),
        }
        if case is not None:
            rules = load_preset(lens, "lens")
            rules.pop("preset", None)
            rules["art5_decision"] = scenario.rules.art5_decision
            row["brier"] = float(validate([case], replicates=replicates, seed=seed, rules=rules)["brier"])
        rows.append(row)
        days.append(pd.DataFrame({"lens": lens, "day": strike.dropna().astype(int).to_numpy()}))
    return pd.DataFrame(rows), pd.concat(days, ignore_index=True)


def lens_table(scenario: Scenario, runs: int = 200, seed: int = 0, case: Case | None = None,
               lenses: list[str] | None = None, replicates: int = 100) -> pd.DataFrame:
    """One row per lens: P(any Article 4 request), P(Article 5 invoked),
    P(EU 42.7 invoked), P(an allied strike), quantiles (10, 50, 90 %) of the
    days to the first allied strike among runs with one, and, for a
    history case, the Brier score of ``validate([case], replicates, rules=lens)``.

    The same seeds are used under every lens (common random numbers).
    """
    return lens_comparison(scenario, runs, seed, case, lenses, replicates)[0]
