"""The phases of the day, one module each, in the order of :data:`day.PLAN`:

events, routes, councils (NAC, EU Council, UNSC), parliaments, commitments,
deployments, retaliation, stances, threat (decay). Each module's docstring
says what its phase decides, from what, with which weights; the rules
themselves are the pure functions of :mod:`sim.rules`. Shared helpers are in
:mod:`.common`, the decision hook in :mod:`.hooks`.
"""
