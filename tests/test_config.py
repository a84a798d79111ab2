"""Bad input: one line naming the file and the key, exit status 2, nothing half-written."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.errors import ConfigError

from .conftest import PARIS, ROOT, write_yaml

MINIMAL = """\
name: t
title: test
start_date: 2015-11-13
days: 30
states: {states}
events:
  - day: 0
    kind: terror_attack
    target: AAA
    perpetrator: X
    perpetrator_kind: non_state
    deaths: 50
"""


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def load_error(path, sets=None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        sim.load_scenario(path, sets)
    return info.value




@pytest.mark.parametrize("text, key, fragment", [
    ("daays: 3\n", "daays", "did you mean days"),
    ("rules: realistt\n", "rules", "did you mean realist"),
    ("rules: {art5_decision: unanimity}\n", "rules.art5_decision", "consensus"),
    ("rules: {threat_weigth: 2}\n", "rules.threat_weigth", "did you mean threat_weight"),
    ("overrides: {DNKK: {public_support: 0.3}}\n", "overrides.DNKK", "did you mean DNK"),
    ("overrides: {DNK: {public_suport: 0.3}}\n", "overrides.DNK.public_suport", "did you mean public_support"),
    ("overrides: {DNK: {public_support: 1.7}}\n", "overrides.DNK.public_support", "out of range"),
    ("overrides: {DNK: {approval_regime: parliament}}\n", "overrides.DNK.approval_regime", "prior_vote"),
    ("commitments: {FRA: bombing}\n", "commitments.FRA", "strikes_uninvited"),
    ("stances: {RUS: friendly}\n", "stances.RUS", "deconflict"),
])
def test_bad_values_name_the_key(tmp_path, text, key, fragment):
    data = yaml.safe_load(PARIS.read_text())
    data.update(yaml.safe_load(text))  # replace or add one top-level key
    path = write_yaml(tmp_path / "bad.yaml", yaml.safe_dump(data))
    err = load_error(path)
    assert err.file == str(path)
    assert err.key == key, str(err)
    assert fragment in str(err)
    assert "\n" not in str(err)


def test_event_errors(tmp_path, mini_states):
    good = MINIMAL.format(states=mini_states)
    cases = [
        (good.replace("kind: terror_attack", "kind: bombing"), "events.0.kind"),
        (good.replace("target: AAA", "target: ZZZ"), "events.0.target"),
        (good.replace("deaths: 50", "deaths: -1"), "events.0.deaths"),
        (good.replace("    deaths: 50", "    deaths: 50\n    colour: red"), "events.0.colour"),
        (good.replace("  - day: 0", "  - day: 0\n    date: 2015-11-13"), "events.0"),
        (good.replace("  - day: 0", "  - day: 99"), "events.0"),
        (good.replace("    deaths: 50", "    deaths: 50\n    claimed_day: 0\n    intent: sure"), "events.0.intent"),
    ]
    for i, (text, key) in enumerate(cases):
        err = load_error(write_yaml(tmp_path / f"e{i}.yaml", text))
        assert err.key == key, (key, str(err))


def test_missing_states_are_named(tmp_path, mini_states):
    text = MINIMAL.format(states=mini_states) + "include: [XXA, XXB]\n"
    err = load_error(write_yaml(tmp_path / "m.yaml", text))
    assert "XXA" in str(err) and "XXB" in str(err) and err.key == "include"


def test_unsafe_yaml_is_refused(tmp_path):
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    assert "aliases" in str(load_error(write_yaml(tmp_path / "bomb.yaml", bomb)))
    tag = "name: !!python/object/apply:os.system ['echo hi']\n"
    assert "tag" in str(load_error(write_yaml(tmp_path / "tag.yaml", tag)))
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 2_000_000 + "\n")
    assert "limited" in str(load_error(big))
    assert "invalid YAML" in str(load_error(write_yaml(tmp_path / "broken.yaml", "name: [unclosed\n")))
    assert "mapping" in str(load_error(write_yaml(tmp_path / "list.yaml", "- 1\n- 2\n")))


def test_set_addresses_any_value(paris):
    sc = sim.load_scenario(PARIS, ["overrides.DNK.public_support=0.3", "rules.art5_decision=majority",
                                   "days=60", "events.0.deaths=500", "rules.threat_weight=2.5"])
    assert sc.overrides["DNK"]["public_support"] == 0.3
    assert sc.rules.art5_decision == "majority" and sc.rules.preset == "baseline"
    assert sc.days == 60 and sc.events[0].deaths == 500 and sc.rules.threat_weight == 2.5
    assert sim.load_scenario(PARIS, {"rules": "realist"}).rules.preset == "realist"
    for bad, key in [("events.9.deaths=1", "events.9"), ("days=abc", "days"), ("nonsense", "nonsense"),
                     ("rules.art5_decision=veto", "rules.art5_decision")]:
        err = load_error(PARIS, [bad])
        assert err.key == key, str(err)


def test_cli_bad_input_one_line_exit_2_no_output(tmp_path):
    out = tmp_path / "out"
    bad = write_yaml(tmp_path / "bad.yaml", PARIS.read_text().replace("days: 120", "days: -4"))
    for args in (["run", bad, "--out", out], ["run", PARIS, "--set", "overrides.DNKK.public_support=1", "--out", out],
                 ["run", tmp_path / "missing.yaml"], ["check", bad], ["run", PARIS, "--seed", "x"],
                 ["frobnicate"]):
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert "did you mean DNK" in cli("run", PARIS, "--set", "overrides.DNKK.public_support=1").stderr


def test_check_accepts_the_shipped_scenarios():
    files = sorted((ROOT / "configs" / "scenarios").glob("*.yaml"))
    proc = cli("check", *files)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": ok") == len(files)


def test_help_is_complete():
    top = cli("--help").stdout
    assert "run" in top and "check" in top
    run_help = cli("run", "--help").stdout
    for flag in ("--seed", "--days", "--set", "--out", "--json", "--engine"):
        assert flag in run_help


# --------------------------------------------------------------------------
# The bounded loader (issue 10, items 2 to 4): fresh examples of each class

from sim import yamlio  # noqa: E402
from sim.errors import MAX_MESSAGE  # noqa: E402


def one_line(err: ConfigError) -> str:
    text = str(err)
    assert "\n" not in text and "\r" not in text and len(text) <= MAX_MESSAGE, text
    assert all(ch.isprintable() for ch in text), repr(text)
    return text


def paris_with(tmp_path, old, new, name="s.yaml"):
    text = PARIS.read_text()
    assert old in text
    return write_yaml(tmp_path / name, text.replace(old, new, 1))


def test_yaml_12_core_scalars():
    data = yamlio.load_yaml_text(
        "a: yes\nb: off\nc: 0x1F\nd: 0o17\ne: 2019-04-01\nf: True\ng: ~\nh: 1_000\ni: .inf\nj: -3\nk: 2.5e3\n"
        "l: '7'\nm: !!str 12\nn: 12:30\n", "t")
    assert data == {"a": "yes", "b": "off", "c": "0x1F", "d": "0o17", "e": "2019-04-01", "f": True, "g": None,
                    "h": "1_000", "i": float("inf"), "j": -3, "k": 2500.0, "l": "7", "m": "12", "n": "12:30"}


@pytest.mark.parametrize("text, fragment, line", [
    ("x: &k 1\ny: 2\n", "anchors and aliases", 1),
    ("x: [1]\ny: *k\n", "anchors and aliases", 2),
    ("x: !!binary aGk=\n", "unsupported YAML tag", 1),
    ("a: 1\nb:\n  c: 2\n  c: 3\n", "duplicate key 'c' (lines 3 and 4)", 4),
    ("? [1, 2]\n: x\n", "plain value", 1),
    ("a: 1\n---\nb: 2\n", "more than one YAML document", 2),
    ("a: [1, 2\n", "invalid YAML", None),
    ("d: " + "{x: " * 80 + "1" + "}" * 80 + "\n", f"deeper than {yamlio.MAX_DEPTH}", 1),
    ("n: " + "7" * 500 + "\n", "at most 100 digits", 1),
])
def test_loader_refusals(text, fragment, line):
    with pytest.raises(ConfigError) as info:
        yamlio.load_yaml_text(text, "f.yaml")
    msg = one_line(info.value)
    assert fragment in msg
    if line is not None:
        assert info.value.key == f"line {line}", msg


def test_deep_nesting_bombs_are_one_line_exit_2(tmp_path):
    for depth, name in ((40_000, "scenario.yaml"), (25_000, "experiment.yaml"), (25_000, "case.yaml")):
        path = tmp_path / name
        path.write_text("name: t\nnotes: " + "[" * depth + "]" * depth + "\n")
        proc = cli("check", path)
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr[:500]
        assert "Traceback" not in proc.stderr and len(proc.stderr) < MAX_MESSAGE + 20


def test_duplicate_top_level_keys_name_both_lines(tmp_path):
    path = paris_with(tmp_path, "days: 120", "days: 120\nname: other")
    msg = one_line(load_error(path))
    assert "duplicate key 'name' (lines 5 and 15)" in msg


def test_strict_types_and_dates(tmp_path):
    for old, new, key in [("days: 120", "days: yes", "days"), ("days: 120", "days: 0x20", "days"),
                          ("days: 120", "days: true", "days"), ("days: 120", "days: 40.0", "days"),
                          ("start_date: 2015-11-13", "start_date: 2015-11-31", "start_date"),
                          ("start_date: 2015-11-13", "start_date: 20151113", "start_date"),
                          ("    deaths: 130", "    deaths: 130.5", "events.0.deaths")]:
        err = load_error(paris_with(tmp_path, old, new))
        assert err.key == key, str(err)
        one_line(err)
    # Unquoted dates still load, and so do quoted ones.
    assert sim.load_scenario(paris_with(tmp_path, "start_date: 2015-11-13", "start_date: '2015-11-13'")) \
        .start_date.isoformat() == "2015-11-13"


def test_derived_values_checked_on_load(tmp_path):
    late = paris_with(tmp_path, "start_date: 2015-11-13", "start_date: 9999-11-30")
    err = load_error(late, ["events.0.day=0", "events.0.date=null", "events.1.day=1", "events.1.date=null",
                            "events.2.day=2", "events.2.date=null", "events.3.day=3", "events.3.date=null"])
    assert err.key == "days" and "calendar" in str(err)
    assert load_error(PARIS, ["days=6"]).key.startswith("events.")
    assert load_error(PARIS, ["start_date=2015-02-29"]).key == "start_date"
    neg = load_error(PARIS, ["events.-2.deaths=7"])
    assert neg.key == "events.-2" and "negative index" in str(neg)
    ally = load_error(PARIS, ["stances.NOR=join"])
    assert ally.key == "stances.NOR" and "NATO member" in str(ally)
    # on the command line: one line, exit 2
    for bad in ("stances.POL=join", "days=3", "events.-1.deaths=1"):
        proc = cli("run", PARIS, "--set", bad, "--json")
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr


def test_calendar_overflow_same_in_check_and_run(tmp_path):
    text = MINIMAL.replace("start_date: 2015-11-13", "start_date: 9999-12-25")
    path = write_yaml(tmp_path / "late.yaml", text.format(states=ROOT / "configs/states/states.csv")
                      .replace("target: AAA", "target: FRA"))
    for cmd in ("check", "run"):
        proc = cli(cmd, path)
        assert proc.returncode == 2 and "calendar" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_seed_bounds_on_the_command_line():
    for seed in ("-5", str(2**63), "1.5", "0x10"):
        proc = cli("run", PARIS, "--seed", seed, "--json")
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, (seed, proc.stderr)
        assert "seed" in proc.stderr


def test_set_bombs_refused_at_once():
    levels = ["l0: &l0 [q, q, q, q, q, q, q, q]"]
    for i in range(1, 9):
        levels.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 8) + "]")
    bomb = "{" + ", ".join(levels) + "}"
    proc = cli("run", PARIS, "--set", f"description={bomb}", "--json")
    assert proc.returncode == 2 and "anchors and aliases" in proc.stderr and len(proc.stderr) < MAX_MESSAGE + 60
    key = ".".join(["rules"] * 5_000)
    proc = cli("run", PARIS, "--set", f"{key}=1", "--json")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and len(proc.stderr) < MAX_MESSAGE + 60
    for bad in ("events..deaths=1", "=3", "a b.c=1", f"title={'x' * 20_000}"):
        with pytest.raises(ConfigError) as info:
            sim.load_scenario(PARIS, [bad])
        one_line(info.value)


def test_messages_escape_and_shorten(tmp_path):
    err = load_error(PARIS, ["overrides.F\x00R\x1bA.public_support=0.5"])
    msg = one_line(err)
    assert "\\x00" in msg and "\\x1b" in msg
    long_value = "z" * 5_000
    msg = one_line(load_error(PARIS, [f"rules.art5_decision={long_value}"]))
    assert "5,000 characters" in msg
    assert len(str(ConfigError("f" * 900, "k" * 900, "m" * 9_000))) <= MAX_MESSAGE


def test_files_outside_the_project_are_not_echoed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("alpha-token-123:x:0:0\nbeta-token-456 more: text: here\n")
    link = tmp_path / "scenario.yaml"
    link.symlink_to(secret)
    proc = cli("check", link)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "token" not in proc.stderr and "scenario.yaml" in proc.stderr
    states = write_yaml(tmp_path / "s.yaml", MINIMAL.format(states=secret))
    proc = cli("check", states)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "token" not in proc.stderr


def test_special_files_refused(tmp_path):
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert "regular file" in str(load_error(fifo))
    (tmp_path / "utf16.yaml").write_bytes("name: t\n".encode("utf-16"))
    assert "UTF-8" in str(load_error(tmp_path / "utf16.yaml"))
    assert "folder" in str(load_error(tmp_path))


def test_every_repository_yaml_loads():
    files = [p for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts and "results" not in p.parts]
    assert len(files) > 10
    for path in files:
        yamlio.load_yaml_file(path)
    proc = cli("check", *sorted((ROOT / "configs" / "history").glob("*.yaml")), *sorted((ROOT / "experiments").glob("*.yaml")))
    assert proc.returncode == 0, proc.stderr


def test_groups_of_states_in_dotted_paths(paris):
    sc = sim.load_scenario(PARIS, ["overrides.*.public_support=0.3", "overrides.DNK.public_support=0.9",
                                   "overrides.[NOR,SWE].threat_perception=0.1", "overrides.EU.casualty_aversion=0.2",
                                   "overrides.NATO.opposition_position=-0.5"])
    from sim.states import load_states
    from sim.world import run_states

    table = load_states(paris.states)
    states = run_states(paris, table)
    assert set(sc.overrides) == set(states)
    assert all(sc.overrides[c]["public_support"] == 0.3 for c in states if c != "DNK")
    assert sc.overrides["DNK"]["public_support"] == 0.9  # a later plain key wins
    assert sc.overrides["SWE"]["threat_perception"] == 0.1 and "threat_perception" not in sc.overrides["FRA"]
    eu = set(table.eu_members(paris.start_date))
    nato = set(table.nato_members(paris.start_date))
    assert {c for c in states if "casualty_aversion" in sc.overrides[c]} == eu
    assert {c for c in states if "opposition_position" in sc.overrides[c]} == nato
    # the same through a mapping (as a design point sets it)
    assert sim.load_scenario(PARIS, {"overrides.NATO.public_support": 0.5}).overrides["TUR"]["public_support"] == 0.5
    for bad, fragment in [("overrides.[].public_support=1", "empty group"),
                          ("overrides.[XXQ].public_support=1", "XXQ"),
                          ("overrides.*.public_suport=1", "did you mean public_support"),
                          ("overrides.EU.public_support=7", "out of range"),
                          ("overrides.[DNK,DNK].public_support=1", "twice")]:
        err = load_error(PARIS, [bad])
        assert fragment in one_line(err) and err.key == bad.split("=")[0], str(err)


def test_groups_in_an_experiment_design(tmp_path):
    from sim.experiment import build_scenario, load_experiment

    path = write_yaml(tmp_path / "g.yaml", f"name: g\nscenario: {PARIS}\ndays: 20\nreplicates: 1\nseed: 1\n"
                      "design:\n  kind: grid\n  parameters:\n    overrides.NATO.public_support: [0.2, 0.7]\n")
    loaded = load_experiment(path)
    sc = build_scenario(loaded, {"overrides.NATO.public_support": 0.7})
    assert sc.overrides["POL"]["public_support"] == 0.7 and "RUS" not in sc.overrides


def test_a_rule_weights_point_is_the_scenario_the_whole_path_builds(tmp_path):
    """Points that set only rule weights skip the whole scenario's validation
    (sim.experiment.schema._rule_point); the scenario must be the one the
    whole path builds, and a value out of range must still be refused with
    the whole path's message."""
    from sim.experiment import build_scenario, load_experiment, schema

    path = write_yaml(tmp_path / "r.yaml", f"name: r\nscenario: {PARIS}\nreplicates: 1\nseed: 1\n"
                      "design:\n  kind: lhs\n  samples: 4\n  parameters:\n"
                      "    rules.threat_weight: {low: 1.0, high: 4.0}\n    rules.vote_delay_min: [1, 3]\n")
    loaded = load_experiment(path)
    point = {"rules.threat_weight": 2.718281828459045, "rules.vote_delay_min": 3}
    fast = build_scenario(loaded, point)
    data = schema.apply_overrides(loaded.scenario_data, point, loaded.scenario_path)
    whole = schema.validate_scenario(data, loaded.scenario_path, loaded.scenario_text, Path(loaded.scenario_path).parent)
    assert fast == whole and fast.rules.threat_weight == 2.718281828459045 and fast.rules.vote_delay_min == 3
    assert schema._rule_point(loaded, {"overrides.DNK.public_support": 0.3}) is None
    with pytest.raises(ConfigError, match="vote_delay"):
        build_scenario(loaded, {"rules.vote_delay_min": 99})
    # Values of other types: an integer for a weight, numpy's scalars (as
    # designs make them), a boolean (refused as the whole path refuses it).
    for point in ({"rules.threat_weight": 2}, {"rules.threat_weight": np.float64(1.5), "rules.vote_delay_min": np.int64(2)},
                  {"rules.art5_decision": "majority"}):
        data = schema.apply_overrides(loaded.scenario_data, point, loaded.scenario_path)
        whole = schema.validate_scenario(data, loaded.scenario_path, loaded.scenario_text,
                                         Path(loaded.scenario_path).parent)
        assert schema._rule_point(loaded, point) == whole
    assert schema._rule_point(loaded, {"rules.threat_weight": True}) is None
    with pytest.raises(ConfigError, match="threat_weight"):
        build_scenario(loaded, {"rules.threat_weight": True})
