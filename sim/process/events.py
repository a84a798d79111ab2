"""Phase 1, events: the scenario's events of the day happen.

Decides nothing; applies each event of the day: logs it, adds its threat
impulse (severity x proximity x the state's threat perception, compiled in
:mod:`sim.setup`) to every state's threat (and to state-made threat and the
tension of a non-ally attacked by an alliance member, with the alliance and
with the attacker), raises public support
by ``rally_weight`` x impulse, marks attacked states as victims, and marks
every state whose impulse exceeds 0.01 as *triggered* (it reconsiders its
commitment and stance today). A ``un_resolution`` event tables a draft in the
Security Council for today.
"""
from __future__ import annotations

import numpy as np

from .. import rules as R
from ..setup import ATTACK_KINDS
from .common import EVENT, log, stance_slot

def step(s, w, day, triggered):
    for ev in s.events:
        if ev.day != day:
            continue
        log(w, range(s.R), day, EVENT, ev.target, {"event": ev.index})
        if ev.kind == "un_resolution":
            # A draft tabled by the target state; the Council votes today.
            t = ev.target
            fresh = w.meeting_day["un"][:, t] < 0
            w.meeting_day["un"][:, t] = np.where(fresh, day, w.meeting_day["un"][:, t])
            w.request_event["un"][:, t] = np.where(fresh, ev.index, w.request_event["un"][:, t])
            continue
        impact = R.threat_impulse(ev.severity, ev.prox, s.attr["threat_perception"])
        w.impact[ev.index] = impact
        w.threat += impact
        if ev.state_perpetrator:
            w.state_threat += impact
            if ev.perpetrator >= 0 and s.nato[ev.perpetrator]:
                # An alliance member attacked a non-ally: tension with the
                # alliance, and with the attacker itself (sim.process.stances).
                if s.stance_mask[ev.target]:
                    w.tension[:, ev.target] += impact[:, ev.target]
                    w.tension_to[:, stance_slot(s, ev.target), ev.perpetrator] += impact[:, ev.target]
        w.rally += s.rules["rally_weight"] * impact
        if ev.kind in ATTACK_KINDS:
            w.victim[:, ev.target] = True
        triggered |= impact > 0.01


