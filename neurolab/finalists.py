"""Choosing the run's best by cross-validating its finalists.

A search ranks hundreds of networks on one validation split. On small data that split has a
few dozen rows, dozens of networks tie at its top score, and the one ranked first is often the
luckiest rather than the best (the winner's curse). So after the search the top few
("finalists", those whose weights the project keeps) are trained again, each from its own
genome and seed, on k folds of train + validation, and the mean metric on the held-out folds
decides which of them is the run's best. Each fold trains all finalists as one stacked
population.

The finalists keep their stored weights, validation and test metrics: cross-validation only
decides which of them is the best. It is skipped where the validation split alone is reliable
(`RELIABLE_VALIDATION_ROWS` rows or more) and in the modes whose networks are not trained from
scratch ("inherit", "neuroevolution").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateRecord
from neurolab.genome import Genome

RELIABLE_VALIDATION_ROWS = 1_000  # accuracy then moves in steps of 0.1 %: no need
SEARCH_SHARE = 0.9  # of a time budget; the finalists' cross-validation has the rest


def wanted(data: PreparedData, mode: str, finalists: int) -> bool:
    """Whether a run of this mode on this data cross-validates its finalists."""
    small = len(data.y_val) < RELIABLE_VALIDATION_ROWS
    return finalists >= 2 and mode == "train" and small


def fold_indices(data: PreparedData, folds: int, seed: int) -> list[np.ndarray]:
    """Held-out rows of each fold, as indices into train + validation. Stratified for
    classification where every class has a row in each fold; folds are capped by the rows."""
    from sklearn.model_selection import KFold, StratifiedKFold

    y = np.concatenate([data.y_train, data.y_val])
    folds = max(2, min(folds, len(y) // 2))
    rows = np.zeros((len(y), 1))
    if data.task == "classification" and np.bincount(y).min(initial=len(y)) >= folds:
        split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, y)
    else:
        split = KFold(folds, shuffle=True, random_state=seed).split(rows)
    return [held for _, held in split]


def cross_validate(
    finalists: Sequence[CandidateRecord],
    seeds: Sequence[int],
    data: PreparedData,
    *,
    folds: int,
    seed: int,
    patience: int,
    device: str = "cpu",
    keep_going: Callable[[], bool] | None = None,
) -> tuple[dict[int, float], int]:
    """(candidate id -> mean held-out metric, folds completed) for `finalists` (candidate i
    trained from `seeds[i]`). A fold that `keep_going` cuts short is left out, so every
    finalist is scored on the same folds; ({}, 0) when none completed."""
    from neurolab.train.batched import train_population

    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    genomes = [Genome.from_dict(r.genome) for r in finalists]
    scores: list[list[float]] = []
    for held in fold_indices(data, folds, seed):
        if keep_going is not None and not keep_going():
            break
        train = np.setdiff1d(np.arange(len(y)), held)
        fold = replace(data, x_train=x[train], y_train=y[train], x_val=x[held], y_val=y[held])
        results = train_population(
            genomes, fold, seeds=seeds, patience=patience, device=device, keep_going=keep_going
        )
        if any(r.status == "cancelled" for r in results):
            break
        # A finalist that fails on a fold (a non-finite loss) gets no score: it ranks after
        # the scored ones.
        scores.append([r.val_metric if r.val_metric is not None else -np.inf for r in results])
    if not scores:
        return {}, 0
    means = np.mean(scores, axis=0)
    scored = zip(finalists, means, strict=True)
    return {r.candidate_id: float(m) for r, m in scored if np.isfinite(m)}, len(scores)
