"""What pruning saves: training epochs of the same Optuna search with and without a pruner.

    python benchmarks/pruning.py [--dataset digits] [--generations 8] [--population 12]
                                 [--seeds 0 1 2] [--pruners median hyperband]

Each run is NeuroLab's Optuna engine (TPE) on the dataset's example search space for a fixed
number of generations, inline with stacked training; "none" is the baseline measured in the
same process. Printed per run: epochs trained (all candidates, pruned ones up to where they
stopped), candidates pruned, best validation and test accuracy, seconds; then per pruner the
epochs saved against "none" and the change in best accuracy. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).parents[1] / "resources" / "examples"


def run(dataset: str, pruner: str, seed: int, generations: int, population: int) -> dict:
    from neurolab.runner import Runner
    from neurolab.spec import ExperimentSpec
    from neurolab.store import ProjectStore

    example = EXAMPLES / f"{dataset}.toml"
    base = ExperimentSpec.from_toml(example) if example.exists() else None
    raw = {
        "name": f"{dataset}-{pruner}",
        "data": {"name": dataset},
        "engine": {"kind": "optuna", "population": population, "pruner": pruner},
        "budget": {"generations": generations},
        "seed": seed,
    }
    if base is not None:
        raw["search_space"] = base.search_space.model_dump()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.nlab"
        summary = Runner(ExperimentSpec.from_dict(raw), path).run()
        with ProjectStore(path, create=False) as store:
            records = store.candidates(summary.run_id)
    return {
        "pruner": pruner,
        "seed": seed,
        "epochs": sum(r.epochs for r in records),
        "epochs_asked": sum(r.genome["epochs"] for r in records),
        "candidates": len(records),
        "pruned": sum(r.status == "pruned" for r in records),
        "best_val": summary.best.val_metric,
        "best_test": summary.best.test_metric,
        "seconds": summary.seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--population", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pruners", nargs="+", default=["median"])
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        for pruner in ["none", *args.pruners]:
            row = run(args.dataset, pruner, seed, args.generations, args.population)
            rows.append(row)
            print(
                f"seed {seed} {pruner:<10} epochs {row['epochs']:6d} (asked {row['epochs_asked']})"
                f"  pruned {row['pruned']:3d}/{row['candidates']}"
                f"  best val {row['best_val']:.4f} test {row['best_test']:.4f}"
                f"  {row['seconds']:6.1f} s",
                flush=True,
            )
    summary = {}
    for pruner in args.pruners:
        saved, d_val, d_test = [], [], []
        for seed in args.seeds:
            base = next(r for r in rows if r["seed"] == seed and r["pruner"] == "none")
            this = next(r for r in rows if r["seed"] == seed and r["pruner"] == pruner)
            saved.append(1 - this["epochs"] / base["epochs"])
            d_val.append(this["best_val"] - base["best_val"])
            d_test.append(this["best_test"] - base["best_test"])
        summary[pruner] = {
            "epochs_saved": statistics.fmean(saved),
            "best_val_change": statistics.fmean(d_val),
            "best_test_change": statistics.fmean(d_test),
        }
        print(
            f"{pruner}: {100 * summary[pruner]['epochs_saved']:.0f} % of training epochs saved"
            f" (per seed {', '.join(f'{100 * s:.0f} %' for s in saved)});"
            f" best val {summary[pruner]['best_val_change']:+.4f},"
            f" best test {summary[pruner]['best_test_change']:+.4f} against no pruner",
            flush=True,
        )
    print(json.dumps({"args": vars(args), "runs": rows, "summary": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
