"""Inherited weights against training from scratch, on spirals, both measured in this run.

The same GA (same seed, population, search space) runs twice: mode "train" (every candidate
trains from a fresh initialisation) and mode "inherit" (a child starts from its parents' trained
weights and trains `training.inherit_epochs`), which is given twice the generations because its
generations are cheap: what counts is the epochs spent until it matches "train". Generation 0
is the same in both. Printed: the best validation accuracy of "train" and the training epochs all its
candidates spent; then how many epochs "inherit" had spent, counting candidates in the order
they were made, when it first reached that accuracy, and the ratio. Epochs are counted as
trained (early stopping included), so the ratio is one of work, not of budgets.

    PYTHONPATH=$PWD python3 benchmarks/inheritance.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from neurolab.runner import Runner
from neurolab.spec import ExperimentSpec
from neurolab.store import ProjectStore


def spec(mode: str, quick: bool, seed: int = 0) -> ExperimentSpec:
    return ExperimentSpec.from_dict(
        {
            "name": f"spirals-{mode}",
            "data": {"name": "spirals", "params": {"n_samples": 600, "seed": 0}},
            "mode": mode,
            "search_space": {
                "min_layers": 1,
                "max_layers": 3,
                "min_width": 8,
                "max_width": 64,
                "min_lr": 1e-3,
                "max_lr": 3e-2,
                "min_epochs": 40 if quick else 60,
                "max_epochs": 100 if quick else 200,
                "batch_sizes": [32, 64],
            },
            "training": {"patience": 30, "inherit_epochs": 15 if quick else 20},
            "engine": {"population": 8 if quick else 12, "elites": 2},
            "budget": {"generations": (4 if quick else 6) * (2 if mode == "inherit" else 1)},
            "seed": seed,
        }
    )


def run(mode: str, quick: bool, folder: Path, seed: int):
    start = time.perf_counter()
    project = folder / f"{mode}.nlab"
    summary = Runner(spec(mode, quick, seed), project).run()
    with ProjectStore(project, create=False) as store:
        records = store.candidates(summary.run_id)
    return records, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller search")
    parser.add_argument("--seed", type=int, default=0, help="the run seed (also seeds the split)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trained, train_seconds = run("train", args.quick, Path(tmp), args.seed)
        inherited, inherit_seconds = run("inherit", args.quick, Path(tmp), args.seed)
    ok = [r for r in trained if r.val_metric is not None and r.status == "ok"]
    target = max(r.val_metric for r in ok)
    train_epochs = sum(r.epochs for r in trained)
    print(
        f"train:   best validation accuracy {target:.4f}, {len(trained)} candidates, "
        f"{train_epochs} training epochs in all, {train_seconds:.1f} s"
    )
    spent, reached = 0, None
    for record in inherited:
        spent += record.epochs
        if record.status == "ok" and (record.val_metric or 0) >= target:
            reached = (record, spent)
            break
    inherit_best = max(r.val_metric for r in inherited if r.val_metric is not None)
    inherit_epochs = sum(r.epochs for r in inherited)
    print(
        f"inherit: best validation accuracy {inherit_best:.4f}, {len(inherited)} candidates, "
        f"{inherit_epochs} training epochs in all, {inherit_seconds:.1f} s"
    )
    if reached is None:
        print("inherit never reached train's best validation accuracy")
        return 1
    record, spent = reached
    print(
        f"inherit reached {target:.4f} at candidate {record.candidate_id} (generation "
        f"{record.generation}, {record.origin}) after {spent} epochs = "
        f"{spent / train_epochs:.0%} of train's {train_epochs}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
