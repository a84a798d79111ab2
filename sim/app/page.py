"""The Solara page: ``solara run sim/app/page.py`` (or ``coalition-sim app``).

All run state lives inside the component (use_state / use_memo), so each
browser session has its own model; nothing here is a module-level run.

Projector-first: at 1280x720 the controls (a column of fixed width), the
run's buttons, the picture and the log fit on one screen, text is at least
16 px, sliders say their values, states go by their names. The historical
record and the model's hints stay hidden until revealed; a played run is not
dropped (a setting, Stop playing, Reset, a reload) without a question and an
offer to download it.

The first tab is a map of the states (sim/app/mapview.py, a matplotlib
figure drawn again at each step). The alliance network and the coalition's
series are Mesa's own components
(SpaceRendererComponent, and make_plot_component's PlotMatplotlib), driven as
SolaraViz drives them: they are given the model, and after the model moves
the page calls Mesa's ``force_update()``, which bumps ``update_counter``, a
Solara reactive value held per browser session (so one session's steps do
not redraw another's views).
"""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import solara
import solara.lab
from mesa.visualization.solara_viz import SpaceRendererComponent
from mesa.visualization.utils import force_update, update_counter

from sim import CoalitionModel
from sim.app import mapview, views
from sim.app.catalog import Settings, accept_upload, case_for, list_choices, load_choice
from sim.app.classroom_ui import HEADER_CSS, log_html
from sim.app.lenses import lens_comparison, lens_names
from sim.app.prose import Prose
from sim.classroom import option_labels
from sim.errors import ConfigError
from sim.model import alliance_graph
from sim.scenario import ART5_DECISIONS
from sim.setup import base_row
from sim.states import load_states
from sim.world import compile_setup

# The levers of "Adjust one state": (attribute, words, lowest, highest).
ATTRIBUTES = (("public_support", "public support", 0.0, 1.0),
              ("opposition_position", "main opposition's line (-1 against, +1 for)", -1.0, 1.0))
SUPPORT_STEP = 0.01
MAX_SEED = 2**31 - 1
NOBODY = "(choose a state)"
CONTROLS_WIDTH = 330  # px: the controls' column never grows or shrinks
CSS = HEADER_CSS + """
.cs-page, .cs-page p, .cs-page li, .cs-page td, .cs-page th, .cs-page label, .cs-page input,
.cs-page .v-label, .cs-page .v-select__selection, .cs-page .v-btn, .cs-page .v-tab,
.v-menu__content .v-list-item__title, .v-dialog .v-card__text, .v-dialog .v-btn { font-size: 16px !important; }
.cs-page .v-btn, .v-dialog .v-btn { text-transform: none !important; letter-spacing: 0 !important; }
.cs-page { line-height: 1.35; }
main.v-content > .v-content__wrap > div { padding-top: 2px !important; }
.cs-slider-label { font-size: 16px; margin: 6px 0 -6px 0; }
.cs-controls { flex: 0 0 %(w)spx !important; width: %(w)spx !important; min-width: %(w)spx !important;
  max-width: %(w)spx !important; overflow-x: hidden; padding: 10px 8px 0 0 !important; }
.cs-controls .v-select__selections { flex-wrap: nowrap !important; overflow: hidden; }
.cs-controls .v-select__selection { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 270px; }
.cs-controls .v-input { margin-top: 2px !important; padding-top: 2px !important; }
.cs-controls .v-input__slot { margin-bottom: 0 !important; }
.cs-controls .v-text-field__details, .cs-controls .v-messages { display: none !important; }
.cs-controls summary { font-size: 16px; cursor: pointer; padding: 4px 0; }
.cs-main { flex: 1 1 0 !important; min-width: 0 !important; }
.cs-main h3.cs-title { font-size: 20px; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.cs-toolbar { align-items: center; flex-wrap: wrap; gap: 4px; }
.cs-toolbar .v-input { max-width: 80px; margin: 0 !important; padding: 0 !important; }
.status-line { font-weight: 600; }
.coalition-table { border-collapse: collapse; }
.coalition-table th, .coalition-table td { padding: 2px 8px; text-align: left; border-bottom: 1px solid #e0e0e0; }
.cs-log .event-log { max-height: 330px; overflow-y: auto; margin: 0; padding-left: 20px; font-size: 16px; }
.map-log .event-log { max-height: 76px; }
.map-view { margin-bottom: -6px; }
.cs-main .v-tabs .v-tabs-bar { height: 38px !important; }
.nac-votes, .player-decisions { max-height: 300px; overflow: auto; }
.network-view img, .map-view img, .timeline-view img, .lens-figure img { max-width: 100%%; height: auto; }
.question-options { flex-wrap: wrap !important; gap: 6px; }
.question-options .v-btn { height: auto !important; min-height: 40px; white-space: normal; max-width: 100%%; }
.question-options .v-btn__content { white-space: normal; flex-shrink: 1; }
.questions { max-height: 260px; overflow-y: auto; }
.questions .v-card__title { font-size: 18px; padding: 4px 12px; }
.questions .v-card__text, .questions > div { padding-top: 0 !important; }
.observed-line { font-weight: 600; }
.cs-info { max-height: calc(100vh - 300px); overflow-y: auto; max-width: 860px; }
""" % {"w": CONTROLS_WIDTH}


@solara.component_vue(str(Path(__file__).with_name("unload_guard.vue")))
def UnloadGuard(active: bool = False):
    """While ``active``, the browser asks before the page is reloaded or
    closed (a played run would be lost)."""


def _table_html(frame, floats: int = 3) -> str:
    if frame is None or frame.empty:
        return "<p>(none)</p>"
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{floats}f}", na_rep="-",
                         classes="coalition-table", border=0)


@solara.component
def Questions(open_qs, on_answer, names, show_hints=False):
    """Role play: today's open questions, one button per option (they wrap).

    It takes the questions, not the model: the model changes in place, and
    a component whose arguments compare equal is not rendered again. The
    model's own value for each option and its pick are shown only with
    ``show_hints``."""
    if not open_qs:
        return solara.Text("")
    with solara.Card("Your decision", style={"border": "2px solid #cb181d"}, classes=["questions"]) as card:
        for q in open_qs:
            Prose(f"**{names.get(q.state, q.state)}, day {q.day}**: {q.prompt}")
            with solara.Row(classes=["question-options"]):
                for i, text in enumerate(option_labels(q)):  # words, as the class session reads them
                    if show_hints:
                        text += f" ({q.hint[i]:.2f})" + (" *" if i == q.model_choice else "")
                    solara.Button(text, on_click=lambda q=q, i=i: on_answer(q, i), outlined=True)
        if show_hints:
            solara.Text("Numbers are the model's own value for each option (its utility or probability); "
                        "* marks what the rules would pick today.")
    return card


@solara.component
def Lenses(scenario, case, seed, reveal=False):
    """The chosen scenario under each theory lens, computed in a thread on
    request (a few seconds for a few hundred runs per lens). What happened
    (and the Brier score against it) only once the record is revealed."""
    runs, set_runs = solara.use_state(200)
    request, set_request = solara.use_state(None)  # (scenario, case, runs, seed) asked for

    def compute():
        if request is None:
            return None
        sc, cs, n, sd = request
        return lens_comparison(sc, runs=n, seed=sd, case=cs)

    # intrusive_cancel would trace every line of the batch engine (slow).
    job = solara.use_thread(compute, dependencies=[request], intrusive_cancel=False)
    done = job.value if job.state == solara.ResultState.FINISHED else None
    scored = case if reveal else None
    figure = solara.use_memo(lambda: views.lens_figure(done[0], done[1], scored) if done else None,
                             [id(done), scored is not None])

    with solara.Column() as col:
        Prose("The chosen scenario, with the settings on the left, under each theory lens (rules preset), "
              "the same seeds for each. Days to the first allied strike are among the runs with one."
              + (" The Brier score compares the lens with what happened in this case "
                 "(100 replicates; lower is better)." if scored is not None else ""))
        if scored is not None:
            solara.Text(views.observed_text(case), classes=["observed-line"])
        with solara.Row(classes=["cs-toolbar"]):
            solara.InputInt("runs per lens", value=runs,
                            on_value=lambda v: set_runs(max(10, min(int(v or 200), 2000))))
            solara.Button("Compare the lenses", color="primary",
                          on_click=lambda: set_request((scenario, case, int(runs), int(seed))))
        if request is None:
            return col
        if views.JobStatus(job, f"Running {int(request[2])} runs under each lens...") and done is not None:
            if request[0] != scenario or request[3] != int(seed):
                solara.Warning("The settings changed since this table was computed: "
                               "press Compare the lenses again.")
            table = done[0] if scored is not None else done[0].drop(columns=["brier"], errors="ignore")
            solara.HTML(tag="div", unsafe_innerHTML=_table_html(table), classes=["lens-table"])
            with solara.Column(classes=["lens-figure"]):
                solara.FigureMatplotlib(figure, dependencies=[id(done), scored is not None], format="png")
    return col


@solara.component
def Page():
    choices = solara.use_memo(list_choices, [])
    labels = [c.label for c in choices]
    default = next((c.label for c in choices if c.path.stem == "paris_2015"), labels[0])
    label, set_label = solara.use_state(default)
    # A session's uploads go to its own temporary folder, made on the first
    # upload and removed when the session ends.
    upload_dir = solara.use_ref(None)
    uploaded, set_uploaded = solara.use_state(None)  # (label, path, count) of the last valid upload
    upload_error, set_upload_error = solara.use_state("")
    lens, set_lens = solara.use_state("baseline")
    art5, set_art5 = solara.use_state("consensus")
    severity, set_severity = solara.use_state(1.0)
    focus, set_focus = solara.use_state("FRA")
    overrides, set_overrides = solara.use_state({})  # (ISO3, attribute) -> value
    seed, set_seed = solara.use_state(0)
    players, set_players = solara.use_state([])
    run_days, set_run_days = solara.use_state(30)
    nonce, set_nonce = solara.use_state(0)
    reveal, set_reveal = solara.use_state(False)  # the historical record
    hints, set_hints = solara.use_state(False)  # the model's values and its pick
    # A change that would drop a played run, waiting for the user's yes:
    # (what it does, the change itself). ``revision`` renews the controls
    # when a change is called off, so they show the kept settings again.
    pending, set_pending = solara.use_state(None)
    revision, set_revision = solara.use_state(0)
    # Mesa's update counter (this session's): read here so that the page's
    # own views (status, log, votes) follow the run like Mesa's components.
    tick = update_counter.get()

    def remove_uploads():
        def cleanup():
            if upload_dir.current:
                shutil.rmtree(upload_dir.current, ignore_errors=True)
        return cleanup

    solara.use_effect(remove_uploads, [])

    chosen = next((c for c in choices if c.label == label), choices[0])
    from_upload = bool(uploaded and label == uploaded[0])
    path = uploaded[1] if from_upload else chosen.path
    linked_case = solara.use_memo(lambda: case_for(path) if not from_upload and chosen.kind == "scenario" else None,
                                  [str(path), from_upload])
    settings = Settings(lens=lens, art5_decision=art5, severity=float(severity),
                        overrides=tuple(sorted((k[0], k[1], v) for k, v in overrides.items())))

    def build():
        try:
            scenario, case = load_choice(path, settings)
            if case is None and linked_case is not None:
                # A scenario a history case is built on (Paris 2015): the
                # case, under the same settings, scores the lenses.
                case = load_choice(linked_case, settings)[1]
            return scenario, case, ""
        except (ConfigError, ValueError) as exc:
            return None, None, str(exc)

    scenario, case, error = solara.use_memo(build, [str(path), settings, uploaded, linked_case])
    positions = solara.use_memo(
        lambda: views.fixed_layout(CoalitionModel(scenario, 0).grid.G) if scenario else None,
        [scenario.sha256 if scenario else None, str(path)])
    codes = solara.use_memo(lambda: _codes(scenario) if scenario else [],
                            [scenario.sha256 if scenario else None, str(path)])
    names = solara.use_memo(lambda: _names(scenario, codes) if scenario else {},
                            [scenario.sha256 if scenario else None, str(path)])
    by_name = {n: c for c, n in names.items()}
    valid_players = [p for p in players if p in codes]

    def make_model():
        if scenario is None:
            return None
        return CoalitionModel(scenario, int(seed), layout=positions, players=tuple(valid_players))

    model = solara.use_memo(make_model, [scenario, int(seed), tuple(valid_players), nonce])
    # Per run: the day a "Run" button asked for (after a player's answers
    # the run goes on to it) and the players' decisions, declined ones
    # included (the event log shows only what was done).
    target = solara.use_memo(lambda: {"day": 0, "decisions": []}, [model])
    def at_risk() -> bool:
        """Whether a change would drop a played run (read when asked: the
        model moves in place)."""
        return bool(model is not None and (model.day > 0 or target["decisions"]))

    def guarded(what, change):
        """A control's handler: the change at once, or, when it would drop
        a played run, after the user says yes (with the run offered for
        download first)."""
        def handler(*args):
            if at_risk():
                set_pending((what, lambda: change(*args)))
            else:
                change(*args)
        return handler

    def confirm():
        if pending:
            pending[1]()
        set_pending(None)

    def call_off():
        set_pending(None)
        set_revision(revision + 1)

    def refresh():
        force_update()  # as SolaraViz's controller does after a step

    def record(q, i, note=""):
        target["decisions"].append({"day": q.day, "state": names.get(q.state, q.state), "question": q.prompt,
                                    "your choice": q.options[i] + note,
                                    "the model's choice": q.options[q.model_choice]})

    def advance():
        if model is None:
            return
        while model.running and model.day < target["day"]:
            model.step()
            if model.waiting:
                # A question with one option is no choice: take it and go on.
                open_qs = [q for q in model.questions if q.key not in model.answers]
                for q in open_qs:
                    if len(q.options) == 1:
                        model.answer(q, 0)
                        record(q, 0, " (the only option)")
                if any(len(q.options) > 1 for q in open_qs):
                    break
        refresh()

    def run_for(n):
        if model is None:
            return
        target["day"] = model.day + int(n)
        advance()

    def answer(q, i):
        model.answer(q, i)
        record(q, i)
        if all(x.key in model.answers for x in model.questions):
            target["day"] = max(target["day"], model.day + 1)
            advance()
        else:
            refresh()

    def on_upload(file):
        try:
            if upload_dir.current is None:
                upload_dir.current = tempfile.mkdtemp(prefix="coalition-sim-upload-")
            name, p = accept_upload(file["name"], file["data"], upload_dir.current)
        except (ConfigError, ValueError) as exc:
            set_upload_error(f"{Path(str(file.get('name', 'the file'))).name[:80]}: {exc}")
            return
        set_upload_error("")
        set_uploaded((name, p, (uploaded[2] + 1) if uploaded else 1))
        set_label(name)

    def run_settings() -> dict:
        return {"scenario_file": path.name if not from_upload else label, "lens": lens,
                "art5_decision": art5, "severity": float(severity), "seed": int(seed),
                "adjustments": [{"state": c, "attribute": a, "value": v} for (c, a), v in sorted(overrides.items())]}

    def add_player(name):
        code = by_name.get(name)
        if code:
            set_players(valid_players + [code])

    solara.Title("coalition-sim")
    solara.Style(CSS)
    UnloadGuard(active=at_risk())
    if pending and model is not None:
        with solara.lab.ConfirmationDialog(
                True, on_close=call_off, title="Drop the run played so far?",
                content=(f"This will {pending[0]}: the run played to day {model.day} "
                         f"({len(target['decisions'])} decisions of yours) starts again from day 0. "
                         "Download it first to keep it."),
                ok=f"Yes, {pending[0]}", cancel="No, keep playing", on_ok=confirm, max_width=640):
            _Downloads(model, target["decisions"], run_settings())

    with solara.Row(classes=["cs-page"], style={"flex-wrap": "nowrap", "align-items": "flex-start"}):
        with solara.Column(classes=["cs-controls"]).key(f"controls-{revision}"):
            all_labels = labels + ([uploaded[0]] if uploaded else [])
            solara.Select("Scenario", values=all_labels, value=label,
                          on_value=guarded("change the scenario", set_label))
            with solara.Details("Load your own scenario file"):
                solara.FileDrop(label="Drop a scenario or history case YAML file here",
                                on_file=guarded("load the dropped file", on_upload), lazy=False)
            if upload_error:
                solara.Error(upload_error)
            solara.Select("Theory lens (rules preset)", values=lens_names() + ["calibrated"], value=lens,
                          on_value=guarded("change the lens", set_lens))
            solara.Select("Article 5: how the Council decides", values=list(ART5_DECISIONS), value=art5,
                          on_value=guarded("change the Council's rule", set_art5))
            solara.Text(f"Attack severity: {float(severity):.1f} x the first event's deaths",
                        classes=["cs-slider-label", "severity-value"])
            solara.SliderFloat("", value=severity, min=0.1, max=5.0, step=0.1,
                               on_value=guarded("change the severity", set_severity))
            if codes:
                with solara.Details("Adjust one state's support"):
                    fc = focus if focus in codes else codes[0]
                    solara.Select("State to adjust", values=[names[c] for c in codes], value=names[fc],
                                  on_value=lambda n: set_focus(by_name.get(n, fc)))
                    row = base_row(scenario, load_states(scenario.states), fc)
                    for attr, words, lo, hi in ATTRIBUTES:
                        value = scenario.overrides.get(fc, {}).get(attr, row.get(attr))
                        # The slider rounds its value to its step and sends it back:
                        # give it a value on the step, and take only real changes,
                        # or a mere page load would set an override and reset the run.
                        shown = round(float(value or 0.0) / SUPPORT_STEP) * SUPPORT_STEP

                        def setter(v, fc=fc, attr=attr, shown=shown):
                            if abs(float(v) - shown) > SUPPORT_STEP / 2:
                                set_overrides({**overrides, (fc, attr): round(float(v), 2)})
                        solara.Text(f"{names[fc]}: {words} {shown:.2f}", classes=["cs-slider-label"])
                        solara.SliderFloat("", value=round(shown, 2), min=lo, max=hi, step=SUPPORT_STEP,
                                           on_value=guarded(f"change {names[fc]}'s {words}", setter))
                    if overrides:
                        solara.Button("Clear state adjustments", text=True,
                                      on_click=guarded("clear the adjustments", lambda: set_overrides({})))
            solara.InputInt("Seed", value=int(seed),
                            on_value=guarded("change the seed",
                                             lambda v: set_seed(max(0, min(int(v or 0), MAX_SEED)))))
            # Role play: add states one at a time (a single select opens reliably
            # in every browser); the line below says whom you play.
            solara.Select("Play as (role play): add a state",
                          values=[NOBODY] + [names[c] for c in codes if c not in valid_players], value=NOBODY,
                          on_value=guarded("take a state to play",
                                           lambda n: add_player(n) if n != NOBODY else None),
                          ).key(f"play-as-{'-'.join(valid_players)}")  # a new select (showing NOBODY) after each pick
            if valid_players:
                solara.Text(f"You play: {', '.join(names[c] for c in valid_players)}", classes=["players-line"])
                solara.Button("Stop playing", text=True, on_click=guarded("stop playing", lambda: set_players([])))
            solara.Switch(label="Show the model's hints", value=hints, on_value=set_hints)

        with solara.Column(classes=["cs-main"]):
            _Main(scenario, case, error, model, tick, target, names, hints, reveal, set_reveal, run_days,
                  set_run_days, run_for, answer, guarded("reset the run", lambda: set_nonce(nonce + 1)), seed,
                  run_settings)


@solara.component
def _Downloads(model, decisions, settings):
    """The played run as files: the events and answers (CSV) and the whole
    run with its settings (JSON)."""
    stem = f"{model.config.name}-seed{settings.get('seed', 0)}-day{model.day}"
    with solara.Row(classes=["run-downloads"]) as row:
        solara.FileDownload(data=lambda: views.run_csv(model, decisions), filename=f"{stem}.csv",
                            label="Download the run (CSV)")
        solara.FileDownload(data=lambda: views.run_json(model, decisions, settings), filename=f"{stem}.json",
                            label="Download the run (JSON)")
    return row


@solara.component
def _Main(scenario, case, error, model, tick, target, names, hints, reveal, set_reveal, run_days, set_run_days,
          run_for, answer, reset, seed, run_settings):
    """The run: its buttons and status, today's questions, and the views in
    tabs (the map, the network beside the log, the series, the lenses, the
    Info)."""
    # The views of the run, redrawn only when the run moves (hooks before
    # any early return). Mesa's renderer for this model's network (a new one
    # with each model, as SolaraViz's reset makes), and Mesa's plot component
    # for the series.
    result = solara.use_memo(lambda: model.result() if model else None, [model, tick])
    renderer = solara.use_memo(lambda: views.network_renderer(model) if model else None, [model])
    timeline = solara.use_memo(lambda: views.timeline_component(scenario) if scenario else None, [scenario])
    votes = solara.use_memo(lambda: views.nac_vote_table(model) if model else None, [model, tick])
    if error:
        solara.Error(f"Cannot load the scenario: {error}")
        return
    solara.HTML(tag="h3", unsafe_innerHTML=html.escape(scenario.title), classes=["cs-title"])
    with solara.Row(classes=["cs-toolbar"]):
        solara.Button("Step a day", on_click=lambda: run_for(1), disabled=not model.running)
        solara.InputInt("days", value=int(run_days), on_value=lambda v: set_run_days(max(1, min(int(v or 1), 9999))))
        solara.Button(f"Run {int(run_days)} days", on_click=lambda: run_for(run_days),
                      disabled=not model.running, color="primary")
        solara.Button("Run to the end", on_click=lambda: run_for(scenario.days), disabled=not model.running)
        solara.Button("Reset", on_click=reset)
        if case is not None:  # the teacher reveals the record once the class has predicted
            solara.Button("Hide what happened" if reveal else "Reveal what happened", outlined=True,
                          on_click=lambda: set_reveal(not reveal), classes=["reveal-record"])
    solara.Text(f"Day {model.day} of {scenario.days} ({scenario.date_of(model.day):%d %B %Y}); "
                f"rules: {scenario.rules.preset}, Article 5 by {scenario.rules.art5_decision}; seed {seed}"
                + ("; waiting for your decision" if model.waiting else ""),
                classes=["status-line"])
    Questions([q for q in model.questions if q.key not in model.answers] if model.waiting else [], answer,
              names, hints)
    with solara.lab.Tabs():
        with solara.lab.Tab("Map"):
            _Map(model, tick, result, case, reveal, set_reveal)
        with solara.lab.Tab("Network"):
            with solara.Columns([3, 2]):
                with solara.Column(classes=["network-view"]):
                    solara.Text(views.network_caption(model), classes=["network-caption"])
                    # The model as a dependency too: a new model (a reset,
                    # a setting) comes with a new renderer while the update
                    # counter may not have moved.
                    SpaceRendererComponent(model, renderer, dependencies=[model])
                with solara.Column(classes=["cs-log"]):
                    _Record(case, reveal, set_reveal)
                    Prose("**Event log** (newest first)")
                    solara.HTML(tag="div", unsafe_innerHTML=log_html(result.events, 400))
        with solara.lab.Tab("Over time"):
            with solara.Column(classes=["timeline-view"]):
                timeline(model)
        with solara.lab.Tab("Decisions, download"):
            _Downloads(model, target["decisions"], run_settings())
            if not votes.empty:
                Prose("**North Atlantic Council (Article 5)**")
                solara.HTML(tag="div", unsafe_innerHTML=_table_html(votes), classes=["nac-votes"])
            elif result.summary.get("article5_requested"):
                Prose("Article 5 has been asked; the Council has not voted yet.")
            else:
                Prose("Article 5 has not been asked (yet).")
            if target["decisions"]:
                Prose("**Your decisions** (newest first)")
                solara.HTML(tag="div", classes=["player-decisions"], unsafe_innerHTML=_table_html(
                    pd.DataFrame(target["decisions"][::-1])))
        with solara.lab.Tab("Lenses side by side"):
            Lenses(scenario, case, seed, reveal)
        with solara.lab.Tab("Info"):
            with solara.Column(classes=["cs-info"]):
                Prose(views.INFO)


@solara.component
def _Map(model, tick, result, case, reveal, set_reveal):
    """The map of the states today (drawn again when the run moves: the
    update counter ``tick``, or a new model), the log below it."""
    figure = solara.use_memo(lambda: mapview.map_figure(model), [model, tick])
    # The map at its own size (900 x 400 px: the width of this column at
    # 1280x720, so its 16 px names are not scaled down); below it the log's
    # newest lines (it scrolls) and then the record, all on a 1280x720 screen.
    with solara.Column(classes=["map-view"]):
        solara.FigureMatplotlib(figure, dependencies=[model, tick], format="png")
    with solara.Column(classes=["cs-log", "map-log"]):
        solara.HTML(tag="div", unsafe_innerHTML=log_html(result.events, 400))
        _Record(case, reveal, set_reveal)


@solara.component
def _Record(case, reveal, set_reveal):
    """What happened in a history case: hidden until the class has made its
    prediction and the teacher reveals it (the toolbar's button)."""
    if case is None or not reveal:
        return solara.Text("")
    with solara.Row(classes=["record"], style={"align-items": "center"}) as row:
        solara.Text(views.observed_text(case), classes=["observed-line"])
        solara.Button("Hide", text=True, on_click=lambda: set_reveal(False))
    return row


def _names(scenario, codes) -> dict[str, str]:
    """ISO3 code -> the state's name from the scenario's table."""
    rows = load_states(scenario.states).rows
    return {c: str(rows[c].get("name") or c) if c in rows else c for c in codes}


def _codes(scenario) -> list[str]:
    """The states taking part in a scenario (the network's nodes), the
    events' targets first (the states a player most often wants)."""
    nodes = list(alliance_graph(compile_setup([scenario], [0])).nodes)
    targets = [e.target for e in scenario.events if e.target in nodes]
    first = list(dict.fromkeys(targets))
    return first + sorted(c for c in nodes if c not in first)
