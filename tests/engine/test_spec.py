from pathlib import Path

import pytest

from neurolab.errors import SpecError
from neurolab.spec import ExperimentSpec

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_spec_loads(path):
    spec = ExperimentSpec.from_toml(path)
    assert spec.name == path.stem


def test_toml_round_trip(tmp_path):
    spec = ExperimentSpec.from_toml(EXAMPLES / "moons.toml")
    spec.save_toml(tmp_path / "again.toml")
    assert ExperimentSpec.from_toml(tmp_path / "again.toml") == spec
    assert spec.version == 1


@pytest.mark.parametrize(
    ("raw", "phrase"),
    [
        (
            {"data": {"name": "moons"}, "engine": {"population": -3}},
            "engine.population: -3 is not allowed",
        ),
        (
            {"data": {"name": "moons"}, "engine": {"kind": "annealing"}},
            "engine.kind: 'annealing' is not allowed",
        ),
        (
            {"data": {"name": "moons"}, "search_space": {"activations": ["relu", "swish"]}},
            "search_space.activations.1: 'swish'",
        ),
        (
            {"data": {"name": "moons"}, "search_space": {"min_layers": 3, "max_layers": 1}},
            "min_layers (3) must not exceed max_layers (1)",
        ),
        ({"data": {"name": "moons"}, "enigne": {}}, "enigne: unknown key"),
        ({"data": {"name": "moons", "csv": "x.csv"}}, "either a built-in dataset"),
        ({"data": {"csv": "x.csv"}}, "a CSV needs a `target` column"),
        ({}, "data: required but missing"),
        ({"data": {"name": "moons"}, "version": 99}, "newer than this NeuroLab"),
        (
            {"data": {"name": "moons"}, "execution": {"device": "tpu"}},
            "execution.device: 'tpu' is not allowed",
        ),
    ],
)
def test_invalid_fields_give_one_line_naming_field_and_value(raw, phrase):
    with pytest.raises(SpecError) as err:
        ExperimentSpec.from_dict(raw)
    message = str(err.value)
    assert phrase in message
    assert "\n" not in message


def test_bad_toml_files(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[data\nname = 'moons'")
    with pytest.raises(SpecError, match="not valid TOML"):
        ExperimentSpec.from_toml(broken)
    with pytest.raises(SpecError, match="no such spec file"):
        ExperimentSpec.from_toml(tmp_path / "missing.toml")
    wrong_type = tmp_path / "wrong.toml"
    wrong_type.write_text("[data]\nname='moons'\n[engine]\npopulation='many'\n")
    with pytest.raises(SpecError, match="engine.population: 'many'"):
        ExperimentSpec.from_toml(wrong_type)


def test_overrides_are_validated():
    spec = ExperimentSpec.from_dict({"data": {"name": "moons"}})
    assert spec.with_overrides({"engine.population": 8}).engine.population == 8
    with pytest.raises(SpecError, match="engine.population"):
        spec.with_overrides({"engine.population": 0})
