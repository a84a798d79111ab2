"""Baselines, always fitted out of fold: on cases other than the one scored.

- ``base_rate``: each decision kind's frequency over the training cases (and,
  for days, the training positives' days of that kind);
- ``nothing``: nothing ever happens (p = 0, all day mass "not by the horizon");
- ``logistic``: a scikit-learn logistic regression on the decision's event
  and state features (decision kind, event kind, perpetrator kind, intent,
  location, cross-border, log deaths / injured / assets, victim, NATO and EU
  membership, bordering a victim or perpetrator, level), days as for the
  base rate.

A "fold" is a function from a scored case to the list of training
decisions; :func:`fold_predictors` turns it into predictors for
:func:`sim.history.scoring.headline`.
"""

from __future__ import annotations

import numpy as np

from .scoring import Decision

CATEGORICAL = ("decision_kind", "event_kind", "perpetrator_kind", "intent", "location")
NUMERIC = ("cross_border", "log_deaths", "log_injured", "log_assets", "victim", "nato", "eu", "near", "level")
BASELINES = ("base_rate", "nothing", "logistic")


def _day_shape(train: list[Decision], kind: str, horizon: int) -> np.ndarray:
    """Distribution of days among the training positives of a kind (uniform
    over the first week when there are none), on this horizon."""
    days = [d.observed_day for d in train if d.kind == kind and d.has_day]
    shape = np.zeros(horizon)
    if days:
        for x in days:
            shape[min(x, horizon - 1)] += 1
    else:
        shape[: min(7, horizon)] = 1
    return shape / shape.sum()


def _rate(train: list[Decision], kind: str) -> float:
    same = [d.observed for d in train if d.kind == kind]
    if same:
        return float(np.mean(same))
    return float(np.mean([d.observed for d in train])) if train else 0.5


def _matrix(decisions: list[Decision], vocab: dict[str, list]) -> np.ndarray:
    rows = []
    for d in decisions:
        row = [float(d.features.get(name, 0.0)) for name in NUMERIC]
        for name in CATEGORICAL:
            row += [1.0 if d.features.get(name) == v else 0.0 for v in vocab[name]]
        rows.append(row)
    return np.asarray(rows, dtype=float)


def _fit_logistic(train: list[Decision]):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.array([d.observed for d in train], dtype=int)
    if len(train) == 0 or y.min() == y.max():
        return None, None
    vocab = {name: sorted({str(d.features.get(name)) for d in train}) for name in CATEGORICAL}
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(_matrix(train, vocab), y)
    return model, vocab


class FoldPredictor:
    """Predictions of every baseline for the decisions of one scored case,
    fitted on the training decisions only."""

    def __init__(self, train: list[Decision], scored: list[Decision]):
        self.train = train
        self.cases_seen = sorted({d.case for d in train})
        self.preds: dict[str, dict[str, tuple]] = {b: {} for b in BASELINES}
        model, vocab = _fit_logistic(train)
        if model is not None and scored:
            for d, p in zip(scored, model.predict_proba(_matrix(scored, {k: list(v) for k, v in vocab.items()}))[:, 1]):
                self.preds["logistic"][d.decision] = (float(p), tuple(p * _day_shape(train, d.kind, d.horizon)))
        for d in scored:
            rate = _rate(train, d.kind)
            shape = _day_shape(train, d.kind, d.horizon)
            self.preds["base_rate"][d.decision] = (rate, tuple(rate * shape))
            self.preds["nothing"][d.decision] = (0.0, tuple(np.zeros(d.horizon)))
            self.preds["logistic"].setdefault(d.decision, (rate, tuple(rate * shape)))


def predictors(decisions: list[Decision], train_of) -> dict:
    """``train_of(case) -> list of training decisions``; returns, per
    baseline, a function ``d -> (p, day_probs)`` for the decisions of every
    case, each fitted without the scored case when the fold says so, and
    the training cases each case's baselines saw (for the tests)."""
    by_case: dict[str, list[Decision]] = {}
    for d in decisions:
        by_case.setdefault(d.case, []).append(d)
    folds = {c: FoldPredictor(train_of(c), ds) for c, ds in by_case.items()}
    out = {b: (lambda d, b=b: folds[d.case].preds[b][d.decision]) for b in BASELINES}
    out["_seen"] = {c: f.cases_seen for c, f in folds.items()}
    return out
