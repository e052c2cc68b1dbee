"""Choosing the best by cross-validating the finalists (`neurolab.finalists`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from neurolab.cli import main
from neurolab.data import load_data
from neurolab.events import FinalistsScored
from neurolab.finalists import cross_validate, equal_folds, fold_cost, fold_indices
from neurolab.genome import Genome
from neurolab.ranking import rank
from neurolab.runner import Runner, candidate_seed
from neurolab.spec import DataSpec
from neurolab.store import ProjectStore
from neurolab.train.trainer import train_candidate

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


def test_folds_trained_in_one_stack_score_as_each_fold_trained_alone(tmp_path):
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
    assert run() == (scores, folds)
    # Each fold's rows: held-out sets of one size (≤ 1 row sits a fold out), disjoint from the
    # fold's training rows.
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    splits = equal_folds(fold_indices(data, 3, seed=0), len(y))
    assert len({len(held) for _, held in splits}) == 1
    assert all(not set(train) & set(held) for train, held in splits)
    assert len(set(np.concatenate([h for _, h in splits]))) >= len(y) - 3
    for record, seed in zip(top, seeds, strict=True):
        alone = [
            train_candidate(
                Genome.from_dict(record.genome),
                replace(data, x_train=x[t], y_train=y[t], x_val=x[h], y_val=y[h]),
                seed=seed,
                patience=5,
            ).val_metric
            for t, h in splits
        ]
        assert scores[record.candidate_id] == pytest.approx(np.mean(alone), abs=0.01)
        assert 0.5 < scores[record.candidate_id] <= 1
    # Cut short (the budget ran out, or Stop): no scores, so the validation metric decides.
    asked = []
    assert run(lambda: asked.append(1) or len(asked) < 3) == ({}, 0)
    assert run(lambda: False) == ({}, 0)
    # Every finalist fails on its folds (a loss that overflows): no scores, but the folds ran.
    layers = [{"width": 16, "activation": "identity"}]  # nothing saturates: it overflows
    diverging = {"optimizer": "sgd", "learning_rate": 1e30, "layers": layers}
    top = [replace(r, genome={**r.genome, **diverging}) for r in top]
    assert run() == ({}, 3)


def test_a_time_budget_keeps_the_finalists_expected_folds_time():
    from neurolab.events import CandidateRecord
    from neurolab.run_state import RESERVE_MARGIN, RunState

    def offer(state: RunState, metric: float, seconds: float) -> None:
        state.worth_keeping(CandidateRecord(0, 0, {}, "ok", metric, metric, 0, 10, 5, seconds))

    state = RunState(0.0, 100, 60.0, keep=5, finalists=3, fold_cost=4.0)
    offer(state, 0.9, 0.5)
    assert state.reserved() == 0.0  # one finalist: nothing to choose between
    for metric, seconds in [(0.8, 0.25), (0.95, 1.0), (0.1, 9.0)]:
        offer(state, metric, seconds)
    # The top three (0.95, 0.9, 0.8) cross-validate; their folds take 4x their own training.
    assert state.reserved() == pytest.approx(RESERVE_MARGIN * 4.0 * (1.0 + 0.5 + 0.25))
    offer(state, 0.99, 5.0)  # a slow finalist: over a third of the budget, the search keeps it
    assert state.reserved() == 0.0
    assert RunState(0.0, 100, 30.0).reserved() == 0.0  # no finalists: the search has it all
    untimed = RunState(0.0, 100, None, finalists=3, fold_cost=4.0)
    offer(untimed, 0.9, 0.5)
    offer(untimed, 0.8, 0.5)
    assert untimed.reserved() == 0.0  # no time budget: nothing to keep


def test_fold_cost_counts_the_folds_rows_against_the_training_rows():
    data = load_data(DataSpec(name="iris"), "classification", 0)
    rows, train = len(data.y_train) + len(data.y_val), len(data.y_train)
    assert fold_cost(data, 5) == pytest.approx(4 * rows / train)
    tiny = replace(data, x_train=data.x_train[:3], y_train=data.y_train[:3], y_val=data.y_val[:1])
    assert fold_cost(tiny, 5) == pytest.approx(1 * 4 / 3)  # 4 rows: 2 folds at most
