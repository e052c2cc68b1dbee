"""Predict with a network exported by NeuroLab (`neurolab-run export`).

    python predict.py rows.csv            # rows of the original CSV: feature columns, no target

Prints one line per row: the row number, then (for a classifier) one probability per class, and
last the prediction (a class label, or a value in the target's units). The file next to this
script, `neurolab_model.json`, says how raw cells become the network's inputs: the same fill
values for missing numbers, the same one-hot categories and the same scaling as in training.

This script does not need NeuroLab: numpy and pandas, plus torch for `model.pt`, onnxruntime
for `model.onnx`, or nothing more for `model.safetensors` (read here with numpy).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
MISSING_CATEGORY = "(missing)"
# Text typed into a cell to mean "no value" (pandas already reads "", "NA", "n/a", ... as missing).
MISSING_MARKERS = frozenset(
    {"?", "??", "-", "--", "---", ".", "missing", "n.a.", "n/a", "na", "nan", "null", "none",
     "#n/a", "#na", "#value!", "#div/0!"}
)  # fmt: skip


# --- reading raw rows the way NeuroLab read them ------------------------------------------------
def read_rows(path: str) -> pd.DataFrame:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = handle.readline()
    delimiter = max(",;\t|", key=lambda d: len(next(csv.reader([header], delimiter=d), [])))
    frame = pd.read_csv(path, sep=delimiter, skipinitialspace=True, low_memory=False,
                        encoding="utf-8-sig", index_col=False)  # fmt: skip
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _numbers(series: pd.Series) -> np.ndarray:
    """float64, NaN where a cell is empty, text or infinite; True/False is not a number."""
    if pd.api.types.is_bool_dtype(series):
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan).copy()
    else:
        text = series.where(series.isna(), series.astype(str).str.strip())
        numbers = pd.to_numeric(text, errors="coerce")
        values = numbers.to_numpy(dtype=np.float64, na_value=np.nan).copy()
    values[np.isinf(values)] = np.nan
    return values


def _number_label(value: float) -> str:
    if value == round(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _label(cell: object) -> str:
    """A cell as a category label: numbers written canonically, text stripped, markers missing."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell is pd.NA:
        return MISSING_CATEGORY
    if isinstance(cell, (bool, np.bool_)):
        return str(bool(cell))
    text = str(cell).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and not math.isnan(number):
        return MISSING_CATEGORY if math.isinf(number) else _number_label(number)
    if text == "" or text.casefold() in MISSING_MARKERS:
        return MISSING_CATEGORY
    return text


def network_inputs(model: dict, frame: pd.DataFrame) -> np.ndarray:
    """Raw feature columns -> scaled float32 inputs: impute, one-hot encode, standardise."""
    missing = [c["name"] for c in model["columns"] if c["name"] not in frame.columns]
    if missing:
        sys.exit(f"predict.py: error: the rows lack the column(s) {', '.join(map(repr, missing))}")
    blocks = []
    for column in model["columns"]:
        series = frame[column["name"]]
        if column["kind"] == "numeric":
            values = _numbers(series)
            values[np.isnan(values)] = column["fill"]
            blocks.append(values[:, None])
            continue
        index = {category: k for k, category in enumerate(column["categories"])}
        block = np.zeros((len(series), len(index)))
        for row, cell in enumerate(series.tolist()):
            k = index.get(_label(cell))
            if k is not None:  # a category never seen in training has no input: all zeros
                block[row, k] = 1.0
        blocks.append(block)
    matrix = np.hstack(blocks) if blocks else np.zeros((len(frame), 0))
    mean = np.asarray(model["feature_mean"], dtype=np.float64)
    scale = np.asarray(model["feature_scale"], dtype=np.float64)
    return ((matrix - mean) / scale).astype(np.float32)


# --- the network, in each exported format -------------------------------------------------------
def run_torchscript(path: Path, x: np.ndarray) -> np.ndarray:
    import torch

    network = torch.jit.load(str(path), map_location="cpu").eval()
    with torch.no_grad():
        return network(torch.from_numpy(x)).numpy()


def run_onnx(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The safetensors format by hand: 8 bytes of header length, a JSON header, raw tensors."""
    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    dtypes = {"F32": np.float32, "F64": np.float64, "F16": np.float16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        data = np.frombuffer(raw[8 + size + start : 8 + size + end], dtype=dtypes[info["dtype"]])
        tensors[name] = data.reshape(info["shape"]).astype(np.float32)
    return tensors


_ACTIVATIONS = {
    "relu": lambda v: np.maximum(v, 0),
    "tanh": np.tanh,
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "gelu": lambda v: 0.5 * v * (1 + np.vectorize(math.erf, otypes=[np.float64])(v / math.sqrt(2))),
    "leaky_relu": lambda v: np.where(v >= 0, v, 0.01 * v),
    "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0))),
    "silu": lambda v: v / (1 + np.exp(-v)),
    "identity": lambda v: v,
}


def run_safetensors(path: Path, x: np.ndarray, model: dict) -> np.ndarray:
    """The MLP in numpy (dropout is off at prediction time), then the same output head."""
    weights = read_safetensors(path)
    values = x.astype(np.float64)
    for layer in model["layers"]:
        values = values @ weights[layer["weight"]].T.astype(np.float64) + weights[layer["bias"]]
        if layer["activation"]:
            values = _ACTIVATIONS[layer["activation"]](values)
    if model["task"] == "classification":
        shifted = np.exp(values - values.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    return values * model["target_scale"] + model["target_mean"]


def predict(model: dict, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Network outputs (class probabilities, or values) and the prediction of each row."""
    x = network_inputs(model, frame)
    path = HERE / model["model_file"]
    if model["format"] == "torchscript":
        outputs = run_torchscript(path, x)
    elif model["format"] == "onnx":
        outputs = run_onnx(path, x)
    else:
        outputs = run_safetensors(path, x, model)
    if model["task"] == "classification":
        names = model["class_names"]
        return outputs, [names[k] for k in outputs.argmax(axis=1)]
    return outputs, [repr(float(v)) for v in outputs[:, 0]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", help="a CSV file with the feature columns the model was trained on")
    args = parser.parse_args()
    model = json.loads((HERE / "neurolab_model.json").read_text(encoding="utf-8"))
    outputs, predictions = predict(model, read_rows(args.rows))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    for row, (output, prediction) in enumerate(zip(outputs, predictions, strict=True), start=1):
        extra = [f"{p:.6f}" for p in output] if model["task"] == "classification" else []
        writer.writerow([row, *extra, prediction])


if __name__ == "__main__":
    main()
