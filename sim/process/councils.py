"""Phase 3, councils: the North Atlantic Council, the Council of the EU and
the UN Security Council meet on the requests due today.

* Article 4: the NAC consults (logged; decides nothing further).
* Article 5: each other NATO member assents with probability
  sigmoid(``assent_utility``: affinity to the victim, the impulse it felt,
  lower for a non-state or accidental attack); the Council passes by the
  scenario's ``art5_decision`` rule (consensus, or a weighted share;
  ``council_passes``). Passing makes every member reconsider.
* Article 42.7: each other EU member assents with probability
  sigmoid(``eu_assent_bias``); unanimity passes it.
* UN: each permanent member but the sponsor vetoes with ``veto_probability``
  (the perpetrator itself, its patrons by alignment, less when the threat is
  shared); no veto passes a mandate and every active state reconsiders.
"""
from __future__ import annotations

import numpy as np

from .. import draws, rules as R
from ..setup import ROUTES
from .common import EU_COUNCIL, NAC_CONSULT, NAC_VOTE, UNSC_VOTE, draws_all, log, pick_rules
from .hooks import players

def assent_probability(s, w, victim, ev_index):
    """Each NATO member's probability of assenting to Article 5 for a victim."""
    ev = s.events[ev_index]
    impact = w.impact[ev_index][:, victim : victim + 1]
    util = R.assent_utility(s.affinity[:, victim], impact, ev.non_state, ev.accidental, s.rules)
    return R.sigmoid(util)




def step(s, w, day, triggered):
    n = len(s.codes)
    pop = s.attr["population"]
    for route in ROUTES:
        due = w.meeting_day[route] == day
        if not due.any():
            continue
        for victim in np.nonzero(due.any(axis=0))[0]:
            rows = np.nonzero(due[:, victim])[0]
            ev_idx = w.request_event[route][:, victim]
            if route == "art4":
                log(w, rows, day, NAC_CONSULT, victim)
                continue
            if route == "un":
                unsc_vote(s, w, day, victim, rows, ev_idx, triggered)
                continue
            members = s.nato if route == "art5" else s.eu
            voters = members & (np.arange(n) != victim)
            # Addressed by the victim's code, not its place in the table.
            decision_id = (draws.NAC_ASSENT if route == "art5" else draws.EU_ASSENT) + 64 * (int(s.keys[victim]) + 1)
            u = draws_all(s, day, decision_id)
            if route == "art5":
                p = np.ones((s.R, n))
                for e in np.unique(ev_idx[rows]):
                    these = rows[ev_idx[rows] == e]
                    p[these] = assent_probability(s, w, victim, int(e))[these]
            else:
                p = np.broadcast_to(R.sigmoid(s.rules["eu_assent_bias"]), (s.R, n))
            assent = u < p
            if w.control is not None and due[0, victim]:
                body = "the North Atlantic Council, on Article 5" if route == "art5" else "the EU Council, on Article 42.7"
                for j in players(w, voters):
                    choice, _ = w.control.decide(
                        s, day, "assent", j, (route, int(victim)),
                        f"{s.names[j]}: assent in {body} for {s.names[victim]}?",
                        ["object", "assent"], [1 - p[0, j], p[0, j]], int(assent[0, j]))
                    assent[0, j] = bool(choice)
            if route == "art5":
                passed = R.council_passes(assent, voters, pop, s.art5_decision, s.rules)
            else:
                passed = (assent | ~voters).all(axis=-1)
            day_arr = w.art5_day if route == "art5" else w.eu427_day
            first = rows[passed[rows] & (day_arr[rows] < 0)]
            day_arr[first] = day
            triggered[first] |= voters
            for r in rows if w.log is not None else ():
                yes = int((assent[r] & voters).sum())
                no = int((~assent[r] & voters).sum())
                objectors = [s.codes[j] for j in np.nonzero(~assent[r] & voters)[0]]
                ok = bool(passed[r])
                w.log.append((int(r), day, NAC_VOTE if route == "art5" else EU_COUNCIL, int(victim),
                              {"yes": yes, "no": no, "passed": ok, "objectors": objectors,
                               "decision": int(s.art5_decision[r]) if route == "art5" else 0}))
            w.meeting_day[route][rows, victim] = -1




def unsc_vote(s, w, day, sponsor, rows, ev_idx, triggered):
    n = len(s.codes)
    u = draws_all(s, day, draws.UNSC_VETO + 64 * (int(s.keys[sponsor]) + 1))
    align = s.attr["west_alignment"]
    w.meeting_day["un"][rows, sponsor] = -1
    for e in np.unique(ev_idx[rows]):
        these = rows[ev_idx[rows] == e]
        ev = s.events[int(e)]
        # After a resolution has passed only a draft that authorises force
        # under Chapter VII, where none has yet, still comes to a vote.
        these = these[(w.un_day[these] < 0) | (ev.chapter_vii & ~w.un_mandate[these])]
        if not len(these):
            continue
        is_perp = np.arange(n) == ev.perpetrator
        if ev.perpetrator >= 0:
            patron = np.clip(1.0 - np.abs(align[these] - align[these, ev.perpetrator : ev.perpetrator + 1]), 0.0, 1.0)
        else:
            patron = np.zeros((len(these), n))
        shared = w.threat[these] - w.state_threat[these]
        p_veto = R.veto_probability(is_perp, patron, shared, pick_rules(s, these))
        vetoes = s.p5 & (u[these] < p_veto) & (np.arange(n) != sponsor)
        passed = ~vetoes.any(axis=-1)
        # A mandate changes every government's legal options: all reconsider.
        w.un_day[these[passed]] = np.where(w.un_day[these[passed]] >= 0, w.un_day[these[passed]], day)
        w.un_mandate[these[passed]] |= ev.chapter_vii
        triggered[these[passed]] |= s.active
        for k, r in enumerate(these) if w.log is not None else ():
            w.log.append((int(r), day, UNSC_VOTE, int(sponsor), {
                "yes": 15 - int(vetoes[k].sum()), "no": int(vetoes[k].sum()), "passed": bool(passed[k]),
                "vetoes": [s.codes[j] for j in np.nonzero(vetoes[k])[0]], "event": ev.index,
            }))


