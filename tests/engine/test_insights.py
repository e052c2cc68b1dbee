"""The study view (trials, history, importances) from a saved project, and `show` printing it."""

from __future__ import annotations

import json
import math

import pytest

from neurolab.cli import main
from neurolab.insights import optimisation_history, param_importances, trials_table
from neurolab.runner import Runner
from neurolab.store import ProjectStore
from tests.engine.conftest import tiny_spec


@pytest.fixture(scope="module")
def ga_project(tmp_path_factory):
    path = tmp_path_factory.mktemp("ga") / "ga.nlab"
    Runner(tiny_spec(**{"search_space.min_layers": 1}), path).run()  # no engine kept
    with ProjectStore(path, create=False) as store:
        return path, store.candidates(1), store.best(1)


def test_table_history_and_importances_from_stored_candidates(ga_project):
    _, records, best = ga_project
    rows = trials_table(records)
    assert [r["candidate_id"] for r in rows] == [r.candidate_id for r in records]
    for row, record in zip(rows, records, strict=True):
        assert row["params"]["n_layers"] == len(record.genome["layers"])
        assert row["params"]["width_0"] == record.genome["layers"][0]["width"]
        assert row["value"] == record.val_metric and row["state"] == record.status
    history = optimisation_history(records)
    bests = [h["best"] for h in history]
    assert bests == sorted(bests) and bests[-1] == best.val_metric  # never gets worse
    importances = param_importances(records, seed=0)
    assert {"n_layers", "learning_rate", "width_0"} <= set(importances)
    assert "width_1" not in importances  # not every network has a second layer
    assert math.isclose(sum(importances.values()), 1.0, rel_tol=1e-6)
    assert param_importances(records[:3]) == {}  # too few to say anything


def test_show_prints_the_study_view(ga_project, capsys):
    path, records, best = ga_project
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Parameter importances" in out and "Optimisation history" in out
    assert f"Trials (top 10 of {len(records)}" in out
    assert main(["show", str(path), "--trials", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["study"]["trials"]) == len(records)
    assert data["study"]["history"][-1]["best"] == best.val_metric
    assert data["best"]["id"] == best.candidate_id
