"""Choosing the best by cross-validating the finalists (`neurolab.finalists`)."""

from __future__ import annotations

import numpy as np

from neurolab.cli import main
from neurolab.data import load_data
from neurolab.events import FinalistsScored
from neurolab.finalists import cross_validate, fold_indices
from neurolab.ranking import rank
from neurolab.runner import Runner, candidate_seed
from neurolab.spec import DataSpec
from neurolab.store import ProjectStore

from .conftest import tiny_spec

TINY = ["--population", "4", "--generations", "3", "--seed", "1"]


def test_the_best_is_the_finalist_with_the_highest_cross_validated_metric(tmp_path):
    events = []
    spec = tiny_spec(**{"training.finalists": 4})
    summary = Runner(spec, tmp_path / "p.nlab", [events.append]).run()
    scored = [e for e in events if isinstance(e, FinalistsScored)]
    assert len(scored) == 1 and scored[0].folds == 5
    ranked = scored[0].scores
    assert len(ranked) == 4 and [s for _, s in ranked] == sorted(
        (s for _, s in ranked), reverse=True
    )
    with ProjectStore(tmp_path / "p.nlab", create=False) as store:
        records = store.candidates(summary.run_id)
        finalists = [r for r in records if r.cv_metric is not None]
        # The finalists are the top four by validation metric, and the project keeps their
        # weights: any of them can become the best.
        by_validation = sorted((r for r in records if r.status == "ok"), key=rank)[:4]
        assert {r.candidate_id for r in finalists} == {r.candidate_id for r in by_validation}
        assert all(store.load_weights(summary.run_id, r.candidate_id) for r in finalists)
        best = store.best(summary.run_id)
    assert best.candidate_id == ranked[0][0] == summary.best.candidate_id
    assert best.cv_metric == max(r.cv_metric for r in finalists) > 0.8
    assert min(records, key=rank).candidate_id == best.candidate_id  # as the GUI ranks


def test_without_finalists_the_validation_metric_decides(tmp_path, capsys):
    path = tmp_path / "p.nlab"
    assert main(["run", "--dataset", "xor", *TINY, "--finalists", "0", "--out", str(path)]) == 0
    assert "finalists:" not in capsys.readouterr().err
    with ProjectStore(path, create=False) as store:
        records = store.candidates(1)
        best = store.best(1)
    assert all(r.cv_metric is None for r in records)
    assert best.candidate_id == min(records, key=rank).candidate_id
    # The same run with them: the progress line and `show` say what chose the best.
    assert main(["run", "--dataset", "xor", *TINY, "--out", str(tmp_path / "cv.nlab")]) == 0
    assert "finalists: 8 cross-validated on 5 folds" in capsys.readouterr().err
    assert main(["show", str(tmp_path / "cv.nlab")]) == 0
    assert "cross-val.  accuracy" in capsys.readouterr().out


def test_folds_partition_train_and_validation_stratified():
    data = load_data(DataSpec(name="iris"), "classification", 0)
    folds = fold_indices(data, 5, seed=0)
    rows = np.concatenate(folds)
    assert len(folds) == 5 and sorted(rows) == list(range(len(data.y_train) + len(data.y_val)))
    y = np.concatenate([data.y_train, data.y_val])
    for held in folds:  # every class in every fold, in about its share
        counts = np.bincount(y[held], minlength=3)
        assert counts.min() >= 6


def test_cross_validation_is_reproducible_and_drops_a_fold_cut_short(tmp_path, monkeypatch):
    spec = tiny_spec(**{"training.finalists": 0, "budget.generations": 1})
    Runner(spec, tmp_path / "p.nlab").run()
    with ProjectStore(tmp_path / "p.nlab", create=False) as store:
        top = sorted(store.candidates(1), key=rank)[:3]
    data = load_data(spec.data, spec.task, spec.seed)
    seeds = [candidate_seed(spec.seed, r.candidate_id) for r in top]

    def run(keep_going=None):
        return cross_validate(top, seeds, data, folds=3, seed=0, patience=5, keep_going=keep_going)

    scores, folds = run()
    assert folds == 3 and set(scores) == {r.candidate_id for r in top}
    assert all(0.5 < s <= 1 for s in scores.values())
    assert run() == (scores, folds)

    # Time runs out in the second fold: the first fold's scores stand, for every finalist.
    import neurolab.train.batched as batched

    trained, real = [], batched.train_population
    monkeypatch.setattr(
        batched, "train_population", lambda *a, **k: trained.append(1) or real(*a, **k)
    )
    asked = []

    def second_fold_cut_after_an_epoch() -> bool:
        asked.append(len(trained))
        return asked.count(2) < 3  # (asked before the fold, then after each epoch)

    partial, done = run(second_fold_cut_after_an_epoch)
    assert done == 1 and set(partial) == set(scores) and len(trained) == 2
    assert run(lambda: False) == ({}, 0)
