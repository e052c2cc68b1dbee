"""What stacking the folds saves: the finalists' cross-validation, all folds in one stack,
against the same folds trained one after another.

    python benchmarks/finalists.py [--search-seconds 12] [--finalists 8] [--folds 5]
                                   [NAME ...]

Per dataset: a random search (`--search-seconds`, population 64, 2 workers, finalists off)
gives the top `--finalists` candidates by validation metric; then, in this process, on the
same folds (`neurolab.finalists.equal_folds`):
- baseline: one `train_population` per fold (every finalist stacked, fold after fold: how
  session 6 cross-validated);
- stacked: `neurolab.finalists.cross_validate`, every finalist on every fold in one stack.
Printed: seconds of each (best of two), the ratio, and whether both chose the same finalist
with the same scores. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np


def top_candidates(name: str, seconds: float, count: int):
    from neurolab.data import load_data
    from neurolab.ranking import rank
    from neurolab.runner import Runner, candidate_seed
    from neurolab.spec import ExperimentSpec
    from neurolab.store import ProjectStore

    spec = ExperimentSpec.from_dict({
        "name": name, "data": {"name": name}, "seed": 0,
        "engine": {"kind": "random", "population": 64},
        "budget": {"generations": 100_000, "seconds": seconds},
        "training": {"finalists": 0}, "execution": {"workers": 2},
    })  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.nlab"
        summary = Runner(spec, path).run()
        with ProjectStore(path, create=False) as store:
            ok = [r for r in store.candidates(summary.run_id) if r.status == "ok"]
    top = sorted(ok, key=rank)[:count]
    seeds = [candidate_seed(spec.seed, r.candidate_id) for r in top]
    return top, seeds, load_data(spec.data, spec.task, spec.seed), spec.training.patience


def fold_after_fold(top, seeds, data, folds: int, patience: int) -> dict[int, float]:
    """The baseline: each fold its own stacked population, one after another."""
    from neurolab.finalists import equal_folds, fold_indices
    from neurolab.genome import Genome
    from neurolab.train.batched import train_population

    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    genomes = [Genome.from_dict(r.genome) for r in top]
    scores = []
    for train, held in equal_folds(fold_indices(data, folds, 0), len(y)):
        fold = replace(data, x_train=x[train], y_train=y[train], x_val=x[held], y_val=y[held])
        results = train_population(genomes, fold, seeds=seeds, patience=patience)
        scores.append([r.val_metric if r.val_metric is not None else -np.inf for r in results])
    means = np.mean(scores, axis=0)
    return {r.candidate_id: float(m) for r, m in zip(top, means, strict=True) if np.isfinite(m)}


def best_of_two(fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(2):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["iris", "breast_cancer", "moons", "circles"])
    parser.add_argument("--search-seconds", type=float, default=12.0)
    parser.add_argument("--finalists", type=int, default=8)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    from neurolab.execution import start_server
    from neurolab.finalists import cross_validate

    start_server()  # the search's workers fork from it, as in the app
    rows = []
    for name in args.names:
        top, seeds, data, patience = top_candidates(name, args.search_seconds, args.finalists)
        plain, baseline = best_of_two(
            partial(fold_after_fold, top, seeds, data, args.folds, patience)
        )
        stacked, (scores, _) = best_of_two(
            partial(cross_validate, top, seeds, data, folds=args.folds, seed=0, patience=patience)
        )
        same = max(scores, key=scores.get) == max(baseline, key=baseline.get)
        agree = all(abs(scores[k] - baseline[k]) < 0.01 for k in baseline)
        row = {"dataset": name, "fold_after_fold_s": plain, "stacked_s": stacked,
               "speedup": plain / stacked, "same_choice": same, "scores_agree": agree}  # fmt: skip
        rows.append(row)
        print(f"{name:14s} fold after fold {plain:6.2f} s   one stack {stacked:6.2f} s   "
              f"{plain / stacked:4.1f}x   same choice: {same}, scores agree: {agree}", flush=True)  # fmt: skip
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
