"""Small real runs (the engine's Runner, real training) written once per test session."""

from __future__ import annotations

from pathlib import Path

from neurolab.runner import Runner
from neurolab.spec import ExperimentSpec


def small_spec(kind: str = "ga", **overrides) -> ExperimentSpec:
    raw = {
        "name": f"moons-{kind}",
        "data": {"name": "moons", "params": {"n_samples": 300, "noise": 0.2}},
        "engine": {"kind": kind, "population": 6, "elites": 1},
        "budget": {"generations": 3},
        "search_space": {"min_epochs": 15, "max_epochs": 30, "max_width": 16},
        "execution": {"workers": 1, "device": "cpu"},
        "seed": 3,
    }
    return ExperimentSpec.from_dict(raw).with_overrides(overrides)


def run_small(path: Path, kind: str = "ga", **overrides) -> Path:
    Runner(small_spec(kind, **overrides), path).run()
    return path
