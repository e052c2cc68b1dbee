"""Choosing the run's best by cross-validating its finalists.

A search ranks hundreds of networks on one validation split. On small data that split has a
few dozen rows, dozens of networks tie at its top score, and the one ranked first is often the
luckiest rather than the best (the winner's curse). So after the search the top few
("finalists", those whose weights the project keeps) are trained again, each from its own
genome and seed, on k folds of train + validation, and the mean metric on the held-out folds
decides which of them is the run's best. Every finalist on every fold trains in one stack
(`train_population` with a subset of rows per network): five folds cost about as much as
the slowest finalist trained once.

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


def wanted(data: PreparedData, mode: str, finalists: int) -> bool:
    """Whether a run of this mode on this data cross-validates its finalists."""
    small = len(data.y_val) < RELIABLE_VALIDATION_ROWS
    return finalists >= 2 and mode == "train" and small


def _fold_count(rows: int, folds: int) -> int:
    """`folds`, capped so that every fold holds out at least two rows (and at least 2 folds)."""
    return max(2, min(folds, rows // 2))


def fold_cost(data: PreparedData, folds: int) -> float:
    """A finalist's folds' training time over its own training in the search: `folds` runs,
    each on (k - 1)/k of train + validation rather than on train alone. (The time budget keeps
    that, times the finalists' own seconds, for them: `RunState.reserved`.)"""
    rows = len(data.y_train) + len(data.y_val)
    return (_fold_count(rows, folds) - 1) * rows / max(1, len(data.y_train))


def fold_indices(data: PreparedData, folds: int, seed: int) -> list[np.ndarray]:
    """Held-out rows of each fold, as indices into train + validation. Stratified for
    classification where every class has a row in each fold; folds are capped by the rows."""
    from sklearn.model_selection import KFold, StratifiedKFold

    y = np.concatenate([data.y_train, data.y_val])
    folds = _fold_count(len(y), folds)
    rows = np.zeros((len(y), 1))
    if data.task == "classification" and np.bincount(y).min(initial=len(y)) >= folds:
        split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, y)
    else:
        split = KFold(folds, shuffle=True, random_state=seed).split(rows)
    return [held for _, held in split]


def equal_folds(held_out: Sequence[np.ndarray], rows: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, held-out rows) of each fold, trimmed to the same counts so that all
    folds train in one stack: k-fold held-out sets differ by at most one row, and that row sits
    the fold out."""
    n_held, n_train = min(map(len, held_out)), rows - max(map(len, held_out))
    everything = np.arange(rows)
    return [(np.setdiff1d(everything, held)[:n_train], held[:n_held]) for held in held_out]


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
    """(candidate id -> mean held-out metric, folds) for `finalists` (candidate i trained from
    `seeds[i]`): every finalist on every fold, all in one stacked `train_population`. ({}, 0)
    when `keep_going` says no before it starts or cuts it short."""
    from neurolab.train.batched import train_population

    if keep_going is not None and not keep_going():  # (training asks only after an epoch)
        return {}, 0

    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    pool = replace(data, x_train=x, y_train=y, x_val=x, y_val=y)
    splits = equal_folds(fold_indices(data, folds, seed), len(y))
    genomes = [Genome.from_dict(r.genome) for r in finalists]
    results = train_population(
        genomes * len(splits),  # fold by fold: every finalist on fold 0, then on fold 1, ...
        pool,
        seeds=list(seeds) * len(splits),
        patience=patience,
        device=device,
        keep_going=keep_going,
        subsets=[fold for fold in splits for _ in genomes],
    )
    if any(r.status == "cancelled" for r in results):
        return {}, 0
    # A finalist that fails on a fold (a non-finite loss) gets no score: it ranks after the
    # scored ones.
    scores = [r.val_metric if r.val_metric is not None else -np.inf for r in results]
    means = np.mean(np.reshape(scores, (len(splits), len(genomes))), axis=0)
    scored = zip(finalists, means, strict=True)
    return {r.candidate_id: float(m) for r, m in scored if np.isfinite(m)}, len(splits)
