"""The app's pure parts: the scenario list, settings, the lens table, the
views' tables, and the `app` verb's argument checks."""

from __future__ import annotations

import re

import pytest

import sim
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
                        overrides=(("FRA", "public_support", 0.3), ("FRA", "legislature_support", 0.4)))
    for choice in list_choices():
        plain, case = load_choice(choice.path)
        assert (case is not None) == (choice.kind == "case")
        sc, _ = load_choice(choice.path, settings)
        assert sc.rules.preset == "realist" and sc.rules.art5_decision == "majority"
        assert sc.events[0].deaths == round(plain.events[0].deaths * 2)
    sc, _ = load_choice(PARIS, settings)
    assert sc.overrides["FRA"] == {"public_support": 0.3, "legislature_support": 0.4}


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
    assert found.case == "fra_2015_11" and sc.name == "paris_2015"
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
    series = views.daily_series(result)
    assert len(series) == 30 and (series["coalition_size"] > 0).all()
    html = views.log_html(result)
    days = [int(d) for d in re.findall(r"<b>day (\d+)</b>", html)]
    assert len(days) == len(result.events) and days == sorted(days, reverse=True) and days[0] > days[-1]
    assert "France" in html
    assert views.nac_votes(result).empty or (views.nac_votes(result)["body"] == "North Atlantic Council").all()
    views.network_figure(model)
    views.timeline_figure(result)


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
