"""The facilitator's console (``/facilitator``): start a class session,
see the groups and their states, run the shared run, decide for a group,
inject an event, reveal the record and the hints, download the debrief."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import solara  # noqa: E402
import solara.lab  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.app import mapview, views  # noqa: E402
from sim.app.catalog import case_for, list_choices, load_choice  # noqa: E402
from sim.app.classroom_ui import CSS, log_html, table_html, use_session_version  # noqa: E402
from sim.app.prose import Prose  # noqa: E402
from sim.classroom import EVENT_FIELDS, SessionError, registry  # noqa: E402
from sim.classroom.debrief import compare_session, session_json  # noqa: E402
from sim.errors import ConfigError  # noqa: E402
from sim.scenario import LEVELS  # noqa: E402

NOBODY = "(the model plays it)"
MAP_TAB = 1  # the console's second tab


def load_for_session(path):
    """The scenario and the history case (for the record) of a choice."""
    scenario, case = load_choice(path)
    if case is None:
        linked = case_for(path)
        if linked is not None:
            case = load_choice(linked)[1]
    return scenario, case


def record_text(session) -> str:
    return views.observed_text(session.case) if session.case is not None else "No historical record for this scenario."


@solara.component
def StartForm(on_session):
    choices = solara.use_memo(list_choices, [])
    labels = [c.label for c in choices]
    default = next((c.label for c in choices if c.path.stem == "paris_2015"), labels[0])
    label, set_label = solara.use_state(default)
    seed, set_seed = solara.use_state(1)
    code, set_code = solara.use_state("")
    key, set_key = solara.use_state("")
    error, set_error = solara.use_state("")

    def start():
        chosen = next(c for c in choices if c.label == label)
        try:
            scenario, case = load_for_session(chosen.path)
            on_session(registry.create(scenario, seed=int(seed), case=case, label=label))
        except (ConfigError, SessionError, ValueError) as exc:
            set_error(str(exc))

    def resume():
        session = registry.get(code)
        if session is None or session.teacher_key != key.strip().lower():
            set_error("No session with this join code and teacher key on this server.")
            return
        on_session(session)

    with solara.Column(classes=["classroom"]) as col:
        Prose("## Class session: the facilitator's console")
        Prose("Choose what the class will play, then start a session. You get a short join code "
              "for the groups (they open the **/join** page).")
        solara.Select("Scenario or history case", values=labels, value=label, on_value=set_label)
        solara.InputInt("Seed (the same seed replays the same world)", value=int(seed),
                        on_value=lambda v: set_seed(max(0, int(v or 0))))
        solara.Button("Start a session", color="primary", on_click=start, classes=["start-session"])
        if error:
            solara.Error(error)
        Prose("### Come back to a session")
        with solara.Row():
            solara.InputText("Join code", value=code, on_value=set_code, continuous_update=True)
            solara.InputText("Teacher key", value=key, on_value=set_key, continuous_update=True)
            solara.Button("Open", on_click=resume)
    return col


@solara.component
def Groups(session, version=None):
    names = {c: session.name_of(c) for c in session.codes}
    by_name = {v: k for k, v in names.items()}
    group_names = list(session.groups)
    group, set_group = solara.use_state(None)
    state, set_state = solara.use_state(NOBODY)
    error, set_error = solara.use_state("")
    rows = [{"group": g.name, "state": names.get(g.state, "-") if g.state else "(none yet)"}
            for g in session.groups.values()]
    import pandas as pd

    solara.HTML(tag="div", unsafe_innerHTML=table_html(pd.DataFrame(rows, columns=["group", "state"])),
                classes=["groups-table"])
    if session.started:
        Prose("The run has started: the states are fixed. The model plays every state no group holds.")
        return
    if group_names:
        with solara.Row():
            g = group if group in group_names else group_names[0]
            solara.Select("Group", values=group_names, value=g, on_value=set_group)
            free = [NOBODY] + sorted(n for c, n in names.items() if c not in session.claims or session.claims[c] == g)
            solara.Select("State", values=free, value=state if state in free else NOBODY, on_value=set_state)

            def assign():
                try:
                    session.claim(g, by_name.get(state))
                    set_error("")
                except SessionError as exc:
                    set_error(str(exc))
            solara.Button("Assign", on_click=assign)
    else:
        Prose("No group has joined yet.")
    if error:
        solara.Error(error)
    solara.Button("Start the run (states are then fixed)", color="primary", on_click=session.start,
                  classes=["start-run"])


@solara.component
def WaitingLine(session, version=None):
    """Who has not answered, and the skip button: one line under the status."""
    waiting = session.waiting_for()
    if not waiting:
        return
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text(f"Not answered yet: {', '.join(waiting)}", classes=["waiting"])
        solara.Button("Skip the wait (the model decides for them)", on_click=session.skip_wait,
                      classes=["skip-wait"], color="warning")


@solara.component
def DecideFor(session, version=None):
    """The open questions, each with the option the teacher may pick for the group."""
    picks, set_picks = solara.use_state({})
    open_qs = session.open_questions()
    if not open_qs:
        solara.Text("No group has a question open.")
        return
    for q in open_qs:
        group = session.claims.get(q.state, "")
        options = [o.replace("_", " ") for o in q.options]
        chosen = picks.get(q.key, options[q.model_choice])
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, classes=["decide-for"]):
            solara.Text(f"{group} ({session.name_of(q.state)}): {q.prompt}")
            solara.Select("option", values=options, value=chosen,
                          on_value=lambda v, k=q.key: set_picks({**picks, k: v}), style={"min-width": "260px"})
            solara.Button("Decide for them", text=True, outlined=True,
                          on_click=lambda q=q, c=chosen, o=options: session.decide_for(q.key, o.index(c)))


@solara.component
def RunControls(session, version=None):
    to_day, set_to_day = solara.use_state(min(30, session.scenario.days))
    m = session.model
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Button("Step a day", on_click=session.step, disabled=not m.running, classes=["step-day"])
        solara.InputInt("to day", value=int(to_day), on_value=lambda v: set_to_day(max(0, int(v or 0))),
                        style={"max-width": "110px"}, classes=["to-day"])
        solara.Button(f"Run to day {int(to_day)} ({session.scenario.date_of(min(int(to_day), session.scenario.days)):%d %b})",
                      color="primary", on_click=lambda: session.run_to(int(to_day)),
                      disabled=not m.running, classes=["run-to"])
        solara.Button("Pause", on_click=session.pause, disabled=session.paused, classes=["pause"])
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.Checkbox(label="Show the historical record to the groups", value=session.show_record,
                        on_value=lambda v: session.reveal(record=v))
        solara.Checkbox(label="Show the model's values to the groups", value=session.show_hints,
                        on_value=lambda v: session.reveal(hints=v))
    if session.show_record:
        solara.Text(record_text(session), classes=["observed-line"])


@solara.component
def WorldMap(session, version=None):
    """The map of the shared run today (drawn again at each new version)."""
    model = session.model
    figure = solara.use_memo(lambda: mapview.map_figure(model), [version, id(model)])
    with solara.Column(classes=["map-view"]) as col:
        solara.FigureMatplotlib(figure, dependencies=[version, id(model)], format="png")
    return col


@solara.component
def Inject(session, version=None):
    names = {c: session.name_of(c) for c in session.codes}
    by_name = {v: k for k, v in names.items()}
    values, set_values = solara.use_state({"kind": "terror_attack", "perpetrator_kind": "non_state",
                                           "intent": "deliberate", "location": "homeland", "deaths": 30,
                                           "injured": 200, "perpetrator": "", "description": "",
                                           "cross_border": False, "assets": 0})
    day, set_day = solara.use_state(None)
    target, set_target = solara.use_state(None)
    message, set_message = solara.use_state(("", ""))

    def put(k, v):
        set_values({**values, k: v})

    shown_day = int(day) if day is not None and day >= session.day else session.day
    tname = target if target in by_name else names[session.codes[0]]
    Prose("Add an event to the run: it happens on the day you set (today or later); "
          "the days already played stay as they were.")
    with solara.Row(style={"flex-wrap": "wrap"}):
        for name, (kind, allowed) in EVENT_FIELDS.items():
            if name == "day":
                solara.InputInt("day", value=shown_day, on_value=lambda v: set_day(int(v or 0)),
                                style={"max-width": "110px"}, classes=["inject-day"])
            elif name == "target":
                solara.Select("target (where it happens)", values=sorted(by_name), value=tname,
                              on_value=set_target, classes=["inject-target"])
            elif kind == "choice":
                solara.Select(name.replace("_", " "), values=list(allowed), value=values[name],
                              on_value=lambda v, n=name: put(n, v), classes=[f"inject-{name}"])
            elif kind == "int":
                solara.InputInt(name, value=int(values[name]), on_value=lambda v, n=name: put(n, max(0, int(v or 0))),
                                style={"max-width": "130px"}, classes=[f"inject-{name}"])
            elif kind == "bool":
                solara.Checkbox(label=name.replace("_", " "), value=bool(values[name]),
                                on_value=lambda v, n=name: put(n, bool(v)))
            else:
                solara.InputText(name, value=values[name], on_value=lambda v, n=name: put(n, v),
                                 continuous_update=True, classes=[f"inject-{name}"])

    def go():
        try:
            text = session.inject({**values, "day": shown_day, "target": by_name[tname],
                                   "perpetrator": values["perpetrator"] or "unknown"})
            set_message((text, ""))
        except SessionError as exc:
            set_message(("", str(exc)))
    solara.Button("Inject the event", color="primary", on_click=go, classes=["inject-button"])
    if message[0]:
        solara.Success(message[0])
    if message[1]:
        solara.Error(message[1])
    for n in session.notices:
        solara.Text(n)


def comparison_figure(rows, final: dict, session) -> Figure:
    """Per played state: the share of the model's runs ending at each level,
    the class's level marked."""
    fig = Figure(figsize=(9, 0.9 + 1.1 * max(len(final), 1)), dpi=90)
    ax = fig.subplots()
    labels = [lv.replace("_", " ") for lv in LEVELS]
    for k, (code, level) in enumerate(sorted(final.items())):
        share = rows[f"commitment.{code}"].astype(str).value_counts(normalize=True)
        left = 0.0
        for j, lv in enumerate(LEVELS):
            w = float(share.get(lv, 0.0))
            if w <= 0:
                continue
            ax.barh(k, w, left=left, color=views.LEVEL_COLOURS[lv], edgecolor="#333333",
                    hatch="//" if lv == level else None, label=labels[j] if k == 0 else None)
            left += w
    ax.set_yticks(range(len(final)), [f"{session.name_of(c)}\n(class: {lv.replace('_', ' ')})"
                                      for c, lv in sorted(final.items())],
                  fontsize=12)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the model's runs (hatched: the level the class reached)", fontsize=12)
    handles = [matplotlib.patches.Patch(color=views.LEVEL_COLOURS[lv], label=lv.replace("_", " ")) for lv in LEVELS]
    ax.legend(handles=handles, fontsize=10, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    return fig


@solara.component
def Debrief(session, version=None):
    runs, set_runs = solara.use_state(300)
    request, set_request = solara.use_state(None)

    def compute():
        if request is None:
            return None
        table, rows = compare_session(session, runs=int(request[1]))
        return table, rows, session.record_final()

    job = solara.use_thread(compute, dependencies=[request], intrusive_cancel=False)
    done = job.value if job.state == solara.ResultState.FINISHED else None
    Prose("Download the whole session (events with who decided each, every group's choices with the "
          "model's choice beside it, the votes, the injects, the settings and the seed). "
          "In Python: `sim.load_session(path)`.")
    with solara.Column(classes=["download-session"]):
        solara.FileDownload(data=lambda: session_json(session), filename=f"class-session-{session.code}.json",
                            label="Download the session file")
    with solara.Row():
        solara.InputInt("model runs", value=int(runs), on_value=lambda v: set_runs(max(20, min(int(v or 300), 2000))),
                        style={"max-width": "140px"})
        solara.Button("Compare with the model's own runs", color="primary",
                      on_click=lambda: set_request((session.day, int(runs), len(session.choices))),
                      classes=["compare"])
    if request is None:
        return
    if views.JobStatus(job, f"Running the model {request[1]} times from the same start to day {request[0]}...") \
            and done is not None:
        table, rows, final = done
        Prose(f"The class's run on day {request[0]} beside {request[1]} runs of the model alone from the "
              "same start (same scenario and injects, other seeds): how often did the model's own "
              "states do what the class did?")
        shown = table.copy()
        for col in ("model runs the same", "model runs at this level or higher"):
            shown[col] = [("-" if v is None or v != v else f"{v:.0%}") for v in shown[col]]
        solara.HTML(tag="div", unsafe_innerHTML=table_html(shown), classes=["compare-table"])
        if final:
            with solara.Column(classes=["compare-figure"]):
                solara.FigureMatplotlib(comparison_figure(rows, final, session), format="png")


@solara.component
def Console(session, on_leave):
    # The version as an argument of each part: a component whose arguments
    # are unchanged is not rendered again, and the session changes in place.
    version = use_session_version(session)
    tab, set_tab = solara.use_state(0)
    session.touch()
    with solara.Column(classes=["classroom"]) as col:
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text(session.code, classes=["join-code"])
            Prose(f"Groups open **/join** and enter **{session.code}**.  \n"
                  f"{session.label}; seed {session.seed}. Teacher key: `{session.teacher_key}`")
            solara.Button("Leave this console", text=True, on_click=on_leave)
        solara.Text(session.status(), classes=["status-line"])
        WaitingLine(session, version=version)
        with solara.lab.Tabs(value=tab, on_value=set_tab):
            with solara.lab.Tab("Run"):
                RunControls(session, version=version)
                solara.HTML(tag="div", unsafe_innerHTML=log_html(session.model.result().events))
            # The map is drawn only while its tab is open: a map takes about
            # half a second, which the class's steps should not wait for.
            with solara.lab.Tab("Map"):
                if tab == MAP_TAB:
                    WorldMap(session, version=version)
            with solara.lab.Tab("Decide for a group"):
                DecideFor(session, version=version)
            with solara.lab.Tab("Groups and states"):
                Groups(session, version=version)
            with solara.lab.Tab("Inject an event"):
                Inject(session, version=version)
            with solara.lab.Tab("Debrief"):
                Debrief(session, version=version)
    return col


@solara.component
def Page():
    solara.Title("coalition-sim: facilitator")
    solara.Style(CSS)
    session, set_session = solara.use_state(None)
    if session is None or registry.get(session.code) is None:
        StartForm(set_session)
    else:
        Console(session, lambda: set_session(None))
