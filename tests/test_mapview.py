"""The map view: the shipped outlines and their source, the colours by
commitment and stance, the labels by name, the legend in words, the size for
the projector."""

from __future__ import annotations

import csv
import json

import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex

import sim
from sim.app import mapview, views
from sim.app.catalog import HISTORY_DIR, SCENARIO_DIR

PARIS = SCENARIO_DIR / "paris_2015.yaml"
STATES = sim.data_path("configs", "states", "states.csv")


def _table() -> dict[str, str]:
    with open(STATES, newline="") as fh:
        return {r["iso3"]: r["name"] for r in csv.DictReader(fh)}


def _paris(days: int):
    model = sim.CoalitionModel(sim.load_scenario(PARIS), 0)
    for _ in range(days):
        model.step()
    return model


def _texts(fig):
    return [t for ax in fig.axes for t in ax.texts] + [t for leg in fig.legends for t in leg.get_texts()]


def test_the_outlines_cover_the_states_table_and_say_where_they_come_from():
    data = json.loads(mapview.OUTLINES.read_text())
    in_file = {c["iso3"] for c in data["countries"] if c["iso3"]}
    table = _table()
    shown = mapview.shown_codes()
    # Every state the map shows has its outline in the file; every state of
    # the table is shown but those outside both panels (Australia, as
    # configs/maps/SOURCES.md says), which the map names instead.
    assert shown <= in_file
    assert set(table) - shown == {"AUS"}
    model = _paris(0)
    assert mapview.off_map(model) == [table[c] for c in table if c in model.agent_by_code and c not in shown]
    meta = data["meta"]
    assert "Natural Earth 4.1.0" in meta["source"] and "public domain" in meta["source"]
    assert meta["made_by"] == "tools/make_map_outlines.py"
    assert (sim.data_path("tools", "make_map_outlines.py")).exists()
    sources = mapview.SOURCES.read_text()
    for words in ("Natural Earth", "4.1.0", "public domain", "world-atlas", "tools/make_map_outlines.py",
                  "Douglas"):
        assert words in sources, words
    assert mapview.OUTLINES.stat().st_size < 300 * 1024


def test_projection_is_computed_once_per_process():
    assert mapview.projected() is mapview.projected()
    assert mapview.home_panels() is mapview.home_panels()


def test_colours_follow_the_commitment_and_the_stance():
    model = _paris(15)
    state = mapview.map_state(model)
    for agent in model.agents:
        st = state[agent.iso3]
        if agent.iso3 in views.non_allies(model):
            assert st["non_ally"] and st["colour"] == views.STANCE_COLOURS[agent.stance]
        else:
            assert not st["non_ally"] and st["colour"] == views.LEVEL_COLOURS[agent.commitment]
    victim = model.config.events[0].target
    assert model.agent_by_code[victim].commitment == "strikes_uninvited"  # France strikes in Syria (Paris)
    assert state[victim]["attacked"] and state[victim]["words"] == "strikes in Syria"
    assert {c for c, st in state.items() if st["host"]} == set(model.config.theatres.hosts)

    fig = mapview.map_figure(model)
    collections = [c for ax in fig.axes for c in ax.collections if isinstance(c, PolyCollection)]
    faces = {to_hex(f) for c in collections for f in c.get_facecolors()}
    assert views.LEVEL_COLOURS["strikes_uninvited"] in faces
    hatched = [c for c in collections if c.get_hatch() == "//"]  # the non-allies, by stance
    holder = views.non_allies(model)[0]
    assert hatched and views.STANCE_COLOURS[model.agent_by_code[holder].stance] in {
        to_hex(f) for c in hatched for f in c.get_facecolors()}


def test_a_state_that_moves_changes_colour_on_the_map():
    model = _paris(0)
    before = mapview.map_state(model)
    for _ in range(30):
        model.step()
    after = mapview.map_state(model)
    moved = [c for c in after if after[c]["level"] != before[c]["level"]]
    assert moved
    for code in moved:
        if not after[code]["non_ally"]:
            assert after[code]["colour"] == views.LEVEL_COLOURS[model.agent_by_code[code].commitment]


def test_labels_are_names_not_codes_and_large_enough():
    model = _paris(30)
    table = _table()
    fig = mapview.map_figure(model)
    labels = {t.get_gid()[len("label-"):]: t.get_text() for ax in fig.axes for t in ax.texts
              if (t.get_gid() or "").startswith("label-")}
    assert len(labels) >= 10
    shorts = {c["iso3"]: c.get("short") for c in mapview.outlines()["countries"]}
    for code, text in labels.items():
        assert text not in table, text  # never an ISO code
        assert text in (table[code], shorts.get(code)), (code, text)
    victim = model.config.events[0].target
    assert labels[victim] == table[victim]
    # 16 px at least (at the figure's own size, shown unscaled at 1280x720).
    assert tuple(round(v) for v in fig.get_size_inches() * fig.dpi) == mapview.SIZE_PX
    for t in _texts(fig):
        assert t.get_fontsize() * fig.dpi / 72 >= 16 - 1e-9, t.get_text()


def test_legend_in_words_and_the_states_beyond_the_map():
    model = _paris(5)
    fig = mapview.map_figure(model)
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    for words in ("strikes in Syria", "strikes in Iraq", "political support", "no commitment",
                  "non-ally: coordinates", "theatre: Iraq, Syria", "attacked", "not in the scenario"):
        assert words in legend, words
    note = next(t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "off-map")
    assert "Not on the map" in note and "Australia" in note


@pytest.mark.parametrize("case", ["usa_2001_09.yaml", "ukr_2022_02.yaml", "tur_2015_10.yaml"])
def test_any_scenario_draws(case):
    from sim.history import load_case

    scenario = load_case(HISTORY_DIR / case).scenario
    model = sim.CoalitionModel(scenario, 0)
    for _ in range(5):
        model.step()
    fig = mapview.map_figure(model)
    assert fig.axes and mapview.map_state(model)
