"""Historical cases as the judge: the case format, scores of every observable
against the record, out-of-fold baselines, calibration and the report.

- :mod:`.cases`: the case schema (v1 and v2 ``observed:`` keys) and loading;
- :mod:`.scoring`: decisions, the Brier score and the day RPS, impossible decisions;
- :mod:`.baselines`: base rate, "nothing happens", logistic regression, out of fold;
- :mod:`.validate`: ``validate`` and its protocols (in-sample, leave-one-out, time split);
- :mod:`.calibrate`: fitted weights with restarts, the preset;
- :mod:`.report`: the HTML report.
"""

from .calibrate import CALIBRATED_WEIGHTS, MAX_POINTS, calibrate, fit, fit_restarts, write_preset
from .cases import HISTORY_DIR, Case, Facts, Observed, case_paths, is_case_file, load_case, load_cases
from .scoring import IMPOSSIBLE, Decision, accuracy, base_rates, brier, case_seeds, headline, rps_days, score
from .validate import MAX_REPLICATES, default_until, validate

__all__ = [
    "CALIBRATED_WEIGHTS", "MAX_POINTS", "MAX_REPLICATES", "HISTORY_DIR", "IMPOSSIBLE", "Case", "Decision", "Facts",
    "Observed", "accuracy", "base_rates", "brier", "calibrate", "case_paths", "case_seeds", "default_until", "fit",
    "fit_restarts", "headline", "is_case_file", "load_case", "load_cases", "rps_days", "score", "validate",
    "write_preset",
]
