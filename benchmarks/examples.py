"""Run every example spec at its default budget and compare with scikit-learn on the same split.

    python benchmarks/examples.py [NAME ...] [--workers N]

For each example: NeuroLab's best test metric, wall time, and the baselines the acceptance
criteria name — RBF `SVC` and `RandomForestClassifier` (classification), `Ridge` (regression) —
fitted on the same training rows (train + validation, as NeuroLab's fitness uses validation)
and scored on the same test rows. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.svm import SVC

from neurolab.data import load_data
from neurolab.runner import Runner
from neurolab.spec import ExperimentSpec

EXAMPLES = Path(__file__).parents[1] / "resources" / "examples"
DEFAULT = ["moons", "circles", "spirals", "xor", "breast_cancer", "digits", "diabetes", "iris"]


def baselines(spec: ExperimentSpec) -> dict[str, float]:
    data = load_data(spec.data, spec.task, spec.seed)
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    if data.task == "classification":
        models = {
            "svc_rbf": SVC(kernel="rbf"),
            "random_forest": RandomForestClassifier(n_estimators=300, random_state=0),
        }
    else:
        models = {"ridge": Ridge(alpha=1.0)}
    return {
        name: float(model.fit(x, y).score(data.x_test, data.y_test))
        for name, model in models.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names:
            spec = ExperimentSpec.from_toml(EXAMPLES / f"{name}.toml")
            if args.workers:
                spec = spec.with_overrides({"execution.workers": args.workers})
            start = time.perf_counter()
            summary = Runner(spec, Path(tmp) / f"{name}.nlab").run()
            seconds = time.perf_counter() - start
            base = baselines(spec)
            rows[name] = {
                "test": round(summary.best.test_metric, 4),
                "val": round(summary.best.val_metric, 4),
                "seconds": round(seconds, 1),
                "candidates": summary.candidates,
                "status": summary.status,
                **{k: round(v, 4) for k, v in base.items()},
            }
            best_base = max(base.values())
            print(
                f"{name:<14} neurolab test {summary.best.test_metric:.4f}  "
                f"best baseline {best_base:.4f} ({max(base, key=base.get)})  "
                f"diff {summary.best.test_metric - best_base:+.4f}  "
                f"{summary.candidates} candidates in {seconds:.0f} s",
                flush=True,
            )
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
