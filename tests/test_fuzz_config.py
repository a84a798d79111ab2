"""Fuzz the loader (issue 10, item 8): random YAML documents and random --set
pairs for scenarios, experiments and cases either load or raise ConfigError,
never another exception, and the message is one bounded line.

A few hundred examples run in the suite (seconds); for a longer run:

    FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz_config.py -q
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli import check_file
from sim.errors import MAX_MESSAGE, ConfigError
from sim.history import load_case

from .conftest import PARIS, ROOT

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CASE = ROOT / "configs" / "history" / "fra_2015_11.yaml"
EXPERIMENT = ROOT / "experiments" / "paris_art5_counterfactual.yaml"
SOURCES = [PARIS, CASE, EXPERIMENT, ROOT / "experiments" / "denmark_parliament.yaml"]

KEYS = ["name", "title", "description", "start_date", "days", "states", "include", "rules", "preset",
        "overrides", "commitments", "stances", "theatres", "hosts", "events", "day", "date", "kind", "target",
        "perpetrator", "perpetrator_kind", "deaths", "claimed_day", "case", "observed", "scenario", "design",
        "parameters", "replicates", "seed", "values", "low", "high", "integer", "samples", "DNK", "RUS",
        "public_support", "art5_decision", "threat_weight", "0", "-1", "99", "*", "a\x00b", "é"]
TOKENS = ["0", "-1", "1.5", "1e400", ".nan", "-.inf", "true", "yes", "no", "~", "null", "0x10", "0o7",
          "2015-11-13", "2015-02-30", "9999-12-31", "0001-01-01", "join", "oppose", "majority", "baseline",
          "realist", "&a x", "*a", "!!python/name:os.system", "!!str 5", "[", "]", "{", "}", "'", '"', ":", "- ",
          "#", "|", ">", "%YAML 1.1", "---", "...", "\t", "\x00", "\x1b[2J", "\u202e", "9" * 400, "x" * 3000,
          "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "? a", "<<: {}", "/etc/passwd",
          "../../etc/passwd", "configs/states/states.csv", "FRA", "NOR", "DNK", "events"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.sampled_from(TOKENS), st.text(max_size=20))
keys = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=5)), max_leaves=25)


def assert_bounded(call):
    try:
        call()
    except ConfigError as exc:
        text = str(exc)
        assert "\n" not in text and len(text) <= MAX_MESSAGE, repr(text[:600])
        assert all(ch.isprintable() for ch in text), repr(text)


def check_text(text: str | bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        assert_bounded(lambda: check_file(str(path)))


@FUZZ
@given(st.dictionaries(keys, values, max_size=8))
def test_random_documents(data):
    check_text(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.sampled_from(KEYS), st.text(max_size=6)), max_size=30))
def test_random_token_soup(tokens):
    check_text(" ".join(tokens).replace(" \n ", "\n"))


@FUZZ
@given(st.sampled_from(SOURCES), st.data())
def test_mutated_repository_files(source, data):
    """A real scenario, case or experiment with a few lines dropped, doubled or given a random value."""
    lines = source.read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "double", "value", "insert"]))
        if action == "drop":
            del lines[i]
        elif action == "double":
            lines.insert(i, lines[i])
        elif action == "value" and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {data.draw(st.sampled_from(TOKENS))}"
        else:
            lines.insert(i, data.draw(st.sampled_from(TOKENS)))
        if not lines:
            break
    text = "\n".join(lines) + "\n"
    text = text.replace("scenario: ../", f"scenario: {ROOT}/")  # the copy lives elsewhere
    check_text(text)


set_keys = st.lists(st.sampled_from(KEYS + ["0", "1", "3", "rules", "events", "overrides", "DNK", "FRA"]),
                    min_size=1, max_size=6).map(".".join)
set_values = st.one_of(st.sampled_from(TOKENS), st.text(max_size=12),
                       values.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()))


@FUZZ
@given(st.lists(st.tuples(set_keys, set_values), min_size=1, max_size=3))
def test_random_set_pairs_scenario(pairs):
    assert_bounded(lambda: sim.load_scenario(PARIS, [f"{k}={v}" for k, v in pairs]))


@FUZZ
@given(st.lists(st.tuples(set_keys, set_values), min_size=1, max_size=3))
def test_random_set_pairs_case(pairs):
    assert_bounded(lambda: load_case(CASE, [f"{k}={v}" for k, v in pairs]))


@FUZZ
@given(set_keys, st.lists(set_values, min_size=1, max_size=3))
def test_random_design_parameters_experiment(key, choices):
    """An experiment sweeping a random dotted path over random values (the design calls apply_set)."""
    text = (f"name: fuzz\nscenario: {PARIS}\ndays: 20\nreplicates: 1\nseed: 1\n"
            f"design:\n  kind: grid\n  parameters:\n    {yaml.safe_dump(key).strip().removesuffix('...').strip()}:\n"
            f"      values: [{', '.join(yaml.safe_dump(c, default_flow_style=True).strip().removesuffix('...').strip() for c in choices)}]\n")
    check_text(text)
