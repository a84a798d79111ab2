"""One class session: the shared run, its groups, their answers, the
teacher's controls. Every method takes the session's lock: the teacher's
page and each group's page call it from their own threads."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from ..model import CoalitionModel
from ..scenario import Scenario
from .injects import inject_scenario, make_event

MAX_GROUPS = 40
MAX_NAME = 40


class SessionError(ValueError):
    """A request the session refuses (shown to the user as one line)."""


@dataclass
class Group:
    name: str
    state: str | None = None
    joined: float = field(default_factory=time.time)


class Session:
    """The shared run. ``model`` is a :class:`sim.CoalitionModel` whose
    players are the claimed states; it is rebuilt (with the answers
    replayed) when the run starts and after an inject."""

    def __init__(self, code: str, scenario: Scenario, seed: int = 1, case=None, label: str = ""):
        self.code = code
        self.label = label or scenario.title
        self.base = scenario  # as chosen, before any inject
        self.scenario = scenario  # as played (with the injects)
        self.case = case  # a history case, for the historical record
        self.seed = int(seed)
        self.groups: dict[str, Group] = {}
        self.started = False
        self.paused = False
        self.target = 0
        self.show_record = False
        self.show_hints = False
        self.injects: list[dict] = []
        self.choices: list[dict] = []  # one row per answered question
        self.notices: list[str] = []
        self.model = CoalitionModel(scenario, self.seed)
        self.created = time.time()
        self.touched = self.created
        self.version = 0
        self.teacher_key = secrets.token_hex(3)  # to reopen the console after a reload
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)

    # -- bookkeeping -------------------------------------------------------
    def touch(self) -> None:
        self.touched = time.time()

    def _bump(self) -> None:
        self.version += 1
        self.touch()
        self.changed.notify_all()

    def wait_change(self, seen: int, timeout: float = 1.0) -> int:
        """Block until the version differs from ``seen`` (or the timeout);
        return the version (the pages' watchers use this)."""
        with self.changed:
            if self.version == seen:
                self.changed.wait(timeout)
            return self.version

    @property
    def codes(self) -> list[str]:
        return list(self.model.setup.codes)

    def name_of(self, code: str) -> str:
        return self.model.setup.names[self.model.setup.codes.index(code)]

    @property
    def claims(self) -> dict[str, str]:
        """state -> group name."""
        return {g.state: g.name for g in self.groups.values() if g.state}

    @property
    def day(self) -> int:
        return self.model.day

    # -- groups ------------------------------------------------------------
    def join(self, name: str) -> Group:
        """A group joins (or comes back after a reload: same name, same group)."""
        name = " ".join(str(name or "").split())[:MAX_NAME]
        if not name:
            raise SessionError("give your group a name")
        with self.lock:
            if name not in self.groups:
                if len(self.groups) >= MAX_GROUPS:
                    raise SessionError(f"this session is full ({MAX_GROUPS} groups)")
                self.groups[name] = Group(name)
            self._bump()
            return self.groups[name]

    def claim(self, group: str, state: str | None) -> None:
        """A group takes a state (None: gives it back). The teacher assigns
        with the same call. Claims are fixed once the run has started: the
        played past must stay as it was."""
        with self.lock:
            if group not in self.groups:
                raise SessionError(f"no group {group!r} in this session")
            if self.started:
                raise SessionError("the run has started: states can no longer change hands")
            if state is not None:
                if state not in self.codes:
                    raise SessionError(f"no state {state!r} in this run")
                holder = self.claims.get(state)
                if holder and holder != group:
                    raise SessionError(f"{self.name_of(state)} is already played by {holder}")
            self.groups[group].state = state
            self._bump()

    def remove_group(self, group: str) -> None:
        with self.lock:
            if self.started and self.groups.get(group) and self.groups[group].state:
                raise SessionError("the run has started: a group playing a state stays")
            self.groups.pop(group, None)
            self._bump()

    # -- the run -----------------------------------------------------------
    def start(self) -> None:
        """Fix the claims and build the shared run with the claimed states
        as players (the model plays the others)."""
        with self.lock:
            if self.started:
                return
            players = [c for c in self.codes if c in self.claims]
            self.model = CoalitionModel(self.scenario, self.seed, players=players)
            self.started = True
            self._bump()

    def open_questions(self, state: str | None = None) -> list:
        with self.lock:
            if not self.model.waiting:
                return []
            return [q for q in self.model.questions if q.key not in self.model.answers
                    and (state is None or q.state == state)]

    def waiting_for(self) -> list[str]:
        """The groups that have not answered today's questions."""
        claims = self.claims
        return sorted({claims.get(q.state, q.state) for q in self.open_questions()})

    def _record(self, q, option: int, by: str) -> None:
        self.model.answer(q, option)
        self.choices.append({
            "day": q.day, "date": self.scenario.date_of(q.day).isoformat(), "state": q.state,
            "state_name": self.name_of(q.state), "group": self.claims.get(q.state, ""), "kind": q.kind,
            "question": q.prompt, "options": " | ".join(q.options), "choice": q.options[option],
            "choice_index": int(option), "model_choice": q.options[q.model_choice],
            "model_choice_index": int(q.model_choice), "same_as_model": int(option) == int(q.model_choice),
            "decided_by": by, "key": repr(q.key)})

    def _run(self) -> None:
        """Go on to the target day, stopping on a day a group must decide."""
        m = self.model
        while m.running and m.day < self.target:
            m.step()
            if m.waiting:
                open_qs = [q for q in m.questions if q.key not in m.answers]
                for q in open_qs:
                    if len(q.options) == 1:  # no choice: take it
                        self._record(q, 0, "the only option")
                if any(len(q.options) > 1 for q in open_qs):
                    break
        self._bump()

    def _go(self, target: int) -> None:
        if not self.started:
            self.start()
        self.target = max(self.model.day, min(int(target), self.scenario.days))
        self.paused = False
        self._run()

    def step(self) -> None:
        with self.lock:
            self._go(self.model.day + 1)

    def run_to(self, day: int) -> None:
        with self.lock:
            self._go(day)

    def pause(self) -> None:
        """Hold the run at today: answers are taken but the day does not go on."""
        with self.lock:
            self.paused = True
            self.target = self.model.day
            self._bump()

    def _after_answer(self) -> None:
        if not self.open_questions():
            if not self.paused:
                # A step asked for reached only once today's questions are answered.
                self.target = max(self.target, self.model.day + 1)
                self._run()
                return
        self._bump()

    def answer(self, group: str, key: tuple, option: int) -> None:
        """A group's answer to one of its open questions."""
        with self.lock:
            g = self.groups.get(group)
            q = next((q for q in self.open_questions() if q.key == key), None)
            if g is None or q is None:
                raise SessionError("this question is no longer open")
            if q.state != g.state:
                raise SessionError(f"this question is for {self.name_of(q.state)}, not for your group")
            if not 0 <= int(option) < len(q.options):
                raise SessionError("no such option")
            self._record(q, int(option), "group")
            self._after_answer()

    def decide_for(self, key: tuple, option: int) -> None:
        """The teacher answers an open question for a group."""
        with self.lock:
            q = next((q for q in self.open_questions() if q.key == key), None)
            if q is None:
                raise SessionError("this question is no longer open")
            self._record(q, int(option), "teacher")
            self._after_answer()

    def skip_wait(self) -> None:
        """The model decides every open question (its own choice) and the run goes on."""
        with self.lock:
            open_qs = self.open_questions()
            if not open_qs:  # nothing to skip (a second click on a stale button)
                return
            for q in open_qs:
                self._record(q, q.model_choice, "model (wait skipped)")
            self._after_answer()

    def reveal(self, record: bool | None = None, hints: bool | None = None) -> None:
        with self.lock:
            if record is not None:
                self.show_record = bool(record)
            if hints is not None:
                self.show_hints = bool(hints)
            self._bump()

    def inject(self, fields: dict) -> str:
        """Add an event on today or a later day, rebuild the run with it and
        replay every answer given before that day. Returns the notice."""
        with self.lock:
            fields = dict(fields)
            day = int(fields.get("day", self.model.day))
            if day < self.model.day:
                raise SessionError(f"an event can be injected on day {self.model.day} or later, not day {day}")
            fields["day"] = day
            try:
                event = make_event(fields)
                if event.target not in self.codes:
                    raise SessionError(f"no state {event.target!r} in this run")
                scenario = inject_scenario(self.scenario, event)
                replayed = self._replay(scenario, day)
            except ValueError as exc:
                raise SessionError(str(exc)) from None
            self.scenario = scenario
            self.model = replayed
            self.injects.append({"on_day": self.model.day, **event.model_dump(mode="json")})
            # Answers for the inject's day and later were given without it: drop them.
            self.choices = [c for c in self.choices if c["day"] < day]
            name = self.name_of(event.target)
            text = (f"Injected for day {day} ({scenario.date_of(day):%d %B %Y}): "
                    f"{event.description or event.kind.replace('_', ' ')} ({name})")
            self.notices.append(text)
            self._run() if not self.paused and self.target > self.model.day else self._bump()
            return text

    def _replay(self, scenario: Scenario, inject_day: int) -> CoalitionModel:
        old = self.model
        model = CoalitionModel(scenario, self.seed, players=old.players)
        keep = {k: v for k, v in old.answers.items() if k[0] < inject_day}
        model.answers.update(keep)
        model.situations.update({k: old.situations[k] for k in keep if k in old.situations})
        while model.day < old.day and model.running:
            model.step()
            if model.waiting:
                raise SessionError("the replay met a question the played run did not ask: inject refused")
        before, after = old.result().events, model.result().events
        cols = ["day", "state", "kind", "decided_by", "text"]
        if not before[cols].astype(str).reset_index(drop=True).equals(
                after[after.day < old.day][cols].astype(str).reset_index(drop=True)):
            raise SessionError("the replay did not reproduce the played days: inject refused")
        return model

    # -- what the pages show ----------------------------------------------
    def record_final(self) -> dict[str, str]:
        """The level each played state has reached today."""
        with self.lock:
            summary = self.model.result().summary
            return {c: summary[f"commitment.{c}"] for c in self.model.players}

    def public_events(self):
        """The event log so far (what the world sees)."""
        with self.lock:
            return self.model.result().events

    def status(self) -> str:
        m = self.model
        text = f"Day {m.day} of {self.scenario.days} ({self.scenario.date_of(m.day):%d %B %Y})"
        if not self.started:
            return text + "; not started"
        if not m.running:
            return text + "; the run is over"
        waiting = self.waiting_for()
        if waiting:
            return text + "; waiting for " + ", ".join(waiting)
        return text + ("; paused" if self.paused else "")
