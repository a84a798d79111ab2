"""Role play: players take some states' decisions instead of the rules.

:class:`Control` is a decision hook (see :mod:`sim.process.hooks`): the
phases ask it at each decision of a played state of run 0. With an answer on
record it is used; without one the decision becomes a :class:`Question` and
the model's own choice stands, so that a probe run of the day finds the
questions of the day (see :meth:`sim.model.CoalitionModel.step`).
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


class Control:
    """Decisions taken by players instead of the rules, for run 0.

    At each decision of a player's state the engine asks :meth:`decide`: with
    an answer on record it is used (and the log says a player decided);
    without one the question is noted in ``asked`` and the rules' own choice
    is used, so a probe run of the day can collect today's questions.
    """

    def __init__(self, players, answers=None):
        self.players = set(int(i) for i in players)
        self.answers: dict[tuple, int] = answers if answers is not None else {}
        self.asked: list[Question] = []

    def decide(self, s, day: int, kind: str, i: int, extra, prompt: str, options, hint,
               model_choice: int) -> tuple[int, bool]:
        key = (day, kind, int(i), extra)
        if key in self.answers:
            return int(self.answers[key]), True
        self.asked.append(Question(s.codes[i], day, kind, prompt, list(options),
                                   [float(h) for h in hint], int(model_choice), key))
        return int(model_choice), False


