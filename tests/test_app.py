"""The app's pure parts: the scenario list, settings, the lens table, the
views' tables, and the `app` verb's argument checks."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import solara
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex

import sim
from mesa.visualization.solara_viz import SpaceRendererComponent

from sim.app import views
from sim.app.catalog import (HISTORY_DIR, SCENARIO_DIR, STATES_DIR, Settings, accept_upload, case_for, list_choices,
                              load_choice, save_upload)
from sim.app.lenses import lens_comparison, lens_names, lens_table, with_lens
from sim.app_cli import solara_command
from sim.cli import build_parser
from sim.errors import ConfigError
from sim.history import load_case

PARIS = SCENARIO_DIR / "paris_2015.yaml"


def test_choices_are_only_the_project_config_folders():
    choices = list_choices()
    assert {c.path.parent for c in choices} == {SCENARIO_DIR, HISTORY_DIR}
    assert {c.path for c in choices} == set(SCENARIO_DIR.glob("*.yaml")) | set(HISTORY_DIR.glob("*.yaml"))
    assert any(c.path == PARIS and c.kind == "scenario" and "Paris" in c.label for c in choices)
    assert sum(c.kind == "case" for c in choices) == len(list(HISTORY_DIR.glob("*.yaml")))
    assert len({c.label for c in choices}) == len(choices)


def test_every_choice_loads_and_settings_apply():
    settings = Settings(lens="realist", art5_decision="majority", severity=2.0,
                        overrides=(("FRA", "public_support", 0.3), ("FRA", "opposition_position", -0.4)))
    for choice in list_choices():
        plain, case = load_choice(choice.path)
        assert (case is not None) == (choice.kind == "case")
        sc, _ = load_choice(choice.path, settings)
        assert sc.rules.preset == "realist" and sc.rules.art5_decision == "majority"
        assert sc.events[0].deaths == round(plain.events[0].deaths * 2)
    sc, _ = load_choice(PARIS, settings)
    assert sc.overrides["FRA"] == {"public_support": 0.3, "opposition_position": -0.4}


def test_bad_settings_and_uploads_give_messages(tmp_path):
    with pytest.raises(ConfigError):
        load_choice(PARIS, Settings(overrides=(("FRA", "public_support", 3.0),)))
    bad = save_upload("name: x\ntitle: t\nstart_date: 2015-01-01\ndays: 10\nbogus: 1\n", str(tmp_path))
    assert bad.parent == tmp_path
    with pytest.raises(ConfigError, match="bogus"):
        load_choice(bad)
    good = save_upload(PARIS.read_text(), str(tmp_path))
    assert load_choice(good)[0].name == "paris_2015"


def test_uploads_may_refer_only_to_the_project_config_folders(tmp_path):
    paris = PARIS.read_text()
    case = (HISTORY_DIR / "fra_2015_11.yaml").read_text()
    # Copies of the project's own files load, their relative names read as
    # if the upload sat among the configs.
    sc, found = load_choice(save_upload(case, str(tmp_path)))
    assert found.case == "fra_2015_11" and sc.name == "fra_2015_11" and sc.days == 260
    sc, _ = load_choice(save_upload(paris + "\nstates: ../states/states.csv\n", str(tmp_path)))
    assert sc.states == str(STATES_DIR / "states.csv")
    # Anything else is refused before it is read.
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("iso3,name\n")
    for text in (paris + "\nstates: /etc/passwd\n", paris + "\nstates: ../../../../etc/passwd\n",
                 paris + f"\nstates: {outside}\n", case.replace("../scenarios/paris_2015.yaml", "/etc/hosts"),
                 case.replace("../scenarios/paris_2015.yaml", "../states/states.csv")):
        with pytest.raises(ConfigError, match="cannot refer to other files"):
            save_upload(text, str(tmp_path))
    with pytest.raises(ValueError, match="larger"):
        save_upload("#" * 300_000, str(tmp_path))


def test_a_dropped_file_is_checked_before_it_is_offered(tmp_path):
    label, path = accept_upload("../../my case.yaml", (HISTORY_DIR / "usa_2001_09.yaml").read_bytes(), str(tmp_path))
    assert label == "uploaded: my case.yaml" and path.parent == tmp_path
    assert load_choice(path)[1].case == "usa_2001_09"
    for data, message in ((b"\xff\xfe", "UTF-8"), (b"#" * 300_000, "larger"), (b"name: [", "line 1")):
        with pytest.raises((ConfigError, ValueError), match=message):
            accept_upload("x.yaml", data, str(tmp_path))
    with pytest.raises(ConfigError, match="cannot refer to other files"):
        accept_upload("x.yaml", PARIS.read_bytes() + b"\nstates: /etc/passwd\n", str(tmp_path))


def test_a_scenario_finds_its_history_case():
    assert case_for(PARIS) == HISTORY_DIR / "fra_2015_11.yaml"
    assert case_for(HISTORY_DIR / "usa_2001_09.yaml") is None


def test_lens_table_for_a_scenario():
    sc = sim.load_scenario(PARIS)
    table = lens_table(sc, runs=40, seed=1)
    assert list(table["lens"]) == lens_names() and len(table) == 5 and "calibrated" not in lens_names()
    for col in ("p_article4", "p_article5", "p_eu_42_7", "p_allied_strike"):
        assert table[col].between(0, 1).all()
    ok = table.dropna(subset=["strike_day_q50"])
    assert (ok["strike_day_q10"] <= ok["strike_day_q50"]).all() and (ok["strike_day_q50"] <= ok["strike_day_q90"]).all()
    assert "brier" not in table
    assert table.equals(lens_table(sc, runs=40, seed=1)), "the same seeds give the same table"
    assert with_lens(sc, "realist").rules.preset == "realist"


def test_lens_table_scores_a_history_case():
    case = load_case(HISTORY_DIR / "fra_2015_11.yaml")
    table, days = lens_comparison(case.scenario, runs=20, seed=0, case=case, lenses=["baseline", "institutionalist"],
                                  replicates=20)
    assert table["brier"].between(0, 1).all()
    assert set(days["lens"]) <= {"baseline", "institutionalist"}
    for lens, row in table.set_index("lens").iterrows():
        mine = days.loc[days["lens"] == lens, "day"]
        assert len(mine) == round(row["p_allied_strike"] * row["runs"])
        if len(mine):
            assert mine.median() == pytest.approx(row["strike_day_q50"])
    views.lens_figure(table, days, case)
    assert "fra_2015_11" in views.observed_text(case) and "EU 42.7 invoked: yes" in views.observed_text(case)


def test_views_tables_and_figures():
    sc = sim.load_scenario(PARIS, {"days": 30})
    model = sim.CoalitionModel(sc, 0, layout=views.fixed_layout)
    model.run()
    result = model.result()
    from sim.app.classroom_ui import log_html

    html = log_html(result.events)
    days = [int(d) for d in re.findall(r"<b>day (\d+)</b>", html)]
    assert len(days) == len(result.events) and days == sorted(days, reverse=True) and days[0] > days[-1]
    assert "France" in html
    assert views.nac_votes(result).empty or (views.nac_votes(result)["body"] == "North Atlantic Council").all()
    assert "Day 30 (13 Dec 2015)" in views.network_caption(model)


def test_a_played_run_can_be_kept_as_csv_and_json():
    """The export offered before a played run is dropped: every event of the
    log and every answer beside the model's choice, with the settings."""
    import io
    import json

    import pandas as pd

    sc = sim.load_scenario(PARIS, {"days": 12})
    model = sim.CoalitionModel(sc, 5, layout=views.fixed_layout, players=("FRA",))
    decisions = []
    while model.running:
        model.step()
        for q in [q for q in model.questions if q.key not in model.answers] if model.waiting else []:
            model.answer(q, 0)
            decisions.append({"day": q.day, "state": "France", "question": q.prompt,
                              "your choice": q.options[0], "the model's choice": q.options[q.model_choice]})
    assert decisions, "France decides in its first 12 days"
    settings = {"lens": "baseline", "seed": 5}
    record = json.loads(views.run_json(model, decisions, settings))
    assert record["scenario"] == sc.name and record["day"] == 12 and record["settings"] == settings
    assert record["players"] == ["France"] and len(record["decisions"]) == len(decisions)
    assert len(record["events"]) == len(model.result().events)
    table = pd.read_csv(io.StringIO(views.run_csv(model, decisions)))
    answers = table[table["kind"] == "player_answer"]
    assert len(answers) == len(decisions) and set(answers["your choice"]) == {d["your choice"] for d in decisions}
    assert len(table) == len(decisions) + len(model.result().events)
    assert list(table["day"]) == sorted(table["day"])


def test_datacollector_series_are_the_runs_own():
    """The series Mesa's plot component draws: one row a day, the coalition
    size of the per-state table and the summary's strike capacity."""
    sc = sim.load_scenario(PARIS, {"days": 40})
    model = sim.CoalitionModel(sc, 3).run()
    series = model.datacollector.get_model_vars_dataframe()
    assert list(series.index) == list(range(40))
    assert set(views.SERIES) <= set(series.columns)
    ts = model.result().timeseries
    support = ts["commitment"].cat.codes >= list(ts["commitment"].cat.categories).index("support")
    assert series["coalition_size"].tolist() == support.groupby(ts["day"]).sum().tolist()
    assert (series["coalition_size"] > 0).all()
    assert series["strike_capacity"].iloc[-1] == model.result().summary["strike_capacity"] > 0
    # A stance series for each state the scenario gives a stance, the summary's day by day.
    by_day = model.result().summary["stances_by_day"]
    assert {c for c in series.columns if c.startswith("stance.")} == {f"stance.{code}" for code in by_day} != set()
    for code, days in by_day.items():
        assert series[f"stance.{code}"].tolist() == days
    # Pure reads: the reporters do not change the run.
    assert model.result().summary == sim.CoalitionModel(sc, 3).run().result().summary


def _png(element) -> bytes:
    """Render a Solara element outside a browser; the image it shows."""
    import ipywidgets

    box, rc = solara.render(element, handle_error=False)
    images = rc.find(ipywidgets.Image).widgets
    assert len(images) == 1
    return bytes(images[0].value)


def _markers(ax) -> dict:
    """The markers drawn (scatter collections with a size): position ->
    (colour, size)."""
    drawn = {}
    for coll in ax.collections:
        if not isinstance(coll, PathCollection):
            continue
        offsets = coll.get_offsets()
        sizes = np.broadcast_to(coll.get_sizes(), len(offsets))
        colours = np.broadcast_to(coll.get_facecolors(), (len(offsets), 4))
        for xy, colour, size in zip(offsets, colours, sizes):
            if size > 0:
                drawn[tuple(np.round(xy, 6))] = (to_hex(colour), size)
    return drawn


def test_network_through_mesas_space_renderer():
    from mesa.visualization.solara_viz import SpaceRendererComponent
    from mesa.visualization.utils import force_update

    sc = sim.load_scenario(PARIS)
    model = sim.CoalitionModel(sc, 0, layout=views.fixed_layout, players=("DEU",))
    renderer = views.network_renderer(model)
    ax = renderer.canvas
    first = _png(SpaceRendererComponent(model, renderer, dependencies=[model]))
    assert first.startswith(b"\x89PNG")
    # Every state is drawn at its cell's place in Mesa's Network space,
    # coloured by commitment; a non-ally (a state the scenario gives a
    # stance), a square by its stance.
    drawn = _markers(ax)
    assert len(drawn) == len(model.agent_by_code)
    for code, agent in model.agent_by_code.items():
        colour, size = drawn[tuple(np.round(model.grid[code].position, 6))]
        expected = (views.STANCE_COLOURS[agent.stance] if agent.stance
                    else views.LEVEL_COLOURS[agent.commitment])
        assert colour == expected, code
        assert size == (320 if code == "DEU" else 220)
    assert renderer.space_drawer.pos["FRA"] is model.grid["FRA"].position
    labels = {t.get_text() for t in ax.texts}
    assert set(model.agent_by_code) <= labels and ax.get_legend() is not None
    # The non-allies come from the scenario's stances, not from a named state.
    assert views.non_allies(model) == [c for c in model.agent_by_code if c in sc.stances]
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert bool(sc.stances) == any(t.startswith("non-ally: ") for t in legend)
    # After some days, the same renderer redraws the states in their new
    # colours; the codes and the legend stay (Mesa applies the post-process
    # once).
    while model.day < 20:
        model.step()
        for q in model.questions if model.waiting else []:  # DEU's decisions: the model's own choice
            model.answer(q, q.model_choice)
    force_update()
    again = _png(SpaceRendererComponent(model, renderer, dependencies=[model]))
    assert again != first
    assert sum(t.get_text() == "FRA" for t in ax.texts) == 1
    fra = _markers(ax)[tuple(np.round(model.grid["FRA"].position, 6))][0]
    assert fra == views.LEVEL_COLOURS[model.agent_by_code["FRA"].commitment]
    with pytest.raises(ValueError, match="no positions"):
        views.network_renderer(sim.CoalitionModel(sc, 0))


def test_any_state_with_a_stance_is_a_non_ally():
    # The stance of whichever state the scenario gives one (here Iran, and
    # Russia none): drawn as a square by stance, named in the caption; no
    # state is named by the code.
    sc = sim.load_scenario(PARIS, {"stances": {"IRN": "coordinate"}})
    model = sim.CoalitionModel(sc, 0, layout=views.fixed_layout)
    assert views.non_allies(model) == ["IRN"]
    renderer = views.network_renderer(model)
    _png(SpaceRendererComponent(model, renderer, dependencies=[model]))
    drawn = _markers(renderer.canvas)
    assert drawn[tuple(np.round(model.grid["IRN"].position, 6))][0] == views.STANCE_COLOURS["coordinate"]
    assert drawn[tuple(np.round(model.grid["RUS"].position, 6))][0] == \
        views.LEVEL_COLOURS[model.agent_by_code["RUS"].commitment]
    caption = views.network_caption(model)
    assert "Iran (square) by stance" in caption and "Russia" not in caption and "RUS" not in caption
    plain = sim.CoalitionModel(sim.load_scenario(PARIS, {"stances": {}}), 0, layout=views.fixed_layout)
    assert views.non_allies(plain) == [] and "stance" not in views.network_caption(plain)
    # Generic app code names no state by its code.
    for path in sorted((Path(views.__file__).parent).glob("*.py")):
        code = path.read_text()
        assert not re.search(r"[\"']RUS[\"']", code), path


def test_timeline_through_mesas_plot_component():
    sc = sim.load_scenario(PARIS)
    model = sim.CoalitionModel(sc, 0, layout=views.fixed_layout)
    component = views.timeline_component(sc)
    assert _png(component(model)).startswith(b"\x89PNG")  # day 0: no data yet
    for _ in range(30):
        model.step()
    figures = []
    original = views._timeline_post_process

    def spy(scenario, ax):
        original(scenario, ax)
        figures.append(ax.get_figure())

    try:
        views._timeline_post_process = spy
        _png(views.timeline_component(sc)(model))
    finally:
        views._timeline_post_process = original
    ax, ax2 = figures[0].axes
    (size,), (capacity,) = ax.get_lines()[:1], ax2.get_lines()
    series = model.datacollector.get_model_vars_dataframe()
    assert list(size.get_ydata()) == series["coalition_size"].tolist()
    assert list(capacity.get_ydata()) == series["strike_capacity"].tolist()
    # The scenario's events (the historical milestones) are marked and dated.
    marks = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(marks) == len(sc.events)
    assert any(t.get_text().startswith(" 13 Nov") for t in ax.texts)
    assert ax.get_xlim() == (0, sc.days - 1)


def test_nac_vote_table_ally_by_ally():
    sc = sim.load_scenario(PARIS, {"rules": "institutionalist"})
    model = next(m for m in (sim.CoalitionModel(sc, seed).run() for seed in range(40))
                 if m.result().summary["article5_requested"])
    table = views.nac_vote_table(model)
    votes = views.nac_votes(model.result())
    assert len(table.columns) == 3 + len(votes)  # ally, name, one per vote, decided by
    assert "FRA" not in set(table["ally"]) and {"DEU", "USA", "TUR"} <= set(table["ally"])
    for (_, vote), column in zip(votes.iterrows(), table.columns[2:-1]):
        assert f"for {vote['state']}" in column
        assert (table[column] == "for").sum() == vote["yes"] and (table[column] == "against").sum() == vote["no"]
    assert set(table["decided by"]) == {"model"}
    assert views.nac_vote_table(sim.CoalitionModel(sc, 0)).empty


def test_layout_is_fixed_and_cached():
    graph = sim.CoalitionModel(sim.load_scenario(PARIS), 0).grid.G
    first = views.fixed_layout(graph)
    first["FRA"][0] = 99.0  # a caller's change does not reach the cache
    again = views.fixed_layout(graph)
    assert again.keys() == first.keys() and again["FRA"][0] != 99.0


def test_app_serves_offline():
    command = solara_command("127.0.0.1", 8765)
    assert "--no-check-version" in command and "--production" in command


@pytest.mark.parametrize("port", ["0", "65536", "-1", "http", "80.5"])
def test_app_verb_rejects_bad_ports(port, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["app", "--port", port])
    assert exc.value.code == 2
    assert "port" in capsys.readouterr().err


def test_app_verb_defaults_and_hosts(capsys):
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    assert build_parser().parse_args(["app", "--port", "9000", "--host", "localhost"]).port == 9000
    with pytest.raises(SystemExit):
        build_parser().parse_args(["app", "--host", "evil host"])


def test_hostile_uploads_give_one_line(tmp_path):
    # A nesting bomb and a year-9999 scenario, dropped in the page: each is a
    # one-line ConfigError or ValueError (what the page shows), no other exception.
    bomb = ("name: x\nnested: " + "[" * 5000 + "]" * 5000 + "\n").encode()
    far = re.sub(r"(?m)^start_date:.*$", "start_date: 9999-12-31", PARIS.read_text()).encode()
    assert b"9999-12-31" in far
    for data in (bomb, far, b"\xff\xfe not utf-8", b"a: &x 1\nb: *x\n"):
        with pytest.raises((ConfigError, ValueError)) as info:
            accept_upload("bad.yaml", data, str(tmp_path))
        message = str(info.value)
        assert message and "\n" not in message and len(message) < 400


def test_host_warning_and_server_env():
    from sim.app_cli import host_warning, server_env
    assert host_warning("127.0.0.1", 8765) is None and host_warning("localhost", 8765) is None
    line = host_warning("0.0.0.0", 8765)
    assert line.startswith("warning: --host 0.0.0.0") and "/facilitator" in line and "\n" not in line
    env = server_env({"COALITION_SIM_DIAGNOSTICS": "1"})
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == "2m" and env["MPLBACKEND"] == "Agg"
    assert "COALITION_SIM_DIAGNOSTICS" not in env, "diagnostics only when asked for"
    assert server_env({}, diagnostics=True)["COALITION_SIM_DIAGNOSTICS"] == "1"
    assert build_parser().parse_args(["app", "--diagnostics"]).diagnostics is True
    assert build_parser().parse_args(["app"]).diagnostics is False


def test_diagnostic_route_dropped_unless_asked(monkeypatch):
    import types

    from starlette.routing import Route

    from sim.app_cli import drop_diagnostic_routes
    routes = [Route("/readyz", endpoint=None), Route("/resourcez", endpoint=None), Route("/", endpoint=None)]
    fake = types.SimpleNamespace(app=types.SimpleNamespace(router=types.SimpleNamespace(routes=routes)))
    monkeypatch.setitem(sys.modules, "solara.server.starlette", fake)
    assert drop_diagnostic_routes({"COALITION_SIM_DIAGNOSTICS": "1"}) == 0 and len(routes) == 3
    assert drop_diagnostic_routes({}) == 1
    assert [r.path for r in routes] == ["/readyz", "/"]


def test_the_apps_texts_are_rendered_on_the_server_and_load_nothing():
    """sim.app.prose stands in for solara.Markdown, whose KaTeX load fails
    offline: the pages use no solara.Markdown, and HTML in a text is shown
    as text."""
    from sim.app import prose

    assert prose.to_html("**Day 3**: strike?") == "<p><strong>Day 3</strong>: strike?</p>"
    assert "<script>" not in prose.to_html("<script>alert(1)</script>")
    assert "<table>" in prose.to_html("| a | b |\n|---|---|\n| 1 | 2 |")
    for name in ("page.py", "facilitator.py", "join.py"):
        assert "solara.Markdown" not in (Path(sim.__file__).parent / "app" / name).read_text(), name
