"""Decision rules: pure functions of numpy arrays. No Mesa, no I/O, no RNG.

Every function takes arrays whose last axis is the state (shape (N,) for one
run, (R, N) for R replicates at once) and rule weights that are floats or
arrays of shape (R, 1), and returns arrays. Uniform draws come in as
arguments (from :mod:`sim.draws`), never from a generator in here.
docs/ODD.md gives each formula in words.
"""

from __future__ import annotations

import numpy as np

from .arrays import max_last, sum_last

# Commitment levels, in order, with what each contributes to the campaign,
# what it costs a government (utility units) and its share of the state's
# strike aircraft deployed.
LEVEL_CONTRIBUTION = np.array([0.0, 0.1, 0.25, 0.4, 0.65, 0.8, 1.0])
LEVEL_COST = np.array([0.0, 0.05, 0.15, 0.3, 0.55, 0.75, 1.5])
LEVEL_AIRCRAFT_SHARE = np.array([0.0, 0.0, 0.0, 0.02, 0.05, 0.06, 0.08])
HOME_SHARE = LEVEL_AIRCRAFT_SHARE / LEVEL_AIRCRAFT_SHARE.max()  # aircraft sent away, relative to the most


def aircraft_committed(strike_aircraft: np.ndarray, commitment: np.ndarray) -> np.ndarray:
    """Strike aircraft committed: each state's fleet times the share its level deploys, rounded."""
    return np.rint(strike_aircraft * LEVEL_AIRCRAFT_SHARE[commitment])
STRIKES_INVITED, STRIKES_UNINVITED, GROUND = 4, 5, 6
SUPPORT = 3
# Non-allies' stance: value of cooperating and its political cost.
STANCE_VALUE = np.array([0.0, 1 / 3, 2 / 3, 1.0])
STANCE_COST = np.array([0.0, 0.0, 0.1, 1.0])
# How much an EU 42.7 invocation obliges, relative to Article 5 (it is aid "by
# all the means in their power", bilateral, neutrals keep their status).
EU_OBLIGATION = 0.6
CHANGE_COST = 0.2  # status-quo bias: any change of level costs this much


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------
# Perception


def toll(deaths, injured, rules):
    """Casualties as one number: deaths + ``injured_weight`` x injured."""
    return deaths + rules["injured_weight"] * injured


def casualty_severity(deaths, injured, population, rules):
    """Deaths and injured per capita, on a log scale where 9/11 is 1.

    Stavridis's argument in the article: on a population-adjusted basis
    Paris resembles a 9/11-level event. This is how hard the state is hit,
    what its government and public feel (the threat); how grave the attack
    is as an armed attack, for the institutions, is :func:`gravity`.
    """
    ref = toll(rules["reference_deaths"], rules["reference_injured"], rules) / (rules["reference_population"] / 1e6)
    per_million = toll(deaths, injured, rules) / (population / 1e6)
    return np.log1p(per_million) / np.log1p(ref)


def gravity(deaths, injured, state_perpetrator, direction, rules):
    """How far a non-state attack counts as an armed attack, 0..1, for the
    routes to collective defence (Article 5, EU 42.7): the factor on the
    victim's impulse in those routes' utilities. (The Security Council acts
    on any threat to the peace, Chapter VII, a lower bar: not discounted.)

    * Scale: whether an act is an armed attack turns on its "scale and
      effects" (ICJ, Nicaragua, 1986, para. 195), absolute, not per capita:
      (toll / 9/11's toll) ** ``severity_scale_exponent`` (concave: the
      value of lives lost grows less than their number; Olivola and Sagara
      2009), toll = deaths + ``injured_weight`` x injured.
    * Origin: self-defence answers an armed attack from outside the state
      (UN Charter Art. 51; ICJ, Wall advisory opinion, 2004, para. 139); a
      domestic attack (``direction``) counts ``severity_domestic``.

    An act by a state is 1 (its kind's severity floors already weigh it).
    """
    if state_perpetrator:
        return np.ones_like(np.asarray(deaths, dtype=float))
    ref_toll = toll(rules["reference_deaths"], rules["reference_injured"], rules)
    out = np.minimum(1.0, toll(deaths, injured, rules) / ref_toll) ** rules["severity_scale_exponent"]
    if direction == "domestic":
        out = out * rules["severity_domestic"]
    return out


HYBRID_KINDS = ("sabotage", "cyber_attack", "instrumentalised_migration")


def event_severity(kind, state_perpetrator, intent, deaths, injured, assets, population, rules):
    """Severity of one event for its target (a float or an (R, 1) array)."""
    sev = casualty_severity(deaths, injured, population, rules)
    if kind == "invasion":
        sev = np.maximum(sev, rules["severity_invasion"])
    elif kind == "airspace_violation":
        sev = np.maximum(sev, rules["severity_airspace"] + rules["severity_per_asset"] * np.minimum(assets, 20))
    elif kind == "war_threat":
        sev = np.maximum(sev, rules["severity_war_threat"])
    elif kind == "un_resolution":
        sev = sev * 0.0
    if state_perpetrator and kind in ("armed_attack", "invasion", "airspace_violation"):
        sev = np.maximum(sev, rules["severity_state_floor"] * (1.0 if kind != "airspace_violation" else 0.5))
    elif state_perpetrator and kind in HYBRID_KINDS:
        # Hostile acts short of armed force: the airspace violation's half floor (docs/ODD.md).
        sev = np.maximum(sev, rules["severity_state_floor"] * 0.5)
    if intent == "accidental":
        sev = sev * rules["accidental_factor"]
    elif intent == "unclear":
        sev = sev * rules["unclear_factor"]
    return sev


def proximity(is_target, neighbour_of_target, neighbour_of_perpetrator, same_nato, same_eu, rules):
    """How close each state stands to an event (1 for the target itself)."""
    out = is_target * 1.0
    for mask, weight in ((neighbour_of_target, "proximity_neighbour"),
                         (neighbour_of_perpetrator, "proximity_perpetrator_neighbour"),
                         (same_nato, "proximity_nato"), (same_eu, "proximity_eu")):
        out = np.maximum(out, mask * rules[weight])
    return out


def threat_impulse(severity, prox, threat_perception):
    """New threat from an event: severity x proximity, scaled by how seriously
    the state already takes the danger (threat perception 0..1 -> x0.5..1.5)."""
    return severity * prox * (0.5 + threat_perception)


def decay(value, rate):
    return value * (1.0 - rate)


# --------------------------------------------------------------------------
# The victim's route


def art4_utility(state_threat, impact, autonomy, prefers_nato, rules, victim=0.0):
    """Article 4 consultations: driven by threats from states; ``victim`` is
    1 for the ally whose territory or forces a state's force has just hit or
    threatened, whatever the scale (docs/ODD.md 7.4)."""
    return (
        rules["art4_bias"]
        + rules["art4_state_threat"] * state_threat
        + rules["art4_severity"] * impact
        + rules["art4_victim"] * victim
        + rules["route_preference"] * prefers_nato
        - 0.5 * rules["autonomy_weight"] * autonomy
    )


def art5_utility(impact, state_perpetrator, autonomy, prefers_nato, pass_probability, rules):
    """Asking for Article 5: severity, minus autonomy cost and refusal risk."""
    return (
        rules["art5_bias"]
        + rules["art5_severity"] * impact
        + rules["art5_state"] * state_perpetrator
        + rules["route_preference"] * prefers_nato
        - rules["autonomy_weight"] * autonomy
        - rules["art5_refusal"] * (1.0 - pass_probability)
    )


def eu427_utility(impact, autonomy, prefers_eu, rules, at_war=0.0):
    """EU 42.7: bilateral aid that leaves the victim in command. ``at_war``
    is 1 when the victim already strikes the attacker (the campaign's
    adversary): it asks its partners to share a war it is fighting."""
    return (
        rules["eu427_war"] * at_war
        + rules["eu427_bias"]
        + rules["eu427_severity"] * impact
        + rules["route_preference"] * prefers_eu
        + rules["eu427_autonomy"] * autonomy
    )


def un_utility(impact, prefers_un, rules):
    return rules["un_bias"] + rules["un_severity"] * impact + rules["route_preference"] * prefers_un


# --------------------------------------------------------------------------
# Institutions


def assent_utility(affinity_to_victim, impact, non_state, accidental, rules):
    """A member's assent to declaring Article 5 for a victim."""
    return (
        rules["assent_bias"]
        + rules["assent_affinity"] * affinity_to_victim
        + rules["assent_severity"] * impact
        + rules["assent_non_state"] * non_state
        + rules["assent_accidental"] * accidental
    )


ART5_DECISION_CODES = {"consensus": 0, "majority": 1, "qualified_majority": 2}


def council_passes(assent, voters, population, decision, rules):
    """Does a council decide, given each voter's assent (bool, (..., N))?

    ``decision`` holds a code per replicate (see ART5_DECISION_CODES):
    consensus (nobody objects), majority (more than half of the voters), or
    qualified majority (a share of states representing a share of the
    population; by default the EU Council's 55 % and 65 %).
    """
    n = voters.sum(axis=-1)
    yes_mask = assent & voters
    yes = yes_mask.sum(axis=-1)
    pop_yes = np.where(yes_mask, population, 0.0).sum(axis=-1)
    pop_all = np.where(voters, population, 0.0).sum(axis=-1)
    qualified = (yes >= rules["qualified_share_states"][..., 0] * n) & (
        pop_yes >= rules["qualified_share_population"][..., 0] * pop_all
    )
    return np.select([decision == 0, decision == 1], [yes == n, yes * 2 > n], qualified)


def pass_probability(p_assent, voters, decision, rules):
    """The victim's expectation that the council would agree (no draws)."""
    unanimous = np.prod(np.where(voters, p_assent, 1.0), axis=-1)
    n = np.maximum(voters.sum(axis=-1), 1)
    share = np.where(voters, p_assent, 0.0).sum(axis=-1) / n
    threshold = np.where(decision == 1, 0.5, rules["qualified_share_states"][..., 0])
    return np.where(decision == 0, unanimous, sigmoid(20.0 * (share - threshold)))


def veto_probability(is_perpetrator, patron_affinity, shared_threat, rules):
    """A permanent member's chance of vetoing a resolution against a perpetrator."""
    return sigmoid(
        rules["veto_bias"]
        + rules["veto_perpetrator"] * is_perpetrator
        + rules["veto_patron"] * patron_affinity
        - rules["veto_shared_threat"] * shared_threat
    )


# --------------------------------------------------------------------------
# Commitments


LEVEL_TERMS = ("benefit", "request", "cost", "home", "legal", "vote_risk", "change")


def level_utility_terms(threat, obligation, solidarity, capability, public, casualty_aversion,
                        legal_gap, vote_pass, needs_vote, request, current, rules, frontline=0.0,
                        rotation=0.0):
    """The terms of each commitment level's utility, each of shape (..., N, 7),
    in :data:`LEVEL_TERMS` order; :func:`level_utilities` is their sum (in
    that order, so bit for bit), with the levels below the current one ruled
    out. Also returns the three parts of the drive (threat, obligation,
    solidarity, each already weighted) for explanations.

    ``request`` (..., N) is the strength of an ally's standing request to
    step up (0 when none): every level above the current one gains
    ``request_weight`` x strength (sim.process.requests).

    ``frontline`` (..., N) is 1 for a state that borders a rival outside
    both alliances and away from the campaign's theatre
    (:func:`sim.setup.frontline`): its strike aircraft are also its
    territorial defence, a private good that an out-of-area deployment
    gives up (the joint-product model of alliances, Sandler and Hartley
    2001), so each level pays ``home_defence_weight`` x frontline x the share
    of its aircraft it sends, relative to the largest share (home).

    ``rotation`` (..., N) is 1 for a state whose strike aircraft are home on
    a rotation from this campaign with an announced return
    (``strike_rotation``, sim.forces): its standing policy is to strike
    again, so the status-quo cost (change) is paid by every level other
    than strikes in the invited theatre, staying where it is included
    (the reference point is the announced policy; Samuelson and
    Zeckhauser 1988).

    drive = threat, obligation (Art. 5 or 42.7 invoked) and solidarity (allies
    stepping up); benefit = contribution(level) x drive; cost grows with
    casualty aversion, falls with public support and capability; a level with
    no legal basis pays a penalty (legal); one that needs a vote pays for the
    risk of losing it (vote_risk); any change pays a status-quo cost (change).
    """
    parts = {
        "threat": rules["threat_weight"] * threat,
        "obligation": rules["obligation_weight"] * obligation,
        "solidarity": rules["solidarity_weight"] * solidarity,
    }
    drive = parts["threat"] + parts["obligation"] + parts["solidarity"]
    cost_scale = (
        (1.0 + rules["casualty_weight"] * casualty_aversion)
        * np.maximum(0.1, 1.0 + rules["public_weight"] * (0.5 - public))
        / (0.5 + rules["capability_weight"] * capability)
    )
    levels = np.arange(len(LEVEL_COST))
    reference = np.maximum(current, np.where(np.asarray(rotation) > 0, STRIKES_INVITED, 0))
    terms = {
        "benefit": LEVEL_CONTRIBUTION * drive[..., None],
        "request": rules["request_weight"][..., None] * request[..., None] * (levels > current[..., None]),
        "cost": -(LEVEL_COST * cost_scale[..., None]),
        "home": -(rules["home_defence_weight"][..., None] * np.asarray(frontline)[..., None] * HOME_SHARE),
        "legal": -(rules["legal_weight"][..., None] * legal_gap),
        "vote_risk": -(rules["vote_risk_weight"][..., None] * needs_vote * (1.0 - vote_pass)),
        "change": -(CHANGE_COST * (levels != reference[..., None])),
    }
    return terms, {k: LEVEL_CONTRIBUTION * v[..., None] for k, v in parts.items()}


def level_utilities(threat, obligation, solidarity, capability, public, casualty_aversion,
                    legal_gap, vote_pass, needs_vote, request, current, rules, frontline=0.0,
                    rotation=0.0):
    """Utility of each commitment level, shape (..., N, 7): the sum of
    :func:`level_utility_terms`, levels below the current one ruled out."""
    terms, _ = level_utility_terms(threat, obligation, solidarity, capability, public, casualty_aversion,
                                   legal_gap, vote_pass, needs_vote, request, current, rules, frontline,
                                   rotation)
    u = terms["benefit"]
    for name in LEVEL_TERMS[1:]:
        u = u + terms[name]
    levels = np.arange(len(LEVEL_COST))
    return np.where(levels < current[..., None], -np.inf, u)


def softmax_probabilities(utilities, temperature):
    """The logit probabilities :func:`softmax_choice` draws from (last axis)."""
    z = utilities / np.asarray(temperature)[..., None]
    z = z - max_last(z, keepdims=True)
    w = np.exp(z)
    return w / sum_last(w)[..., None]


def softmax_choice(utilities, temperature, u):
    """Index chosen by a logit over the last axis, by inverse CDF of u: the
    number of options whose cumulative probability u reaches (the running
    sums and the count taken column by column, as ``np.cumsum`` and a sum
    over the axis would give them)."""
    z = utilities / temperature[..., None]
    z = z - max_last(z, keepdims=True)
    w = np.exp(z)
    n = w.shape[-1]
    running = [w[..., 0]]
    for k in range(1, n):
        running.append(running[-1] + w[..., k])
    total = running[-1]
    count = np.zeros(np.broadcast_shapes(np.shape(u), total.shape), dtype=np.int_)
    for c in running:
        count = count + (u >= c / total)
    return np.minimum(count, n - 1)


def retaliation_probability(threat, rules):
    """Daily chance that forces already in theatre strike back."""
    return sigmoid(rules["retaliate_slope"] * (threat - rules["retaliate_threshold"]))


STANCE_TERMS = ("shared_threat", "rivalry", "patron", "tension", "request")


def stance_net_terms(shared_threat, west_alignment, patron_gap, tension, rules, asked=0.0) -> dict:
    """The signed terms of a non-ally's ``net`` towards one state, in
    :data:`STANCE_TERMS` order; :func:`stance_utilities` sums them in that
    order (so an explanation adds up bit for bit)."""
    return {
        "shared_threat": rules["stance_shared_threat"] * shared_threat,
        "rivalry": -(rules["stance_rivalry"] * (1.0 - west_alignment) / 2.0),
        "patron": -(rules["stance_patron"] * patron_gap),
        "tension": -(rules["stance_tension"] * tension),
        "request": rules["stance_request"] * asked,
    }


def stance_utilities(shared_threat, west_alignment, patron_gap, tension, current, rules, asked=0.0):
    """Utility of each stance (oppose, deconflict, coordinate, join) of a
    non-ally towards one state, (..., 4): the threat the two share, the
    non-ally's rivalry with the West, the gap between their stances on the
    target regime, the tension between them, and the other's standing
    request to coordinate (``asked``, its strength); a change of stance pays
    the same status-quo cost as a change of level."""
    terms = stance_net_terms(shared_threat, west_alignment, patron_gap, tension, rules, asked)
    net = terms["shared_threat"]
    for name in STANCE_TERMS[1:]:
        net = net + terms[name]
    stances = np.arange(len(STANCE_VALUE))
    return STANCE_VALUE * net[..., None] - STANCE_COST - CHANGE_COST * (stances != current[..., None])
