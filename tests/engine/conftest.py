from __future__ import annotations

import pytest

from neurolab.spec import ExperimentSpec


def tiny_spec(**overrides) -> ExperimentSpec:
    """A small, fast GA on two moons (a few seconds on 2 cores)."""
    raw = {
        "name": "tiny",
        "data": {"name": "moons", "params": {"n_samples": 300, "noise": 0.2, "seed": 0}},
        "search_space": {
            "max_layers": 2,
            "min_width": 4,
            "max_width": 16,
            "min_epochs": 20,
            "max_epochs": 40,
            "batch_sizes": [32, 64],
            "min_lr": 3e-3,
            "max_lr": 3e-2,
        },
        "engine": {"population": 6, "elites": 1},
        "budget": {"generations": 3},
        "seed": 0,
    }
    spec = ExperimentSpec.from_dict(raw)
    return spec.with_overrides(overrides) if overrides else spec


@pytest.fixture
def spec() -> ExperimentSpec:
    return tiny_spec()
