"""The Paris 2015 baseline over 200 seeds: what happened must follow from the rules.

Nothing here names an outcome for the model: the rates are measured, printed
(run pytest with -s to see them) and checked against the historical record.
``test_issue_table`` checks each row of model v2's target table (issue 13:
200 runs, a horizon of 260 days, today's scenario events); the rows the
model does not reach yet are strict expected failures, with the measured
share in the reason, so that a change that reaches them must say so.
"""

import numpy as np
import pytest

from sim.batch import run_batch

SEEDS = 200
LONG = 260
NOT_PARLIAMENTS = ("North Atlantic Council", "Council of the EU", "UN Security Council")
STRIKES = ("strikes_invited", "strikes_uninvited", "ground")
SYRIA = ("strikes_uninvited", "ground")


@pytest.fixture(scope="module")
def runs(paris):
    return run_batch([paris] * SEEDS, list(range(SEEDS)), tables=True)


@pytest.fixture(scope="module")
def long_runs(paris):
    scenario = paris.model_copy(update={"days": LONG})
    return run_batch([scenario] * SEEDS, list(range(SEEDS)), tables=True)


def rate(values) -> float:
    return float(np.mean(list(values)))


def first_day(run, code, levels):
    """First day ``code`` is at one of ``levels`` (None: never)."""
    ts = run.timeseries
    days = ts[(ts["state"] == code) & ts["commitment"].isin(levels)]["day"]
    return None if days.empty else int(days.min())


def passed_vote(run, code, lo, hi, about="") -> bool:
    """A passed vote of ``code``'s chamber between days lo and hi whose question mentions ``about``."""
    return any(v["state"] == code and v["passed"] and lo <= v["day"] <= hi and v["body"] not in NOT_PARLIAMENTS
               and about in v["question"] for v in run.summary["votes"])


def within(day, lo, hi) -> bool:
    return day is not None and lo <= day <= hi


# (row of the issue's table, measure over the runs, bound, at least?)
TABLE = {
    "France strikes ISIL within 3 days": (
        lambda rs: rate(within(r.summary["response_strike_day.FRA"], 0, 3) for r in rs), 0.9, True),
    "EU 42.7 invoked": (lambda rs: rate(r.summary["eu_42_7_invoked"] for r in rs), 0.7, True),
    "EU 42.7 median day in 2..7": (
        lambda rs: float(2 <= np.median([r.summary["eu_42_7_day"] for r in rs if r.summary["eu_42_7_invoked"]]) <= 7),
        1.0, True),
    "Article 5 invoked": (lambda rs: rate(r.summary["article5_invoked"] for r in rs), 0.1, False),
    "Article 4 requested by France": (
        lambda rs: rate(any(a["state"] == "FRA" for a in r.summary["article4_requests"]) for r in rs), 0.1, False),
    "UK strikes in Syria by day 35 after a passed Commons vote": (
        lambda rs: rate(within(first_day(r, "GBR", SYRIA), 0, 35) and passed_vote(r, "GBR", 0, 35) for r in rs),
        0.6, True),
    "Germany at support by day 35 after a passed Bundestag vote": (
        lambda rs: rate(within(first_day(r, "DEU", ("support",) + STRIKES), 0, 35) and passed_vote(r, "DEU", 0, 35)
                        for r in rs), 0.6, True),
    "German strikes by day 260": (lambda rs: rate(first_day(r, "DEU", STRIKES) is not None for r in rs), 0.1, False),
    "the Netherlands strikes in Syria between day 40 and day 130": (
        lambda rs: rate(within(first_day(r, "NLD", SYRIA), 40, 130) for r in rs), 0.5, True),
    "a Folketing vote for Danish strikes between day 110 and day 220": (
        lambda rs: rate(passed_vote(r, "DNK", 110, 220, "strikes") for r in rs), 0.5, True),
    "Danish strikes before day 100": (
        lambda rs: rate(within(first_day(r, "DNK", STRIKES), 0, 99) for r in rs), 0.2, False),
    "Russia at coordinate or above on day 14": (
        lambda rs: rate(r.summary["stances_by_day"]["RUS"][14] in ("coordinate", "join") for r in rs), 0.5, True),
    "Poland strikes": (lambda rs: rate(first_day(r, "POL", STRIKES) is not None for r in rs), 0.1, False),
    "Italy strikes": (lambda rs: rate(first_day(r, "ITA", STRIKES) is not None for r in rs), 0.1, False),
    "Spain strikes": (lambda rs: rate(first_day(r, "ESP", STRIKES) is not None for r in rs), 0.1, False),
    "China at support or above": (
        lambda rs: rate(first_day(r, "CHN", ("support",) + STRIKES) is not None for r in rs), 0.1, False),
}
# Rows model v2 does not reach yet (measured at this commit, 200 runs):
# strict, so that reaching one fails the test until the mark is removed.
NOT_YET = {
    "Russia at coordinate or above on day 14":
        "0.47: France's request to coordinate weighs stance_request 0.5, an estimate not yet calibrated "
        "(0.32 at 0.25, 0.64 at 0.75)",
}


@pytest.mark.parametrize("row", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[name])) if name in NOT_YET else name
    for name in TABLE])
def test_issue_table(long_runs, row):
    measure, bound, at_least = TABLE[row]
    value = measure(long_runs)
    print(f"\n  {row}: {value:.3f} ({'at least' if at_least else 'at most'} {bound})")
    assert value >= bound if at_least else value <= bound


def test_paris_baseline(runs, paris):
    summaries = [r.summary for r in runs]
    attribution_day = next(paris.event_day(e) for e in paris.events if e.kind == "attribution")
    russia = rate(any(x != "oppose" for x in s["stances_by_day"]["RUS"][attribution_day:]) for s in summaries)
    uk_syria = rate(s["commitment.GBR"] in SYRIA for s in summaries)
    dnk_strikes = rate(s["response_strike_day.DNK"] is not None for s in summaries)
    print(f"\nParis 2015 baseline over {SEEDS} seeds, 120 days:"
          f"\n  Russia at least 'deconflict' after the attribution: {russia:.2f}"
          f"\n  UK strikes in Syria: {uk_syria:.2f}; Denmark strikes: {dnk_strikes:.2f}")
    assert russia > 0.5
    assert dnk_strikes < 0.2  # its F-16s are home until mid-2016 (forces.csv)


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
