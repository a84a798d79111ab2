"""Each rule alone: pure functions of arrays."""

import numpy as np
import pytest

from sim import draws, rules as R
from sim.scenario import RULE_WEIGHTS, Rules


@pytest.fixture
def w():
    """Baseline weights as (1, 1) arrays, the shape the engines pass."""
    base = Rules()
    return {k: np.array([[getattr(base, k)]], dtype=float) for k in RULE_WEIGHTS}


def codes(*names):
    return np.array([R.ART5_DECISION_CODES[n] for n in names])


def test_one_veto_blocks_article5_under_consensus_not_majority(w):
    voters = np.ones((1, 5), dtype=bool)
    assent = np.array([[True, True, True, True, False]])
    pop = np.full((1, 5), 10.0)
    assert not R.council_passes(assent, voters, pop, codes("consensus"), w)[0]
    assert R.council_passes(assent, voters, pop, codes("majority"), w)[0]
    assert R.council_passes(assent, voters, pop, codes("qualified_majority"), w)[0]
    everyone = np.ones((1, 5), dtype=bool)
    assert R.council_passes(everyone, voters, pop, codes("consensus"), w)[0]


def test_qualified_majority_needs_population_too(w):
    voters = np.ones((1, 4), dtype=bool)
    pop = np.array([[100.0, 1.0, 1.0, 1.0]])
    small_three = np.array([[False, True, True, True]])  # 75 % of states, 3 % of people
    assert not R.council_passes(small_three, voters, pop, codes("qualified_majority"), w)[0]
    assert R.council_passes(small_three, voters, pop, codes("majority"), w)[0]


def test_non_voters_do_not_count(w):
    voters = np.array([[True, True, False]])
    assent = np.array([[True, True, False]])
    assert R.council_passes(assent, voters, np.ones((1, 3)), codes("consensus"), w)[0]


def test_pass_probability_is_product_under_consensus(w):
    p = np.array([[0.9, 0.8, 0.5]])
    voters = np.array([[True, True, False]])
    assert R.pass_probability(p, voters, codes("consensus"), w)[0] == pytest.approx(0.72)


def test_severity_is_one_for_the_reference_event(w):
    sev = R.casualty_severity(2977, 6000, 284_968_955, w)
    assert sev[0, 0] == pytest.approx(1.0)
    # Paris on a population-adjusted basis: about half of 9/11, far above its raw share.
    paris = R.casualty_severity(130, 413, 66_548_272, w)[0, 0]
    assert 0.4 < paris < 0.7 and paris > 130 / 2977


def test_severity_grows_with_deaths_and_state_attacks_have_a_floor(w):
    low = R.event_severity("terror_attack", False, "deliberate", 10, 0, 0, 1e7, w)
    high = R.event_severity("terror_attack", False, "deliberate", 1000, 0, 0, 1e7, w)
    assert high > low
    shell = R.event_severity("armed_attack", True, "deliberate", 0, 0, 0, 1e7, w)
    assert shell[0, 0] == pytest.approx(w["severity_state_floor"][0, 0])
    accident = R.event_severity("armed_attack", True, "accidental", 0, 0, 0, 1e7, w)
    assert accident < shell


def test_proximity_target_then_neighbours_then_allies(w):
    is_target = np.array([True, False, False, False])
    neighbour = np.array([False, True, False, False])
    nato = np.array([True, True, True, False])
    prox = R.proximity(is_target, neighbour, np.zeros(4, bool), nato, np.zeros(4, bool), w)
    assert prox[0, 0] == 1.0
    assert prox[0, 1] == pytest.approx(w["proximity_neighbour"][0, 0])
    assert prox[0, 2] == pytest.approx(w["proximity_nato"][0, 0])
    assert prox[0, 3] == 0.0


def test_level_utilities_never_offer_a_lower_level(w):
    current = np.array([[3, 0]])
    args = [np.zeros((1, 2))] * 6
    util = R.level_utilities(*args, np.zeros((1, 2, 7)), np.ones((1, 2, 7)), np.zeros((1, 2, 7), bool), np.zeros((1, 2)),
                             current, w)
    assert np.isneginf(util[0, 0, :3]).all() and np.isfinite(util[0, 0, 3:]).all()


def test_a_state_under_threat_and_obligation_prefers_higher_levels(w):
    current = np.zeros((1, 2), dtype=int)
    threat = np.array([[0.0, 0.8]])
    oblig = np.array([[0.0, 1.0]])
    z = np.zeros((1, 2))
    util = R.level_utilities(threat, oblig, z, np.full((1, 2), 0.8), np.full((1, 2), 0.6), np.full((1, 2), 0.3),
                             np.zeros((1, 2, 7)), np.ones((1, 2, 7)), np.zeros((1, 2, 7), bool), z, current, w)
    assert util[0, 0].argmax() == 0
    assert util[0, 1].argmax() > 2


def test_a_request_raises_every_level_above_the_current_one_alone(w):
    current = np.array([[2, 2]])
    z = np.zeros((1, 2))
    base = dict(threat=z, obligation=z, solidarity=z, capability=z + 0.5, public=z + 0.5, casualty_aversion=z,
                legal_gap=np.zeros((1, 2, 7)), vote_pass=np.ones((1, 2, 7)), needs_vote=np.zeros((1, 2, 7), bool),
                current=current, rules=w)
    plain = R.level_utilities(request=z, **base)
    asked = R.level_utilities(request=np.array([[0.0, 0.5]]), **base)
    assert np.array_equal(plain[0, 0], asked[0, 0])
    gain = asked[0, 1, 3:] - plain[0, 1, 3:]
    assert np.allclose(gain, w["request_weight"][0, 0] * 0.5)
    assert asked[0, 1, 2] == plain[0, 1, 2]


def test_softmax_choice_follows_the_uniform():
    util = np.array([[[0.0, 0.0]], [[0.0, 0.0]]])
    temp = np.array([[1.0], [1.0]])
    u = np.array([[0.1], [0.9]])
    assert R.softmax_choice(util, temp, u).ravel().tolist() == [0, 1]
    sharp = np.array([[[5.0, 0.0]]])
    assert R.softmax_choice(sharp, np.array([[0.01]]), np.array([[0.999]]))[0, 0] == 0


def test_stance_moves_with_shared_threat(w):
    oppose = np.array([[0]])
    calm = R.stance_utilities(np.array([[0.0]]), np.array([[-0.6]]), np.array([[0.8]]), np.array([[0.0]]), oppose, w)
    hit = R.stance_utilities(np.array([[0.6]]), np.array([[-0.6]]), np.array([[0.8]]), np.array([[0.0]]), oppose, w)
    assert calm[0, 0].argmax() == 0
    assert hit[0, 0].argmax() >= 1


def test_draws_are_addressed_not_consumed():
    keys = np.array([draws.state_key(c) for c in ("FRA", "DNK", "RUS")])
    s = draws.seed_key(42)
    a = draws.uniform(s, 3, draws.DELIBERATE, keys)
    # Same address, same number, whatever else was drawn in between.
    draws.uniform(s, 4, draws.DELIBERATE, keys)
    assert np.array_equal(a, draws.uniform(s, 3, draws.DELIBERATE, keys))
    # Order of states does not matter; a state's draw is its own.
    assert draws.uniform(s, 3, draws.DELIBERATE, keys[::-1])[::-1].tolist() == a.tolist()
    # Other seeds, days and decisions give other numbers.
    assert not np.array_equal(a, draws.uniform(draws.seed_key(43), 3, draws.DELIBERATE, keys))
    assert not np.array_equal(a, draws.uniform(s, 3, draws.COMMIT_CHOICE, keys))
    big = draws.uniform(s, 0, 1, np.arange(100_000))
    assert 0 <= big.min() and big.max() < 1 and abs(big.mean() - 0.5) < 0.01


def test_short_axis_reductions_are_numpys_bit_for_bit():
    """sim.arrays reduces column by column; the numbers must be numpy's own."""
    from sim.arrays import max_last, sum_last

    rng = np.random.default_rng(7)
    for n in range(1, 12):
        x = rng.normal(size=(50, 3, n)) * 10.0 ** rng.integers(-8, 8, size=(50, 3, n))
        x[0, 0, 0] = -np.inf
        x[1, 1, -1] = np.nan
        assert np.array_equal(sum_last(x), x.sum(axis=-1), equal_nan=True)
        assert np.array_equal(max_last(x), np.max(x, axis=-1), equal_nan=True)
        assert np.array_equal(max_last(x, keepdims=True), np.max(x, axis=-1, keepdims=True), equal_nan=True)
        b = x > 0
        assert np.array_equal(sum_last(b), b.sum(axis=-1)) and sum_last(b).dtype == b.sum(axis=-1).dtype
        k = rng.integers(-5, 5, size=(4, n)).astype(np.int8)
        assert np.array_equal(sum_last(k), k.sum(axis=-1)) and sum_last(k).dtype == k.sum(axis=-1).dtype


def test_softmax_choice_is_the_inverse_cdf_of_its_probabilities():
    """The column-by-column softmax draw against the textbook one (cumsum,
    normalise, count), on utilities with ruled-out levels."""
    from sim.rules import softmax_choice

    rng = np.random.default_rng(11)
    util = rng.normal(size=(4000, 1, 7)) * 3
    util[::3, :, :2] = -np.inf
    temp = rng.uniform(0.05, 2.0, size=(4000, 1))
    u = rng.uniform(size=(4000, 1))
    z = util / temp[..., None]
    w = np.exp(z - np.max(z, axis=-1, keepdims=True))
    cdf = np.cumsum(w, axis=-1)
    cdf = cdf / cdf[..., -1:]
    expected = np.minimum((u[..., None] >= cdf).sum(axis=-1), 6)
    assert np.array_equal(softmax_choice(util, temp, u), expected)


def test_where2_is_nonzero():
    from sim.process.common import where2

    rng = np.random.default_rng(3)
    for shape in ((1, 44), (3, 5), (200, 44), (2000, 44), (0, 44)):
        mask = rng.uniform(size=shape) < 0.1
        got, want = where2(mask), np.nonzero(mask)
        assert all(np.array_equal(g, w_) and g.dtype == w_.dtype for g, w_ in zip(got, want))
    mask = rng.uniform(size=(2000, 44)) < 0.1
    got = where2(mask[:, ::2])  # a strided view reads in logical order
    assert all(np.array_equal(g, w_) for g, w_ in zip(got, np.nonzero(mask[:, ::2])))
