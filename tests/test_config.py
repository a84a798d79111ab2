"""Bad input: one line naming the file and the key, exit status 2, nothing half-written."""

import subprocess
import sys
from pathlib import Path

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
