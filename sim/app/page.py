"""The Solara page: ``solara run sim/app/page.py`` (or ``coalition-sim app``).

All run state lives inside the component (use_state / use_memo), so each
browser session has its own model; nothing here is a module-level run.

The alliance network and the coalition's series are Mesa's own components
(SpaceRendererComponent, and make_plot_component's PlotMatplotlib), driven as
SolaraViz drives them: they are given the model, and after the model moves
the page calls Mesa's ``force_update()``, which bumps ``update_counter``, a
Solara reactive value held per browser session (so one session's steps do
not redraw another's views).
"""

from __future__ import annotations

import shutil
import tempfile

import pandas as pd
import solara
import solara.lab
from mesa.visualization.solara_viz import SpaceRendererComponent
from mesa.visualization.utils import force_update, update_counter

from sim import CoalitionModel
from sim.app import views
from sim.app.catalog import Settings, accept_upload, case_for, list_choices, load_choice
from sim.app.lenses import lens_comparison, lens_names
from sim.errors import ConfigError
from sim.model import alliance_graph
from sim.scenario import ART5_DECISIONS
from sim.states import load_states
from sim.world import compile_setup

ATTRIBUTES = (("public_support", "public support"), ("legislature_support", "parliamentary support"))
SUPPORT_STEP = 0.01
MAX_SEED = 2**31 - 1
NOBODY = "(choose a state)"
CSS = """
.coalition-table { border-collapse: collapse; font-size: 13px; }
.coalition-table th, .coalition-table td { padding: 2px 8px; text-align: left; border-bottom: 1px solid #e0e0e0; }
.nac-votes, .player-decisions { max-height: 320px; overflow-y: auto; }
"""


def _table_html(frame, floats: int = 3) -> str:
    if frame is None or frame.empty:
        return "<p>(none)</p>"
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{floats}f}", na_rep="-",
                         classes="coalition-table", border=0)


@solara.component
def Questions(open_qs, on_answer):
    """Role play: today's open questions, one button per option.

    It takes the questions, not the model: the model changes in place, and
    a component whose arguments compare equal is not rendered again."""
    if not open_qs:
        return solara.Text("")
    with solara.Card("Your decision", style={"border": "2px solid #cb181d"}, classes=["questions"]) as card:
        for q in open_qs:
            solara.Markdown(f"**{q.state}, day {q.day}**: {q.prompt}")
            with solara.Row(classes=["question-options"]):
                for i, option in enumerate(q.options):
                    mark = " *" if i == q.model_choice else ""
                    solara.Button(f"{option} ({q.hint[i]:.2f}){mark}",
                                  on_click=lambda q=q, i=i: on_answer(q, i), outlined=True)
        solara.Text("Numbers are the model's own value for each option (its utility or probability); "
                    "* marks what the rules would pick today.")
    return card


@solara.component
def Lenses(scenario, case, seed):
    """The chosen scenario under each theory lens, computed in a thread on
    request (a few seconds for a few hundred runs per lens)."""
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
    figure = solara.use_memo(lambda: views.lens_figure(done[0], done[1], request[1]) if done else None,
                             [id(done)])

    with solara.Column() as col:
        solara.Markdown("The chosen scenario, with the settings on the left, under each theory lens (rules preset), "
                        "the same seeds for each. Days to the first allied strike are among the runs with one."
                        + (" The Brier score compares the lens with what happened in this case "
                           "(100 replicates; lower is better)." if case is not None else ""))
        if case is not None:
            solara.Text(views.observed_text(case), classes=["observed-line"])
        with solara.Row():
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
            solara.HTML(tag="div", unsafe_innerHTML=_table_html(done[0]), classes=["lens-table"])
            with solara.Column(classes=["lens-figure"]):
                solara.FigureMatplotlib(figure, dependencies=[id(done)], format="png")
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

    def refresh():
        force_update()  # as SolaraViz's controller does after a step

    def record(q, i, note=""):
        target["decisions"].append({"day": q.day, "state": q.state, "question": q.prompt,
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
            set_upload_error(f"{file.get('name', 'the file')}: {exc}")
            return
        set_upload_error("")
        set_uploaded((name, p, (uploaded[2] + 1) if uploaded else 1))
        set_label(name)

    solara.Title("coalition-sim")
    solara.Style(CSS)
    with solara.Sidebar():
        all_labels = labels + ([uploaded[0]] if uploaded else [])
        solara.Select("Scenario", values=all_labels, value=label, on_value=set_label)
        solara.FileDrop(label="Or drop a scenario or history case YAML file here", on_file=on_upload, lazy=False)
        if upload_error:
            solara.Error(upload_error)
        solara.Select("Theory lens (rules preset)", values=lens_names() + ["calibrated"], value=lens,
                      on_value=set_lens)
        solara.Select("Article 5 decision (North Atlantic Council)", values=list(ART5_DECISIONS), value=art5,
                      on_value=set_art5)
        solara.SliderFloat("Attack severity (x deaths of the first event)", value=severity, min=0.1, max=5.0,
                           step=0.1, on_value=set_severity)
        if codes:
            fc = focus if focus in codes else codes[0]
            solara.Select("State to adjust", values=codes, value=fc, on_value=set_focus)
            table = load_states(scenario.states).rows[fc]
            for attr, words in ATTRIBUTES:
                value = scenario.overrides.get(fc, {}).get(attr, table.get(attr))
                # The slider rounds its value to its step and sends it back:
                # give it a value on the step, and take only real changes,
                # or a mere page load would set an override and reset the run.
                shown = round(float(value or 0.0) / SUPPORT_STEP) * SUPPORT_STEP

                def setter(v, fc=fc, attr=attr, shown=shown):
                    if abs(float(v) - shown) > SUPPORT_STEP / 2:
                        set_overrides({**overrides, (fc, attr): round(float(v), 2)})
                solara.SliderFloat(f"{fc} {words}", value=round(shown, 2), min=0.0, max=1.0,
                                   step=SUPPORT_STEP, on_value=setter)
            if overrides:
                solara.Button("Clear state adjustments", on_click=lambda: set_overrides({}), text=True)
        solara.InputInt("Seed", value=int(seed), on_value=lambda v: set_seed(max(0, min(int(v or 0), MAX_SEED))))
        # Role play: add states one at a time (a single select opens reliably
        # in every browser); the list below says whom you play.
        solara.Select("Play as (role play): add a state", values=[NOBODY] + [c for c in codes if c not in valid_players],
                      value=NOBODY, on_value=lambda c: set_players(valid_players + [c]) if c != NOBODY else None,
                      ).key(f"play-as-{'-'.join(valid_players)}")  # a new select (showing NOBODY) after each pick
        if valid_players:
            solara.Text(f"You play: {', '.join(valid_players)}", classes=["players-line"])
            solara.Button("Stop playing", on_click=lambda: set_players([]), text=True)

    # The views of the run, redrawn only when the run moves (hooks before
    # any early return).
    result = solara.use_memo(lambda: model.result() if model else None, [model, tick])
    # Mesa's renderer for this model's network (a new one with each model,
    # as SolaraViz's reset makes), and Mesa's plot component for the series.
    renderer = solara.use_memo(lambda: views.network_renderer(model) if model else None, [model])
    timeline = solara.use_memo(lambda: views.timeline_component(scenario) if scenario else None, [scenario])
    votes = solara.use_memo(lambda: views.nac_vote_table(model) if model else None, [model, tick])
    if error:
        solara.Error(f"Cannot load the scenario: {error}")
        return
    with solara.Column():
        solara.Markdown(f"## {scenario.title}")
        if scenario.description:
            solara.Markdown(scenario.description)
        with solara.Row():
            solara.Button("Step a day", on_click=lambda: run_for(1), disabled=not model.running)
            solara.InputInt("days", value=int(run_days), on_value=lambda v: set_run_days(max(1, int(v or 1))),
                            style={"max-width": "90px"})
            solara.Button(f"Run {int(run_days)} days", on_click=lambda: run_for(run_days),
                          disabled=not model.running, color="primary")
            solara.Button("Run to the end", on_click=lambda: run_for(scenario.days), disabled=not model.running)
            solara.Button("Reset", on_click=lambda: set_nonce(nonce + 1))
        solara.Text(f"Day {model.day} of {scenario.days} ({scenario.date_of(model.day):%d %B %Y}); "
                    f"rules: {scenario.rules.preset}, Article 5 by {scenario.rules.art5_decision}; seed {seed}"
                    + ("; waiting for your decision" if model.waiting else ""),
                    classes=["status-line"])
        Questions([q for q in model.questions if q.key not in model.answers] if model.waiting else [], answer)
        with solara.lab.Tabs():
            with solara.lab.Tab("Run"):
                with solara.Columns([1, 1]):
                    with solara.Column():
                        with solara.Column(classes=["network-view"]):
                            solara.Text(views.network_caption(model), classes=["network-caption"])
                            # The model as a dependency too: a new model (a
                            # reset, a setting) comes with a new renderer
                            # while the update counter may not have moved.
                            SpaceRendererComponent(model, renderer, dependencies=[model])
                        with solara.Column(classes=["timeline-view"]):
                            timeline(model)
                        if case is not None:
                            solara.Text(views.observed_text(case), classes=["observed-line"])
                    with solara.Column():
                        if not votes.empty:
                            solara.Markdown("### North Atlantic Council (Article 5)")
                            solara.HTML(tag="div", unsafe_innerHTML=_table_html(votes), classes=["nac-votes"])
                        elif result.summary.get("article5_requested"):
                            solara.Markdown("Article 5 has been asked; the Council has not voted yet.")
                        solara.Markdown("### Event log (newest first)")
                        solara.HTML(tag="div", unsafe_innerHTML=views.log_html(result))
                        if target["decisions"]:
                            solara.Markdown("### Your decisions (newest first)")
                            solara.HTML(tag="div", classes=["player-decisions"], unsafe_innerHTML=_table_html(
                                pd.DataFrame(target["decisions"][::-1])))
            with solara.lab.Tab("Lenses side by side"):
                Lenses(scenario, case, seed)


def _codes(scenario) -> list[str]:
    """The states taking part in a scenario (the network's nodes), the
    events' targets first (the states a player most often wants)."""
    nodes = list(alliance_graph(compile_setup([scenario], [0])).nodes)
    targets = [e.target for e in scenario.events if e.target in nodes]
    first = list(dict.fromkeys(targets))
    return first + sorted(c for c in nodes if c not in first)
