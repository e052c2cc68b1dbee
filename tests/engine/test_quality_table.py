"""`benchmarks/quality.py --markdown`: the README's table from a results file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

QUALITY = Path(__file__).parents[2] / "benchmarks" / "quality.py"


def _quality():
    spec = importlib.util.spec_from_file_location("quality", QUALITY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(mean: float, std: float = 0.01, candidates: float = 1.0) -> dict:
    return {"test_mean": mean, "test_std": std, "candidates": candidates, "seconds": 1.0}


def test_the_table_bolds_neurolabs_best_and_shows_the_bayes_rule_where_there_is_one() -> None:
    quality = _quality()
    engines = {"neurolab_ga": 0.98, "neurolab_optuna": 0.99, "neurolab_optuna_random": 0.97}
    circles = {"task": "classification", "logistic_regression": _row(0.47)}
    circles |= {key: _row(value, candidates=600) for key, value in engines.items()}
    circles |= {"neurolab_random": {"test_mean": None, "candidates": 0}}
    circles |= {"plain_optuna_torch": _row(0.99, candidates=60), "bayes_rule": _row(0.995)}
    iris = {"task": "classification", "ridge": _row(0.9), "mlp_sklearn": _row(0.95)}
    lines = quality.markdown({"circles": circles, "iris": iris}).splitlines()
    assert "Bayes rule (best possible)" in lines[0]
    cells = [c.strip() for c in lines[2].split("|")[1:-1]]
    header = [c.strip() for c in lines[0].split("|")[1:-1]]
    by_column = dict(zip(header, cells, strict=True))
    assert by_column["NeuroLab Optuna"] == "**0.990 ± 0.010**"
    assert by_column["NeuroLab random"] == "–"
    assert by_column["LogReg / Ridge"] == "0.470 ± 0.010"
    assert by_column["Bayes rule (best possible)"] == "0.995 ± 0.010"
    assert cells[-1] == "600 / 600 / 600 / 0 / 60"
    iris_cells = dict(zip(header, [c.strip() for c in lines[3].split("|")[1:-1]], strict=True))
    assert (
        iris_cells["Bayes rule (best possible)"] == "–"
        and iris_cells["LogReg / Ridge"] == "0.900 ± 0.010"
    )


def test_a_dataset_argument_can_change_a_toys_parameters() -> None:
    quality = _quality()
    assert quality.dataset("iris") == ("iris", {})
    assert quality.dataset("circles:n_samples=2000,noise=0.2") == (
        "circles",
        {"n_samples": 2000, "noise": 0.2},
    )
