"""Role play: players take some states' decisions instead of the rules.

:class:`Control` is a decision hook (see :mod:`sim.process.hooks`): the
phases ask it at each decision of a played state of run 0. With an answer on
record it is used; without one the decision becomes a :class:`Question` and
the model's own choice stands, so that a probe run of the day finds the
questions of the day (see :meth:`sim.model.CoalitionModel.step`).

An answer stands: a decision that comes back day after day (hold fire,
stay at this commitment, keep this stance) is not asked again while the
situation is the same, that is while the options are the same and the
option the model values most is the same, for at most ``review_days``
(default 7, a weekly review) after the player last answered it; a
retaliation's answer stands for the whole attack (no review). When the
situation changes, or at the review, the question is asked again. Standing
is a pure function of the answers on record and their situations, so the
probe of a day and the day itself agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Question:
    """A decision a player must take for a state (role play)."""

    state: str
    day: int
    kind: str  # art4, art5, eu427, un, assent, commitment, retaliate, stance
    prompt: str
    options: list[str]
    hint: list[float]  # the model's own utility or probability per option
    model_choice: int  # what the rules would pick with this run's draw
    key: tuple

    @property
    def situation(self) -> tuple:
        """What a standing answer to this question depends on: the options
        and the one the model values most."""
        return situation(self.options, self.hint)


REVIEW_DAYS = 7  # a standing answer is asked again after a week
# Kinds whose answer stands without a weekly review, while the situation is
# the same: a retaliation is answered once per attack (the decision's extra
# is the attack), again only when the model's own pick would change.
NO_REVIEW = frozenset({"retaliate"})


def situation(options, hint) -> tuple:
    best = max(range(len(hint)), key=lambda k: (float(hint[k]), -k)) if len(hint) else -1
    return (tuple(options), best)


class Control:
    """Decisions taken by players instead of the rules, for run 0.

    At each decision of a player's state the engine asks :meth:`decide`: with
    an answer on record it is used (and the log says a player decided);
    without one the question is noted in ``asked`` and the rules' own choice
    is used, so a probe run of the day can collect today's questions.
    """

    def __init__(self, players, answers=None, situations=None, review_days: int | None = None):
        self.players = set(int(i) for i in players)
        self.answers: dict[tuple, int] = answers if answers is not None else {}
        # the situation (options, the model's best) each answer was given in
        self.situations: dict[tuple, tuple] = situations if situations is not None else {}
        self.review_days = int(REVIEW_DAYS if review_days is None else review_days)
        self.asked: list[Question] = []

    def standing(self, day: int, kind: str, i: int, extra, now: tuple) -> int | None:
        """The player's last answer to this decision, if it still stands
        today (answered fewer than ``review_days`` ago, same situation)."""
        oldest = 0 if kind in NO_REVIEW else day - self.review_days + 1
        for past in range(day - 1, oldest - 1, -1):
            key = (past, kind, int(i), extra)
            if key in self.answers:
                return int(self.answers[key]) if self.situations.get(key) == now else None
        return None

    def decide(self, s, day: int, kind: str, i: int, extra, prompt: str, options, hint,
               model_choice: int) -> tuple[int, bool]:
        key = (day, kind, int(i), extra)
        if key in self.answers:
            return int(self.answers[key]), True
        held = self.standing(day, kind, i, extra, situation(options, hint))
        if held is not None:
            return held, True
        self.asked.append(Question(s.codes[i], day, kind, prompt, list(options),
                                   [float(h) for h in hint], int(model_choice), key))
        return int(model_choice), False


