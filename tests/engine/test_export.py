"""Round trips: a network exported from a project predicts raw CSV rows exactly as NeuroLab does."""

import ast
import csv
import importlib.util
import json
import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from neurolab.cli import main
from neurolab.data import builtin_points, load_data
from neurolab.export import export_model, load_candidate
from neurolab.spec import ExperimentSpec
from neurolab.store import ProjectStore

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
TINY = ["--population", "4", "--generations", "2", "--seed", "3"]
HAS_ONNX = all(importlib.util.find_spec(m) for m in ("onnx", "onnxruntime"))
FORMATS = [
    "torchscript",
    "safetensors",
    pytest.param("onnx", marks=pytest.mark.skipif(not HAS_ONNX, reason="needs neurolab[onnx]")),
]


def _run(tmp_path_factory, name: str, *args: str) -> Path:
    path = tmp_path_factory.mktemp(name) / f"{name}.nlab"
    assert main(["run", *args, *TINY, "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def customers(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("customers") / "customers.nlab"
    # More candidates than the finalists, whose weights are kept: some have none.
    more = [*TINY, "--population", "6"]
    assert main(["run", str(EXAMPLES / "customers.toml"), *more, "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def iris(tmp_path_factory) -> Path:
    return _run(tmp_path_factory, "iris", "--dataset", "iris")


@pytest.fixture(scope="module")
def sine(tmp_path_factory) -> Path:
    return _run(tmp_path_factory, "sine", "--dataset", "sine")


def neurolab_predictions(project: Path) -> tuple[np.ndarray, np.ndarray]:
    """(source row numbers, outputs) from NeuroLab itself: the training-time inputs of every
    split through the stored network (class indices, or values in the target's units)."""
    with ProjectStore(project, create=False) as store:
        spec = ExperimentSpec.from_dict(store.latest_run().spec)
    data = load_data(spec.data, spec.task, spec.seed)
    network = load_candidate(project).network()
    rows, outputs = [], []
    for split, x in (("train", data.x_train), ("val", data.x_val), ("test", data.x_test)):
        with torch.no_grad():
            out = network(torch.from_numpy(x)).numpy()
        rows.append(data.split_rows[split])
        if data.task == "classification":
            outputs.append(np.array(data.class_names, dtype=object)[out.argmax(axis=1)])
        else:
            outputs.append(out[:, 0] * data.target_scale + data.target_mean)
    return np.concatenate(rows), np.concatenate(outputs)


def predict_script(out: Path, rows: Path) -> list[list[str]]:
    """`python predict.py rows.csv` in a fresh interpreter (as a user runs it)."""
    done = subprocess.run(
        [sys.executable, str(out / "predict.py"), str(rows)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(csv.reader(done.stdout.splitlines()))


def predict_in_process(out: Path, rows: Path, capsys, monkeypatch) -> list[list[str]]:
    """The same script run in this process (saves the interpreter start-up with torch)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["predict.py", str(rows)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load, since torch 2.10
        runpy.run_path(str(out / "predict.py"), run_name="__main__")
    return list(csv.reader(capsys.readouterr().out.splitlines()))


def _imports(script: Path) -> set[str]:
    tree = ast.parse(script.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return {n.split(".")[0] for n in names} | {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }


def without_column(source: Path, column: str, dest: Path) -> Path:
    """The raw CSV minus one column, every other cell exactly as written."""
    with source.open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    drop = table[0].index(column)
    with dest.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([c for k, c in enumerate(r) if k != drop] for r in table)
    return dest


@pytest.mark.parametrize("fmt", FORMATS)
def test_customers_round_trip(customers, tmp_path, fmt, capsys, monkeypatch):
    out = export_model(customers, tmp_path / "model", fmt)
    assert "neurolab" not in _imports(out / "predict.py")  # stands alone
    rows = without_column(EXAMPLES / "customers.csv", "churned", tmp_path / "rows.csv")
    if fmt == "safetensors":  # a fresh interpreter (numpy and pandas only: quick to start)
        lines = predict_script(out, rows)
    else:  # the same script in this process, which has torch / onnxruntime imported already
        lines = predict_in_process(out, rows, capsys, monkeypatch)
    assert len(lines) == len(pd.read_csv(rows))  # one line per row, rows without a target too
    row_numbers, expected = neurolab_predictions(customers)
    predicted = np.array([line[-1] for line in lines], dtype=object)
    assert list(predicted[row_numbers]) == list(expected)
    assert set(expected) == {"no", "yes"}


def builtin_round_trip(project, name, tmp_path, fmt, capsys, monkeypatch):
    """predict.py's lines for every point of a built-in dataset, and NeuroLab's answers."""
    out = export_model(project, tmp_path / "model", fmt)
    x, _ = builtin_points(name)
    names = json.loads((out / "neurolab_model.json").read_text())["input_columns"]
    pd.DataFrame(x, columns=names).to_csv(tmp_path / "rows.csv", index=False)
    lines = predict_in_process(out, tmp_path / "rows.csv", capsys, monkeypatch)
    return lines, *neurolab_predictions(project)


@pytest.mark.parametrize("fmt", FORMATS)
def test_iris_round_trip(iris, tmp_path, fmt, capsys, monkeypatch):
    lines, rows, expected = builtin_round_trip(iris, "iris", tmp_path, fmt, capsys, monkeypatch)
    predicted = np.array([line[-1] for line in lines], dtype=object)
    assert list(predicted[rows]) == list(expected)
    probabilities = np.array([[float(v) for v in line[1:-1]] for line in lines])
    assert probabilities.shape == (150, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("fmt", FORMATS)
def test_regression_round_trip(sine, tmp_path, fmt, capsys, monkeypatch):
    lines, rows, expected = builtin_round_trip(sine, "sine", tmp_path, fmt, capsys, monkeypatch)
    predicted = np.array([float(line[-1]) for line in lines])
    np.testing.assert_allclose(predicted[rows], expected, rtol=1e-4, atol=1e-5)


def test_model_files_carry_their_preprocessing(iris, tmp_path):
    from safetensors import safe_open

    out = export_model(iris, tmp_path / "st", "safetensors")
    with safe_open(str(out / "model.safetensors"), "pt") as handle:
        embedded = json.loads(handle.metadata()["neurolab_model"])
    assert embedded["class_names"] == ["setosa", "versicolor", "virginica"]
    out = export_model(iris, tmp_path / "ts", "torchscript")
    extra = {"neurolab_model.json": ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load, since torch 2.10
        torch.jit.load(str(out / "model.pt"), _extra_files=extra)
    assert json.loads(extra["neurolab_model.json"]) == embedded | {
        "format": "torchscript",
        "model_file": "model.pt",
    }


def test_cli_export_and_bad_candidates(customers, tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["export", str(customers), "--format", "safetensors", "--out", str(out)]
    assert main(args) == 0
    assert (out / "predict.py").exists() and (out / "model.safetensors").exists()
    with ProjectStore(customers, create=False) as store:
        run_id = store.latest_run().run_id
        ids = [c.candidate_id for c in store.candidates(run_id)]
        without = [i for i in ids if store.load_weights(run_id, i) is None]
    capsys.readouterr()
    for candidate, message in (
        ("999", "has no candidate 999"),
        ("many", "give 'best' or a candidate id"),
        (str(without[0]), "were not kept"),
    ):
        assert main([*args, "--candidate", candidate]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert main(["export", str(tmp_path / "none.nlab"), "--format", "onnx", "--out", "x"]) == 2


def test_project_file_keeps_the_preprocessing(iris, tmp_path):
    with ProjectStore(iris, create=False) as store:
        run = store.latest_run()
        stored = store.preprocessing(run.run_id)
    spec = ExperimentSpec.from_dict(run.spec)
    assert stored == json.loads(
        json.dumps(load_data(spec.data, spec.task, spec.seed).preprocessing)
    )
    with ProjectStore(tmp_path / "old.nlab") as store:  # a file from before the table existed
        run_id = store.create_run({"name": "t"}, "accuracy", "cpu", [])
        assert store.preprocessing(run_id) is None
