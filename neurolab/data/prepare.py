"""`load_data`: a `DataSpec` -> `PreparedData` (split, imputed, encoded, scaled), with notes.

The order matters and mirrors what a careful analyst does: read and clean the file, pick the
target and drop rows without one, decide the task, choose usable feature columns (saying why each
other one was dropped), split into train / validation / test (stratified for classes), and only
then learn fill values, categories and scaling from the training rows, so that nothing about
validation or test rows leaks into the model's inputs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neurolab.data.builtin import dataset_info, generate, resolve_params
from neurolab.data.columns import (
    MISSING_CATEGORY,
    as_labels,
    column_kind,
    infer_task,
    label_sort_key,
    numeric_view,
)
from neurolab.data.csv_import import CsvTable, read_table
from neurolab.data.dataset import PreparedData
from neurolab.data.preprocessing import (
    PREPROCESSING_VERSION,
    encode_columns,
    encoded_names,
    fit_columns,
    fit_scaling,
)
from neurolab.data.split import split_rows
from neurolab.errors import DataError
from neurolab.spec import DataSpec

MIN_ROWS = 10  # fewer usable rows cannot fill training, validation and test sets
MAX_CATEGORIES = 50  # a text column with more values is dropped rather than one-hot encoded
MAX_CLASSES = 100  # more distinct target values than this is a quantity, not classes
TASKS = ("classification", "regression")


@dataclass
class _Table:
    """Usable rows before splitting: raw feature cells with their kinds, and the encoded target."""

    source: str
    task: str
    features: pd.DataFrame  # raw cells; the index is the row number in the source
    kinds: dict[str, str]  # feature column -> "numeric" | "categorical", in order
    y: np.ndarray  # int64 class indices or float64 values
    class_names: list[str]
    target_name: str
    where: str  # how messages name the data: the file name, or the dataset name
    notes: list[str] = field(default_factory=list)


def load_data(spec: DataSpec, task: str | None = None, seed: int = 0) -> PreparedData:
    """Load a built-in dataset or a CSV file and prepare it for training.

    `task` None means "infer it" (see `infer_task`); `seed` fixes the split, so a seed always
    gives the same arrays. Raises `DataError` with a message for the user when the data cannot
    be used; everything it fixes along the way is listed in `PreparedData.notes`.

    Choices: rows without a target are dropped; classes with a single row are dropped; missing
    numbers are imputed with the median of the training rows; missing categories become their
    own category '(missing)'; text in a numeric column counts as missing (infinite values are refused);
    text columns are one-hot encoded unless they have more than 50 values (then dropped);
    constant, empty and ID columns are dropped; at least 10 usable rows are required.
    """
    if task is not None and task not in TASKS:
        raise DataError(f"unknown task {task!r}; use 'classification' or 'regression'")
    table = _builtin_table(spec, task) if spec.name is not None else _csv_table(spec, task)
    return _prepare(table, spec, seed)


# --- built-in datasets ------------------------------------------------------------------------
def _builtin_table(spec: DataSpec, task: str | None) -> _Table:
    name = spec.name or ""
    info = dataset_info(name)
    if task is not None and task != info.task:
        raise DataError(f"{name!r} is a {info.task} dataset, but the experiment asks for {task}")
    params = resolve_params(name, spec.params)
    points = generate(name, params)
    frame = pd.DataFrame(points.x, columns=points.feature_names)
    if params:
        shown = ", ".join(f"{k} {v}" for k, v in params.items() if k != "n_samples")
        note = f"generated {len(frame)} points of {name!r} ({shown})"
    else:
        note = f"loaded {name!r} (bundled with scikit-learn): {len(frame)} rows, {frame.shape[1]} features"
    return _Table(
        spec.describe(),
        info.task,
        frame,
        dict.fromkeys(frame.columns, "numeric"),
        points.y,
        points.class_names,
        points.target_name,
        name,
        [note],
    )


# --- CSV files --------------------------------------------------------------------------------
def _csv_table(spec: DataSpec, task: str | None) -> _Table:
    path = Path(spec.csv or "")
    table = read_table(path)
    notes = table.notes
    target = _resolve_target(spec.target or "", table, path.name)
    candidates = _resolve_features(spec.features, target, table, path.name)
    target_cells = table.frame[target]
    n_labelled = int(as_labels(target_cells).notna().sum())
    if n_labelled == 0:
        raise DataError(f"{path.name}: the target column {target!r} is empty in every row")
    _check_enough_rows(n_labelled, path.name)
    if task is None:
        task = infer_task(target_cells)
        notes.append(f"inferred the task from the target {target!r}: {task}")
    encode = _class_target if task == "classification" else _numeric_target
    y, class_names, keep = encode(target_cells, target, path.name, notes)
    frame = table.frame.loc[keep]
    _check_enough_rows(len(frame), path.name)
    kinds = _usable_columns(frame, candidates, table, path.name, notes)
    return _Table(
        str(path), task, frame[list(kinds)], kinds, y, class_names, target, path.name, notes
    )


def _resolve_target(target: str, table: CsvTable, name: str) -> str:
    columns = [str(c) for c in table.frame.columns]
    if target in columns:
        return target
    folded = [c for c in columns if c.casefold() == target.strip().casefold()]
    if len(folded) == 1:
        table.notes.append(f"used column {folded[0]!r} as the target {target!r}")
        return folded[0]
    if target in table.dropped:
        raise DataError(
            f"{name}: the target column {target!r} cannot be used: it is an {table.dropped[target]}"
        )
    raise DataError(
        f"{name}: there is no column {target!r} for the target."
        f"{_suggest(target, columns)} {_list_columns(columns)}"
    )


def _resolve_features(
    features: list[str] | None, target: str, table: CsvTable, name: str
) -> list[str]:
    """The candidate feature columns: all but the target, or those listed in the spec."""
    columns = [str(c) for c in table.frame.columns]
    if features is None:
        return [c for c in columns if c != target]
    chosen: list[str] = []
    for feature in dict.fromkeys(features):
        if feature == target:
            table.notes.append(f"ignored feature {feature!r}: it is the target")
        elif feature in table.dropped:
            table.notes.append(f"ignored feature {feature!r}: {table.dropped[feature]}")
        elif feature in columns:
            chosen.append(feature)
        else:
            raise DataError(
                f"{name}: there is no column {feature!r} (listed in `features`)."
                f"{_suggest(feature, columns)} {_list_columns(columns)}"
            )
    table.notes.append(f"used the {len(chosen)} feature columns listed in `features`")
    return chosen


def _suggest(wanted: str, columns: list[str]) -> str:
    lower = {c.casefold(): c for c in columns}
    close = difflib.get_close_matches(wanted.casefold(), list(lower), n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(lower[c]) for c in close)}?" if close else ""


def _list_columns(columns: list[str]) -> str:
    shown = ", ".join(map(repr, columns[:30]))
    more = f" and {len(columns) - 30} more" if len(columns) > 30 else ""
    hint = ""
    if columns and all(_is_number(c) for c in columns):
        hint = " (the first line looks like data, not column names: add a header line)"
    return f"Columns: {shown}{more}{hint}."


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _class_target(
    cells: pd.Series, target: str, name: str, notes: list[str]
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Class indices into sorted class names; rows without a label and one-row classes dropped."""
    labels = as_labels(cells)
    present = labels.notna().to_numpy()
    _note_count(notes, int((~present).sum()), "dropped {} without a target", "row")
    counts = labels[present].value_counts()
    if len(counts) == 1:
        raise DataError(
            f"{name}: the target {target!r} has only one class ({counts.index[0]!r} in all "
            f"{counts.iloc[0]} rows); a classifier needs at least two classes"
        )
    if len(counts) > MAX_CLASSES:
        raise DataError(
            f"{name}: the target {target!r} has {len(counts)} different values, too many classes "
            f"(limit {MAX_CLASSES}); if it is a quantity, use the task 'regression'"
        )
    single = sorted(counts.index[counts < 2], key=label_sort_key)
    kept = counts[counts >= 2]
    if len(kept) < 2 or 2 * len(single) > counts.sum():
        raise DataError(
            f"{name}: the target {target!r} has {len(counts)} different values in "
            f"{int(counts.sum())} rows, {len(single)} of them in a single row; a class needs at "
            "least 2 rows to be learned and tested. If the target is a quantity, use the task "
            "'regression'"
        )
    if single:
        shown = ", ".join(map(repr, single[:5])) + (" ..." if len(single) > 5 else "")
        notes.append(
            f"dropped {_plural(len(single), 'class', 'classes')} with a single row "
            f"({shown}): a class needs at least 2 rows to be learned and tested"
        )
    class_names = sorted(kept.index, key=label_sort_key)
    keep = labels.isin(class_names).to_numpy()
    codes = pd.Index(class_names, dtype=object).get_indexer(labels[keep].to_numpy())
    return codes.astype(np.int64), [str(c) for c in class_names], keep


def _numeric_target(
    cells: pd.Series, target: str, name: str, notes: list[str]
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Float values; rows with an empty or non-numeric target dropped (infinities refused)."""
    view = numeric_view(cells)
    if not view.is_numeric:
        examples = ", ".join(map(repr, view.junk_examples))
        raise DataError(
            f"{name}: the target {target!r} is not numeric (values like {examples}); regression "
            "needs numbers. Use the task 'classification', or leave the task empty to detect it"
        )
    _note_count(notes, int(cells.isna().sum()), "dropped {} without a target", "row")
    if view.n_junk:
        examples = ", ".join(map(repr, view.junk_examples))
        _note_count(
            notes, view.n_junk, f"dropped {{}} whose target is not a number ({examples})", "row"
        )
    _refuse_infinite(view.n_infinite, target, name)
    keep = ~np.isnan(view.values)
    return view.values[keep], [], keep


def _check_enough_rows(n: int, name: str) -> None:
    if n < MIN_ROWS:
        raise DataError(
            f"{name}: only {_plural(n, 'usable data row', 'usable data rows')}; at least "
            f"{MIN_ROWS} are needed to split into training, validation and test sets"
        )


def _usable_columns(
    frame: pd.DataFrame, candidates: list[str], table: CsvTable, name: str, notes: list[str]
) -> dict[str, str]:
    """Kind of each usable feature column; useless ones dropped with a note saying why."""
    kinds: dict[str, str] = {}
    reasons = {c: r for c, r in table.dropped.items() if c not in frame.columns}
    for column in candidates:
        kind = column_kind(frame[column], column)
        reason = _drop_reason(frame[column], kind)
        if reason:
            notes.append(f"dropped column {column!r} ({reason})")
            reasons[column] = reason
            continue
        if kind == "numeric":
            _note_bad_numbers(frame[column], column, name, notes)
        kinds[column] = kind
    if not kinds:
        why = (
            "; ".join(f"{c!r}: {r}" for c, r in reasons.items()) or "the file has no other columns"
        )
        raise DataError(
            f"{name}: no usable feature column besides the target ({why}). Add "
            "columns that describe each row, or list other ones in `features`"
        )
    return kinds


def _drop_reason(series: pd.Series, kind: str) -> str | None:
    if kind == "empty":
        return "empty: no values"
    if kind == "constant":
        return f"constant: always {as_labels(series).dropna().iloc[0]!r}"
    if kind == "id":
        return "ID or name column: a different value in every row"
    if kind == "categorical":
        n = as_labels(series).nunique()
        if n > MAX_CATEGORIES:
            return f"{n} different values, too many categories to one-hot encode (limit {MAX_CATEGORIES})"
    return None


def _note_bad_numbers(series: pd.Series, column: str, name: str, notes: list[str]) -> None:
    view = numeric_view(series)
    _refuse_infinite(view.n_infinite, column, name)
    if view.n_junk:
        examples = ", ".join(map(repr, view.junk_examples))
        _note_count(
            notes,
            view.n_junk,
            f"treated {{}} in {column!r} as missing ({examples})",
            "non-numeric value",
        )


def _refuse_infinite(count: int, column: str, name: str) -> None:
    """Infinities are a computation gone wrong upstream (a division by zero), not a measurement:
    guessing what they stand for would hide it, so the user decides."""
    if count:
        raise DataError(
            f"{name}: column {column!r} holds {_plural(count, 'infinite value')} ('inf'); "
            "fix them at the source, or leave the cells empty if they mean 'unknown'"
        )


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _note_count(notes: list[str], n: int, template: str, noun: str) -> None:
    if n:
        notes.append(template.format(_plural(n, noun)))


# --- split, fit, scale ----------------------------------------------------------------------
def _prepare(table: _Table, spec: DataSpec, seed: int) -> PreparedData:
    notes = table.notes
    _check_enough_rows(len(table.y), table.where)
    labels = table.y if table.task == "classification" else None
    split = split_rows(
        len(table.y), labels, spec.test_fraction, spec.val_fraction, seed, table.where
    )
    notes.append(split.note(seed))
    train, val, test = split.train, split.val, split.test
    columns = fit_columns(table.features.iloc[train], table.kinds)
    _note_encoding(columns, table.features, notes)
    matrix = encode_columns(columns, table.features)
    mean, scale = fit_scaling(matrix[train])
    x = ((matrix - mean) / scale).astype(np.float32)
    notes.append(
        f"scaled {_plural(x.shape[1], 'feature')} to mean 0 and standard deviation 1 "
        "using the training rows"
    )
    y, target_mean, target_scale = _scaled_target(table, train, notes)
    rows = table.features.index.to_numpy(dtype=np.int64)
    preprocessing = {
        "version": PREPROCESSING_VERSION,
        "source": table.source,
        "task": table.task,
        "target": table.target_name,
        "input_columns": list(table.kinds),
        "columns": columns,
        "feature_names": encoded_names(columns),
        "feature_mean": [float(v) for v in mean],
        "feature_scale": [float(v) for v in scale],
        "class_names": list(table.class_names),
        "target_mean": target_mean,
        "target_scale": target_scale,
    }
    return PreparedData(
        task=table.task,
        x_train=x[train],
        y_train=y[train],
        x_val=x[val],
        y_val=y[val],
        x_test=x[test],
        y_test=y[test],
        feature_names=encoded_names(columns),
        class_names=list(table.class_names),
        target_name=table.target_name,
        source=table.source,
        notes=notes,
        target_mean=target_mean,
        target_scale=target_scale,
        preprocessing=preprocessing,
        split_rows={"train": rows[train], "val": rows[val], "test": rows[test]},
    )


def _note_encoding(columns: list[dict[str, Any]], frame: pd.DataFrame, notes: list[str]) -> None:
    """One note per imputed or one-hot encoded column (counts over all rows)."""
    for column in columns:
        cells = frame[column["name"]]
        if column["kind"] == "numeric":
            n_missing = int(np.isnan(numeric_view(cells).values).sum())
            _note_count(
                notes,
                n_missing,
                f"imputed {{}} in {column['name']!r} with the median "
                f"of the training rows ({column['fill']:g})",
                "missing value",
            )
            continue
        n_missing = int(as_labels(cells).isna().sum())
        _note_count(
            notes,
            n_missing,
            f"filled {{}} in {column['name']!r} with the category {MISSING_CATEGORY!r}",
            "missing value",
        )
        notes.append(
            f"one-hot encoded {column['name']!r} "
            f"({_plural(len(column['categories']), 'category', 'categories')})"
        )


def _scaled_target(
    table: _Table, train: np.ndarray, notes: list[str]
) -> tuple[np.ndarray, float, float]:
    """Class indices as they are; regression values standardised with training statistics."""
    if table.task == "classification":
        return table.y.astype(np.int64), 0.0, 1.0
    values = table.y.astype(np.float64)
    mean = float(values[train].mean())
    scale = float(values[train].std())
    scale = scale if scale > 1e-12 else 1.0
    notes.append(
        f"scaled the target {table.target_name!r} to mean 0 and standard deviation 1 "
        f"using the training rows (mean {mean:.4g}, scale {scale:.4g})"
    )
    return ((values - mean) / scale).astype(np.float32), mean, scale
