"""Phase 10, threat: perceptions fade at the end of the day.

Decides nothing: threat, state-made threat and tension decay by
``threat_decay`` a day, the rally in public support by ``rally_decay``
(``decay`` in :mod:`sim.rules`). The impulses themselves are added by the
events phase (:mod:`sim.process.events`).
"""

from __future__ import annotations

from .. import rules as R


def step(s, w, day, triggered):
    rules = s.rules
    w.threat = R.decay(w.threat, rules["threat_decay"])
    w.state_threat = R.decay(w.state_threat, rules["threat_decay"])
    w.tension = R.decay(w.tension, rules["threat_decay"])
    if w.tension_to.size:
        w.tension_to = R.decay(w.tension_to, rules["threat_decay"][:, :, None])
    w.rally = R.decay(w.rally, rules["rally_decay"])
