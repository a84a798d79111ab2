"""The Paris 2015 baseline over 200 seeds: what happened must follow from the rules.

Nothing here names an outcome for the model: the rates are measured, printed
(run pytest with -s to see them) and checked against the historical record.
"""

import numpy as np
import pytest

from sim.batch import run_batch

SEEDS = 200


@pytest.fixture(scope="module")
def runs(paris):
    return run_batch([paris] * SEEDS, list(range(SEEDS)), tables=True)


def rate(values) -> float:
    return float(np.mean(list(values)))


def test_paris_baseline(runs, paris):
    summaries = [r.summary for r in runs]
    attribution_day = next(paris.event_day(e) for e in paris.events if e.kind == "attribution")
    france_fast = rate((s["states"]["FRA"]["first_strike_day"] is not None and s["states"]["FRA"]["first_strike_day"] <= 3)
                       for s in summaries)
    eu427 = rate(s["eu_42_7_invoked"] for s in summaries)
    art5 = rate(s["article5_invoked"] for s in summaries)
    art4 = rate(bool(s["article4_requests"]) for s in summaries)
    russia = rate(any(x != "oppose" for x in s["stances_by_day"]["RUS"][attribution_day:]) for s in summaries)
    uk_syria = rate(s["states"]["GBR"]["commitment"] in ("strikes_uninvited", "ground") for s in summaries)
    dnk_strikes = rate(s["states"]["DNK"]["first_strike_day"] is not None for s in summaries)
    deu_support = rate(s["states"]["DEU"]["commitment"] not in ("none", "political", "training") for s in summaries)
    print(f"\nParis 2015 baseline over {SEEDS} seeds:"
          f"\n  France strikes within 3 days: {france_fast:.2f}"
          f"\n  EU 42.7 invoked: {eu427:.2f}; Article 5 invoked: {art5:.2f}; Article 4 requested: {art4:.2f}"
          f"\n  Russia at least 'deconflict' after the attribution: {russia:.2f}"
          f"\n  UK strikes in Syria: {uk_syria:.2f}; Denmark strikes: {dnk_strikes:.2f}; "
          f"Germany at support or more: {deu_support:.2f}")
    assert france_fast > 0.5
    assert eu427 > art5
    assert art5 < 0.1
    assert russia > 0.5


def _vote_before(events, code, day):
    votes = events[(events["state"] == code) & (events["kind"] == "parliament_vote")
                   & events["text"].str.contains(" approves ") & (events["day"] <= day)]
    return len(votes) > 0


def test_parliaments_gate_the_steps_they_must_approve(runs):
    checked = {"GBR": 0, "DNK": 0, "DEU": 0}
    for r in runs:
        ev = r.events
        for code, needs in (("GBR", "in Syria"), ("DNK", "air strikes"), ("DEU", "support for the campaign")):
            steps = ev[(ev["state"] == code) & (ev["kind"] == "commitment") & ev["text"].str.contains(needs)]
            for day in steps["day"]:
                assert _vote_before(ev, code, day), (r.seed, code, day)
                checked[code] += 1
    print(f"\nsteps that needed a vote, checked: {checked}")
