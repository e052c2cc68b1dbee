"""The feature transformation as plain data, so an exported model can read raw rows like training.

`fit_columns` learns per-column fill values and categories from the training rows only;
`encode_columns` turns raw columns into an unscaled matrix; `apply_preprocessing` adds the
scaling. Training and export both go through `encode_columns`, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from neurolab.data.columns import MISSING_CATEGORY, as_labels, label_sort_key, numeric_view
from neurolab.errors import DataError

PREPROCESSING_VERSION = 1


def fit_columns(frame: pd.DataFrame, kinds: dict[str, str]) -> list[dict[str, Any]]:
    """Per column: the median that fills a missing number, or the categories of a one-hot code.

    `frame` holds the training rows only, so nothing about validation or test rows leaks in.
    Missing categorical cells become their own category, '(missing)', because in real tables
    "not filled in" often means something (no phone given, plan not chosen).
    """
    columns: list[dict[str, Any]] = []
    for name, kind in kinds.items():
        if kind == "numeric":
            values = numeric_view(frame[name]).values
            finite = values[~np.isnan(values)]
            fill = float(np.median(finite)) if finite.size else 0.0
            columns.append({"name": name, "kind": "numeric", "fill": fill})
        else:
            labels = as_labels(frame[name]).fillna(MISSING_CATEGORY)
            categories = sorted(labels.unique().tolist(), key=label_sort_key)
            columns.append({"name": name, "kind": "categorical", "categories": categories})
    return columns


def encoded_names(columns: list[dict[str, Any]]) -> list[str]:
    """Model input names: 'age' for a number, 'city=Paris' for each one-hot category."""
    names: list[str] = []
    for column in columns:
        if column["kind"] == "numeric":
            names.append(column["name"])
        else:
            names.extend(f"{column['name']}={c}" for c in column["categories"])
    return names


def encode_columns(columns: list[dict[str, Any]], frame: pd.DataFrame) -> np.ndarray:
    """Raw columns -> unscaled float64 matrix: numbers imputed, categories one-hot encoded.

    A category never seen in training encodes as all zeros (the model has no input for it).
    """
    missing = [c["name"] for c in columns if c["name"] not in frame.columns]
    if missing:
        raise DataError(
            f"the data lacks the column(s) the model was trained on: {', '.join(map(repr, missing))}"
        )
    blocks = [_encode_one(column, frame[column["name"]]) for column in columns]
    if not blocks:
        return np.zeros((len(frame), 0))
    return np.hstack(blocks)


def _encode_one(column: dict[str, Any], series: pd.Series) -> np.ndarray:
    if column["kind"] == "numeric":
        values = numeric_view(series).values
        values[np.isnan(values)] = column["fill"]
        return values[:, None]
    labels = as_labels(series).fillna(MISSING_CATEGORY)
    codes = pd.Index(column["categories"], dtype=object).get_indexer(labels.to_numpy())
    block = np.zeros((len(series), len(column["categories"])))
    seen = codes >= 0
    block[np.flatnonzero(seen), codes[seen]] = 1.0
    return block


def fit_scaling(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per column; a constant column keeps scale 1 (no divide by 0)."""
    mean = matrix.mean(axis=0) if len(matrix) else np.zeros(matrix.shape[1])
    scale = matrix.std(axis=0) if len(matrix) else np.ones(matrix.shape[1])
    scale = np.where(scale > 1e-12, scale, 1.0)
    return mean, scale


def apply_preprocessing(preprocessing: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """Raw rows (feature columns as read from the CSV, no target needed) -> the model's inputs.

    Uses the same fill values, categories and scaling that training used, so an exported model
    gives the same answers as in NeuroLab. Extra columns in `frame` are ignored.
    """
    try:
        columns = preprocessing["columns"]
        mean = np.asarray(preprocessing["feature_mean"], dtype=np.float64)
        scale = np.asarray(preprocessing["feature_scale"], dtype=np.float64)
    except (KeyError, TypeError):
        raise DataError(
            "the preprocessing description is incomplete (saved by another version?)"
        ) from None
    matrix = encode_columns(columns, frame)
    return ((matrix - mean) / scale).astype(np.float32)
