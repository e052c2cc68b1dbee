"""Judging single columns: is it numbers, categories, an ID, constant or empty?

One place decides this for CSV import (which drops ID columns), preparation (which imputes,
one-hot encodes and drops useless columns), `apply_preprocessing` (which must read raw rows
exactly the way training did) and the GUI's detected-types display, so the four never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Text that people type into a cell to mean "no value" (pandas already turns "", "NA", "n/a",
# "null", "NaN", "None" and a few more into missing values when it reads a CSV).
MISSING_MARKERS = frozenset(
    {
        "?",
        "??",
        "-",
        "--",
        "---",
        ".",
        "missing",
        "n.a.",
        "n/a",
        "na",
        "nan",
        "null",
        "none",
        "#n/a",
        "#na",
        "#value!",
        "#div/0!",
    }
)
MISSING_CATEGORY = "(missing)"
# A column whose values are all distinct is only called an ID (and dropped) from this many rows
# on: in a tiny table every column looks unique.
MIN_ROWS_FOR_ID = 10

_ID_SUFFIX = re.compile(r"(^|[_\s.\-])(id|uuid|guid|key)$")
_ID_CAMEL = re.compile(r"[a-z0-9](Id|ID)$")
_INDEX_NAMES = frozenset({"index", "idx", "row", "rowid", "row_id", "row_number", "rownum", "#"})


def is_unnamed(name: str) -> bool:
    """True for a column the file gave no header (pandas calls it 'Unnamed: 3')."""
    return name == "" or name.startswith("Unnamed: ")


def is_id_name(name: str) -> bool:
    """True for names like 'id', 'customer_id', 'CustomerID', 'order key', 'uuid', 'index'."""
    lower = name.strip().lower()
    return bool(_ID_SUFFIX.search(lower) or _ID_CAMEL.search(name.strip())) or lower in _INDEX_NAMES


def is_index_name(name: str) -> bool:
    """True for the names an exported row index usually gets."""
    return is_unnamed(name) or name.strip().lower() in _INDEX_NAMES | {"id", "no", "nr"}


@dataclass(frozen=True)
class NumericView:
    """A column read as numbers: text and infinities become NaN, and are counted."""

    values: np.ndarray  # float64, NaN where missing, not a number, or infinite
    n_present: int  # cells that are not empty
    n_junk: int  # filled cells that hold text, not a number
    junk_examples: list[str]  # the commonest such texts, at most three
    n_infinite: int

    @property
    def is_numeric(self) -> bool:
        """Numbers are the column's content: more than half of the filled cells are numbers."""
        return self.n_present > 0 and (self.n_present - self.n_junk) * 2 > self.n_present


def numeric_view(series: pd.Series) -> NumericView:
    """Read a column as float64, so a numeric column with a few 'n/a' or '?' cells stays numeric.

    Infinite values are treated as missing everywhere (they are nearly always a division by zero
    upstream, and a network cannot use them); callers note how many there were. True/False is
    not a number here (it is a two-valued category).
    """
    n_present = int(series.notna().sum())
    if pd.api.types.is_bool_dtype(series):
        return NumericView(np.full(len(series), np.nan), n_present, n_present, ["True/False"], 0)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan).copy()
        n_junk, examples = 0, []
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        text = _stripped(uniques)
        numbers = _to_numbers(text)
        values = np.append(numbers, np.nan)[codes]  # code -1 (missing) -> the appended NaN
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        bad = np.flatnonzero(np.isnan(numbers))
        n_junk = int(counts[bad].sum())
        examples = [str(text[k]) for k in bad[np.argsort(-counts[bad], kind="stable")[:3]]]
    infinite = np.isinf(values)
    values[infinite] = np.nan
    return NumericView(values, n_present, n_junk, examples, int(infinite.sum()))


def _stripped(uniques: pd.Index) -> np.ndarray:
    """Distinct values as stripped text (object array)."""
    return pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip().to_numpy(object)


def _to_numbers(text: np.ndarray) -> np.ndarray:
    """float64 per text, NaN where it is not a number."""
    numbers = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce")
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def format_number(value: float) -> str:
    """'3' for 3.0, '0.25' for 0.25: labels shown the way a person would write them."""
    return str(_number_labels(np.array([value], dtype=np.float64))[0])


def _number_labels(values: np.ndarray) -> np.ndarray:
    labels = np.empty(len(values), dtype=object)
    whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)
    labels[whole] = values[whole].astype(np.int64).astype(str).tolist()
    labels[~whole] = [repr(float(v)) for v in values[~whole]]
    return labels


def _label_values(uniques: pd.Index) -> np.ndarray:
    """Label per distinct value; None for missing markers and infinities (missing everywhere)."""
    if pd.api.types.is_bool_dtype(uniques):
        return np.array([str(bool(v)) for v in uniques], dtype=object)
    if pd.api.types.is_numeric_dtype(uniques):
        numbers = np.asarray(uniques, dtype=np.float64)
        labels = _number_labels(numbers)
    else:
        text = _stripped(uniques)
        numbers = _to_numbers(text)
        labels = text.copy()
        is_number = ~np.isnan(numbers)
        labels[is_number] = _number_labels(numbers[is_number])
        folded = pd.Series(text, dtype=object).str.casefold()
        labels[(folded.isin(MISSING_MARKERS) | (folded == "")).to_numpy()] = None
    labels[np.isinf(numbers)] = None
    return labels


def as_labels(series: pd.Series) -> pd.Series:
    """A column as category labels (str, or None for missing), index kept.

    Numbers are written canonically ('1.0' and '1' are the same label), text is stripped, and
    missing-value markers such as '?' or '-' and infinite numbers count as missing. Works on the
    distinct values only, so it is fast on long columns.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = np.append(_label_values(uniques), None)
    return pd.Series(labels[codes], index=series.index, dtype=object)


def label_sort_key(label: str) -> tuple[int, float, str]:
    """Numbers first and numerically ('2' before '10'), then text case-insensitively."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label.casefold())


def column_kind(series: pd.Series, name: str) -> str:
    """'empty', 'constant', 'id', 'numeric' or 'categorical' (see `column_kinds`)."""
    is_number_dtype = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
        series
    )
    present = series.dropna() if is_number_dtype else as_labels(series).dropna()
    if present.empty:
        return "empty"
    n_distinct = present.nunique()
    if n_distinct == 1:
        return "constant"
    unique = n_distinct == len(present)
    if is_id_name(name):
        if unique:
            return "id"
        return "categorical"  # a code shared by rows (store_id): a group, not a quantity
    if is_number_dtype or numeric_view(series).is_numeric:
        return "numeric"
    if unique and len(present) >= MIN_ROWS_FOR_ID:
        return "id"
    return "categorical"


def column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's detected kind, for the GUI's type display and for preparation.

    - 'empty': no values at all. - 'constant': one value (missing cells aside).
    - 'id': a different value in every row, and either an ID-like name (id, customer_id,
      CustomerID, uuid, index, ...) or text (names, e-mails); unique *numbers* with an ordinary
      name are kept as numbers.
    - 'numeric': more than half of the filled cells are numbers (the rest count as missing).
    - 'categorical': everything else, and ID-like names whose values repeat (a store code).
    """
    return {str(name): column_kind(frame[name], str(name)) for name in frame.columns}


def infer_task(series: pd.Series) -> str:
    """'classification' or 'regression' for a target column, guessed from its values.

    Rule (missing values ignored): text or True/False -> classification. Numbers -> classification
    only when every value is a whole number and there are few distinct values: at most 10, or at
    most 20 when that is also under 5 % of the rows (so 0/1, 1..5 ratings or digit labels are
    classes, while prices, ages or counts with many levels are regression). An empty column is
    called classification. Pass the task explicitly to override.
    """
    present = series.dropna()
    if present.empty or pd.api.types.is_bool_dtype(present):
        return "classification"
    view = numeric_view(present)
    if not view.is_numeric:
        return "classification"
    values = view.values[~np.isnan(view.values)]
    if values.size == 0:
        return "classification"
    whole = bool(np.all(values == np.round(values)))
    n_distinct = len(np.unique(values))
    few = n_distinct <= 10 or (n_distinct <= 20 and n_distinct < 0.05 * values.size)
    return "classification" if whole and few else "regression"
