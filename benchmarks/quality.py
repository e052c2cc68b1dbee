"""Search quality within one wall-clock budget: NeuroLab's engines against the tools in use today.

    python benchmarks/quality.py [--quick] [--budget S] [--seeds N] [--workers N]
                                 [--population N] [--pruner P] [NAME[:param=value,...] ...]

NAME is a dataset (all nine by default); a built-in toy takes parameters after a colon, e.g.
`circles:n_samples=2000` (a test split of 400 rows instead of 100).
Per dataset and seed (the seed also draws the train/validation/test split, the same for every
method), each of these gets the same budget of S seconds of wall time on this machine:
- NeuroLab GA, NeuroLab Optuna (TPE, with the `--pruner`, median by default), NeuroLab Optuna
  random (Optuna's random sampler with the same pruner: random search that stops lagging
  curves early) and NeuroLab random search (no pruning) (`Runner`, time budget, the default
  search space, `--population` networks per
  generation trained as stacked groups by `--workers` worker processes, 64 and 2 by default:
  the machine's two cores; the workers' start counts, but not the import of torch: they fork
  from a server that imported it once, at the benchmark's start, as the desktop app's do);
- the plain loop people write today: an Optuna TPE study (`study.optimize(timeout=S)`) whose
  objective builds a PyTorch MLP from the same search space and trains it sequentially for
  its epochs (Adam family, minibatches), scored on validation.
NeuroLab's best is chosen as in any run: its finalists cross-validated in the time the budget
keeps for them at its end (`neurolab.finalists`, `RunState.reserved`; how many folds fitted is
printed per seed).
Without a budget, at their defaults: scikit-learn's LogisticRegression (Ridge for regression),
RandomForest, HistGradientBoosting and MLPClassifier (MLPRegressor), fitted on train +
validation. Every method is scored on the same test rows: accuracy, or R² for diabetes. On the 2-D toys
(moons, circles, spirals, xor) the generator's own Bayes rule (`neurolab.data.bayes`) is scored
on those rows too: the best any model can do on average, so a model above it was lucky there.
Printed per dataset: test metric mean ± std over the seeds, candidates evaluated within the
budget (pruned ones included, as Optuna counts trials; how many were pruned is printed) and
seconds used; the last stdout line is one JSON object with everything.
`--quick` is a short version (5 s budget): a smoke test of the comparison, not its result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATASETS = [
    "iris",
    "wine",
    "breast_cancer",
    "digits",
    "moons",
    "circles",
    "spirals",
    "xor",
    "diabetes",
]
# Each NeuroLab method's engine settings: Optuna's TPE, and Optuna's random sampler with the
# same pruner (random search with early stopping of lagging curves).
ENGINES = {
    "neurolab_ga": {"kind": "ga"},
    "neurolab_optuna": {"kind": "optuna", "sampler": "tpe"},
    "neurolab_optuna_random": {"kind": "optuna", "sampler": "random"},
    "neurolab_random": {"kind": "random"},
}


def dataset(entry: str) -> tuple[str, dict[str, float]]:
    """A NAME argument as (dataset name, parameters): ``circles`` or ``circles:n_samples=2000``
    (a built-in toy with some of its parameters changed; the key of its row is the whole entry)."""
    name, _, rest = entry.partition(":")
    params = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        params[key] = float(value) if "." in value else int(value)
    return name, params


def _spec(entry: str, key: str, budget: float, seed: int, settings: argparse.Namespace):
    from neurolab.spec import ExperimentSpec

    name, params = dataset(entry)

    engine = dict(ENGINES[key])
    if engine["kind"] == "optuna":
        engine["pruner"] = settings.pruner
    workers = settings.workers
    return ExperimentSpec.from_dict(
        {
            "name": f"{name}-{key}",
            "data": {"name": name, "params": params},
            "engine": {**engine, "population": settings.population},
            "budget": {"generations": 100_000, "seconds": budget},
            "execution": {"workers": workers},
            "seed": seed,
        }
    )


def neurolab(name: str, key: str, budget: float, seed: int, settings: argparse.Namespace) -> dict:
    from neurolab.events import FinalistsScored
    from neurolab.runner import Runner
    from neurolab.store import ProjectStore

    folds = [0]  # of the finalists' cross-validation that fitted in the budget

    def sink(event) -> None:
        if isinstance(event, FinalistsScored):
            folds[0] = event.folds

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "q.nlab"
        start = time.perf_counter()
        summary = Runner(_spec(name, key, budget, seed, settings), path, [sink]).run()
        seconds = time.perf_counter() - start
        with ProjectStore(path, create=False) as store:
            records = store.candidates(summary.run_id)
    done = [r for r in records if r.status in ("ok", "pruned", "failed")]
    best = summary.best
    return {
        "test": None if best is None else best.test_metric,
        "candidates": len(done),
        "pruned": sum(r.status == "pruned" for r in done),
        "seconds": seconds,
        "cv_folds": folds[0],
    }


def sklearn_baselines(data, seed: int) -> dict[str, dict]:
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    if data.task == "classification":
        models = {
            "logistic_regression": LogisticRegression(),
            "random_forest": RandomForestClassifier(random_state=seed),
            "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=seed),
            "mlp_sklearn": MLPClassifier(random_state=seed),
        }
    else:
        models = {
            "ridge": Ridge(),
            "random_forest": RandomForestRegressor(random_state=seed),
            "hist_gradient_boosting": HistGradientBoostingRegressor(random_state=seed),
            "mlp_sklearn": MLPRegressor(random_state=seed),
        }
    rows = {}
    import warnings

    for key, model in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLP's ConvergenceWarning at default max_iter
            model.fit(x, y)
        score = float(model.score(data.x_test, data.y_test))
        rows[key] = {"test": score, "candidates": 1, "seconds": time.perf_counter() - start}
    return rows


def bayes_rule(name: str, params: dict, data) -> dict:
    """The test accuracy of the toy generator's Bayes-optimal rule on the same test rows."""
    from neurolab.data import builtin_points
    from neurolab.data.bayes import bayes_labels

    x, _ = builtin_points(name, params)
    labels = bayes_labels(name, params, x[data.split_rows["test"]])
    return {"test": float((labels == data.y_test).mean()), "candidates": 0, "seconds": 0.0}


def plain_optuna_torch(data, budget: float, seed: int) -> dict:
    """What a user writes today: Optuna TPE around a sequential PyTorch training function."""
    import optuna
    import torch
    from torch import nn

    from neurolab.spec import SearchSpaceSpec

    space = SearchSpaceSpec()  # the same bounds NeuroLab searches
    activations = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}
    activations |= {"leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "silu": nn.SiLU}
    classification = data.task == "classification"
    x_tr, x_va, x_te = (
        torch.tensor(a, dtype=torch.float32) for a in (data.x_train, data.x_val, data.x_test)
    )
    dtype = torch.long if classification else torch.float32
    y_tr, y_va, y_te = (
        torch.tensor(a, dtype=dtype) for a in (data.y_train, data.y_val, data.y_test)
    )
    outputs = data.n_outputs

    def score(model, x, y) -> float:
        with torch.no_grad():
            out = model(x)
        if classification:
            return float((out.argmax(1) == y).float().mean())
        pred = out.squeeze(1)
        return float(1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())

    def objective(trial: optuna.Trial) -> float:
        torch.manual_seed(trial.number)
        layers, width_in = [], x_tr.shape[1]
        for k in range(trial.suggest_int("n_layers", space.min_layers, space.max_layers)):
            width = trial.suggest_int(f"width_{k}", space.min_width, space.max_width, log=True)
            act = trial.suggest_categorical(f"activation_{k}", space.activations)
            drop = trial.suggest_float(f"dropout_{k}", space.min_dropout, space.max_dropout)
            layers += [nn.Linear(width_in, width), activations[act](), nn.Dropout(drop)]
            width_in = width
        model = nn.Sequential(*layers, nn.Linear(width_in, outputs))
        lr = trial.suggest_float("learning_rate", space.min_lr, space.max_lr, log=True)
        optimizer_name = trial.suggest_categorical("optimizer", space.optimizers)
        wd = trial.suggest_categorical("weight_decay", space.weight_decays)
        batch = trial.suggest_categorical("batch_size", space.batch_sizes)
        epochs = trial.suggest_int("epochs", space.min_epochs, space.max_epochs)
        optimizer = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[optimizer_name](
            model.parameters(), lr=lr, weight_decay=wd
        )
        loss_fn = nn.CrossEntropyLoss() if classification else nn.MSELoss()
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(x_tr))
            for lo in range(0, len(x_tr), batch):
                idx = order[lo : lo + batch]
                optimizer.zero_grad()
                out = model(x_tr[idx])
                loss = (
                    loss_fn(out, y_tr[idx])
                    if classification
                    else loss_fn(out.squeeze(1), y_tr[idx])
                )
                loss.backward()
                optimizer.step()
        model.eval()
        trial.set_user_attr("test", score(model, x_te, y_te))
        value = score(model, x_va, y_va)
        return value if np.isfinite(value) else -1e9

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    start = time.perf_counter()
    study.optimize(objective, timeout=budget)
    return {
        "test": study.best_trial.user_attrs["test"],
        "candidates": len(study.trials),
        "seconds": time.perf_counter() - start,
    }


def _summary(values: list[float | None]) -> tuple[float | None, float | None]:
    clean = [v for v in values if v is not None]
    if not clean:
        return None, None
    return statistics.fmean(clean), statistics.pstdev(clean) if len(clean) > 1 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", default=DATASETS, help="datasets, e.g. iris or circles:n_samples=2000"
    )
    parser.add_argument("--quick", action="store_true", help="5 s budget (a smoke test)")
    parser.add_argument("--budget", type=float, default=None, help="seconds per method (60)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", metavar="FILE.json", help="also write the results here")
    parser.add_argument("--workers", type=int, default=2, help="NeuroLab's workers (1: inline)")
    parser.add_argument(
        "--population", type=int, default=64, help="NeuroLab's networks per generation"
    )
    parser.add_argument(
        "--pruner",
        default="median",
        choices=["none", "median", "halving", "hyperband"],
        help="NeuroLab Optuna's pruner",
    )
    parser.add_argument(
        "--markdown", metavar="FILE.json", help="print the README table of an --out file, and stop"
    )
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(Path(args.markdown).read_text())["results"]))
        return 0
    budget = args.budget or (5.0 if args.quick else 60.0)
    import torch

    from neurolab.data import load_data
    from neurolab.data.bayes import has_bayes_rule
    from neurolab.execution.process_pool import start_server
    from neurolab.spec import DataSpec

    # NeuroLab's workers fork from a server that imports torch once per process, as in the
    # desktop app; started here, before any clock runs, so that no method pays for it.
    start_server()

    print(
        f"budget {budget:g} s per method and dataset, seeds 0..{args.seeds - 1},"
        f" NeuroLab workers {args.workers}, population {args.population},"
        f" Optuna pruner {args.pruner}",
        flush=True,
    )
    table: dict[str, dict] = {}
    for entry in args.names:
        name, params = dataset(entry)
        runs: dict[str, list[dict]] = {}
        for seed in range(args.seeds):
            data = load_data(DataSpec(name=name, params=params), None, seed)
            for key, row in sklearn_baselines(data, seed).items():
                runs.setdefault(key, []).append(row)
            if has_bayes_rule(name):
                runs.setdefault("bayes_rule", []).append(bayes_rule(name, params, data))
            # One thread, as NeuroLab's inline trainer: small networks lose with more here.
            torch.set_num_threads(1)
            runs.setdefault("plain_optuna_torch", []).append(plain_optuna_torch(data, budget, seed))
            for key in ENGINES:
                runs.setdefault(key, []).append(neurolab(entry, key, budget, seed, args))
        table[entry] = {"task": data.task}
        for key, rows in runs.items():
            mean, std = _summary([r["test"] for r in rows])
            table[entry][key] = {
                "test_mean": mean,
                "test_std": std,
                "candidates": statistics.fmean(r["candidates"] for r in rows),
                "seconds": statistics.fmean(r["seconds"] for r in rows),
            }
            if "cv_folds" in rows[0]:
                table[entry][key]["cv_folds"] = [r["cv_folds"] for r in rows]
                table[entry][key]["pruned"] = statistics.fmean(r["pruned"] for r in rows)
        _print_dataset(entry, table[entry])
        if args.out:  # after every dataset, so a long run that is cut short keeps what it has
            Path(args.out).write_text(json.dumps({"budget": budget, "results": table}, indent=1))
    print(
        json.dumps(
            {
                "budget": budget,
                "seeds": args.seeds,
                "workers": args.workers,
                "population": args.population,
                "pruner": args.pruner,
                "results": table,
            }
        )
    )
    return 0


COLUMNS = {
    "neurolab_ga": "NeuroLab GA",
    "neurolab_optuna": "NeuroLab Optuna",
    "neurolab_optuna_random": "NeuroLab Optuna random",
    "neurolab_random": "NeuroLab random",
    "plain_optuna_torch": "Optuna + PyTorch loop",
    "baseline_linear": "LogReg / Ridge",
    "random_forest": "random forest",
    "hist_gradient_boosting": "hist. gradient boosting",
    "mlp_sklearn": "MLP (sklearn)",
    "bayes_rule": "Bayes rule (best possible)",
}


def markdown(results: dict[str, dict]) -> str:
    """The README table: test metric mean ± std (bold: NeuroLab's best engine), then the
    candidates each NeuroLab engine evaluated against the plain loop's."""
    head = ["dataset", *COLUMNS.values(), "candidates: GA / Optuna / Optuna random / random / loop"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, rows in results.items():
        rows = {
            ("baseline_linear" if k in ("logistic_regression", "ridge") else k): v
            for k, v in rows.items()
        }
        neuro = [
            k
            for k in COLUMNS
            if k.startswith("neurolab") and rows.get(k, {}).get("test_mean") is not None
        ]
        best = max(neuro, key=lambda k: rows[k]["test_mean"]) if neuro else None
        cells = [name if rows["task"] == "classification" else f"{name} (R²)"]
        for key in COLUMNS:
            row = rows.get(key, {"test_mean": None})
            text = (
                "–"
                if row["test_mean"] is None
                else f"{row['test_mean']:.3f} ± {row['test_std']:.3f}"
            )
            cells.append(f"**{text}**" if key == best else text)
        counts = [
            rows[k]["candidates"] if k in rows else None for k in (*ENGINES, "plain_optuna_torch")
        ]
        cells.append(" / ".join("–" if c is None else f"{c:.0f}" for c in counts))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _print_dataset(name: str, rows: dict) -> None:
    metric = "accuracy" if rows["task"] == "classification" else "R²"
    print(f"\n{name} (test {metric}, mean ± std over seeds; candidates; seconds)", flush=True)
    for key, row in rows.items():
        if key == "task":
            continue
        value = (
            "   -   "
            if row["test_mean"] is None
            else f"{row['test_mean']:.4f} ± {row['test_std']:.4f}"
        )
        folds = f"  cross-validation folds {row['cv_folds']}" if "cv_folds" in row else ""
        if row.get("pruned"):
            folds += f"  pruned {row['pruned']:.0f}"
        print(
            f"  {key:<24} {value}  {row['candidates']:8.1f}  {row['seconds']:6.1f}{folds}",
            flush=True,
        )
    neuro = {
        k: v for k, v in rows.items() if k.startswith("neurolab") and v["test_mean"] is not None
    }
    base = {
        k: v
        for k, v in rows.items()
        if k not in ("task", "plain_optuna_torch", "bayes_rule") and not k.startswith("neurolab")
    }
    if neuro:
        best_key = max(neuro, key=lambda k: neuro[k]["test_mean"])
        best_base = max(base, key=lambda k: base[k]["test_mean"])
        b, s = neuro[best_key], base[best_base]
        plain = rows["plain_optuna_torch"]
        verdict = (
            "matches or beats"
            # 1e-6: NeuroLab's metrics are float32, scikit-learn's float64 (0.9667 == 0.96667).
            if b["test_mean"] >= s["test_mean"] - max(b["test_std"], s["test_std"]) - 1e-6
            else "BELOW"
        )
        print(
            f"  -> best NeuroLab {best_key} {b['test_mean']:.4f} {verdict} best scikit-learn"
            f" {best_base} {s['test_mean']:.4f}; vs MLP at defaults {b['test_mean'] - rows['mlp_sklearn']['test_mean']:+.4f};"
            f" candidates {b['candidates'] / max(plain['candidates'], 1e-9):.1f}x the plain Optuna+PyTorch loop"
            f" ({plain['test_mean']:.4f})",
            flush=True,
        )
        if "bayes_rule" in rows:
            print(
                f"     the generator's Bayes rule scores {rows['bayes_rule']['test_mean']:.4f}"
                f" ± {rows['bayes_rule']['test_std']:.4f} on the same test rows",
                flush=True,
            )
        for key, row in neuro.items():
            print(
                f"     {key}: {row['candidates'] / max(plain['candidates'], 1e-9):.1f}x the"
                f" loop's candidates, test {row['test_mean'] - plain['test_mean']:+.4f}",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
