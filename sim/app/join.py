"""A group's page (``/join``): enter the join code and a group name, claim
a state, then read its briefing, answer its questions, follow the world."""

from __future__ import annotations

import solara
import solara.lab

from sim.app.classroom_ui import CSS, log_html, use_session_version
from sim.app.prose import Prose
from sim.classroom import SessionError, briefing, option_labels, option_notes, question_words, registry

CHOOSE = "(choose a state)"


@solara.component
def JoinForm(on_join):
    code, set_code = solara.use_state("")
    name, set_name = solara.use_state("")
    error, set_error = solara.use_state("")

    def join():
        session = registry.get(code)
        if session is None:
            set_error(f"No class session with the code {code.strip().upper() or '(empty)'} on this server.")
            return
        try:
            group = session.join(name)
        except SessionError as exc:
            set_error(str(exc))
            return
        on_join((session, group.name))

    with solara.Column(classes=["classroom"], style={"max-width": "640px"}) as col:
        Prose("## Join the class session")
        Prose("Type the code on the teacher's screen and your group's name. "
              "Lost the page? Join again with the same name.")
        solara.InputText("Join code", value=code, on_value=set_code, continuous_update=True, classes=["join-code-input"])
        solara.InputText("Group name", value=name, on_value=set_name, continuous_update=True, classes=["group-name-input"])
        solara.Button("Join", color="primary", on_click=join, classes=["join-button"])
        if error:
            solara.Error(error)
    return col


@solara.component
def Claim(session, group, version=None):
    names = {c: session.name_of(c) for c in session.codes}
    by_name = {v: k for k, v in names.items()}
    error, set_error = solara.use_state("")
    mine = session.groups[group].state
    free = sorted(n for c, n in names.items() if c not in session.claims)

    def take(state_name):
        if state_name == CHOOSE:
            return
        try:
            session.claim(group, by_name[state_name])
            set_error("")
        except SessionError as exc:
            set_error(str(exc))

    if mine:
        Prose(f"Your group plays **{names[mine]}**. Read your briefing while the class gathers; "
              "the teacher starts the run.")
    else:
        Prose("Choose the state your group will play (or wait: the teacher may assign one).")
    solara.Select("Claim a state", values=[CHOOSE] + free, value=CHOOSE, on_value=take, classes=["claim-state"])
    if error:
        solara.Error(error)


@solara.component
def Questions(session, group, state, version=None):
    error, set_error = solara.use_state("")
    open_qs = session.open_questions(state)
    if not open_qs:
        if session.started and session.model.running:
            waiting = session.waiting_for()
            solara.Text("No decision for you now." + (f" Waiting for: {', '.join(waiting)}." if waiting else ""))
        return

    def pick(q, i):
        try:
            session.answer(group, q.key, i)
            set_error("")
        except SessionError as exc:
            set_error(str(exc))

    for q in open_qs:
        with solara.Column(classes=["question"]):
            Prose(f"### Your decision, day {q.day} ({session.scenario.date_of(q.day):%d %B})")
            solara.Text(question_words(session.scenario, q))
            notes = option_notes(session.scenario, q)
            for i, option in enumerate(option_labels(q)):
                label = option + (f" (model's value {q.hint[i]:.2f})" if session.show_hints else "")
                solara.Button(label, outlined=True, on_click=lambda q=q, i=i: pick(q, i), classes=["option"])
                if notes[i] and notes[i] != option:
                    solara.Text(notes[i], classes=["option-note"])
            if session.show_hints:
                solara.Text(f"The model would choose: {q.options[q.model_choice]}")
    if error:
        solara.Error(error)


@solara.component
def Desk(session, group, on_leave):
    # The version as an argument of each part: a component whose arguments
    # are unchanged is not rendered again, and the session changes in place.
    version = use_session_version(session)
    session.touch()
    g = session.groups.get(group)
    if g is None:
        solara.Warning("The teacher removed your group; join again.")
        solara.Button("Back", on_click=on_leave)
        return
    state = g.state
    events = session.public_events()
    claims = session.claims
    with solara.Column(classes=["classroom"]):
        head = f"## {group}" + (f": you play {session.name_of(state)}" if state else "")
        Prose(head)
        solara.Text(session.status(), classes=["status-line"])
        if not session.started:
            Claim(session, group, version=version)
        elif not state:
            Prose("The run has started without a state for your group: follow the world and "
                  "advise another group.")
        if state:
            Questions(session, group, state, version=version)
        if session.show_record:
            from sim.app.facilitator import record_text
            solara.Text(record_text(session), classes=["observed-line"])
        with solara.lab.Tabs():
            if state:
                with solara.lab.Tab("Briefing"):
                    brief = briefing(session.scenario, state)
                    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in brief.items() if k != "name")
                    solara.HTML(tag="table", unsafe_innerHTML=rows, classes=["cls", "briefing"])
            with solara.lab.Tab("World news"):
                solara.HTML(tag="div", unsafe_innerHTML=log_html(events))
            with solara.lab.Tab("Other groups' moves"):
                others = [c for c, gname in claims.items() if gname != group]
                moves = events[events["state"].astype(str).isin(others)] if others else events.iloc[0:0]
                if others:
                    solara.Text("Groups: " + "; ".join(f"{claims[c]} plays {session.name_of(c)}" for c in others))
                solara.HTML(tag="div", unsafe_innerHTML=log_html(moves))
        solara.Button("Leave", text=True, on_click=on_leave)


@solara.component
def Page():
    solara.Title("coalition-sim: join a class session")
    solara.Style(CSS)
    joined, set_joined = solara.use_state(None)  # (session, group name)
    if joined is None or registry.get(joined[0].code) is None:
        JoinForm(set_joined)
    else:
        Desk(joined[0], joined[1], lambda: set_joined(None))
