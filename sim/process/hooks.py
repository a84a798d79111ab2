"""The decision hook: who takes a decision the rules would take.

A phase computes the model's choice for every deciding state and then asks
the run's hook (``world.control``) whether a player takes some of them. The
default hook is the model itself (``world.control is None``: nothing is
asked, nothing is replaced, no cost). Role play (:mod:`sim.roleplay`) is
another hook: any object with ``players`` (state indices of run 0) and
``decide(setup, day, kind, i, extra, prompt, options, hint, model_choice)``
returning (choice, by_player). No phase imports the role-play code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..world import World

def players(w: World, mask_row: np.ndarray) -> list[int]:
    """Player states (run 0) among those the mask selects."""
    if w.control is None:
        return []
    return [i for i in sorted(w.control.players) if mask_row[i]]


def let_players_choose(s, w, day, kind, r, i, choice, ask, extra=None) -> set[int]:
    """Replace the rules' choices of the deciding player states (run 0) by
    the players' answers, in place. ``ask(k)`` gives decider k's prompt,
    options, hints and the level of its first option (``choice - offset``
    indexes the options). ``extra`` tells apart decisions of one kind that
    are not the same decision (the attack a retaliation answers). Returns
    the states whose choice a player made."""
    chosen: set[int] = set()
    if w.control is None:
        return chosen
    for k in np.nonzero(r == 0)[0]:
        if int(i[k]) not in w.control.players:
            continue
        prompt, options, hint, offset = ask(k)
        pick, by = w.control.decide(s, day, kind, int(i[k]), extra, prompt, options, hint, int(choice[k]) - offset)
        choice[k] = offset + pick
        if by:
            chosen.add(int(i[k]))
    return chosen


def by_player(data: dict | None, by_player: bool):
    if by_player:
        data = dict(data or {})
        data["by"] = "player"
    return data


