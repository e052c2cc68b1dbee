"""CSV import: messy-but-usable files are fixed and noted, unusable ones refused with a reason."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neurolab.data import PreparedData, apply_preprocessing, column_kinds, load_data, read_csv
from neurolab.errors import DataError
from neurolab.spec import DataSpec

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "data" / "good"
BAD = ROOT / "tests" / "data" / "bad"
CUSTOMERS = ROOT / "resources" / "examples" / "customers.csv"


def load_csv(
    path: Path | str, target: str = "label", task: str | None = None, seed: int = 0, **spec: object
) -> PreparedData:
    return load_data(DataSpec(csv=str(path), target=target, **spec), task, seed)


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def xy_rows(n: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).round(3)
    return "".join(f"{a},{b},{'a' if a + b > 0 else 'b'}\n" for a, b in x)


def assert_note(data: PreparedData, phrase: str) -> None:
    assert any(phrase in note for note in data.notes), f"no note with {phrase!r} in {data.notes}"


# --- messy but usable -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "target", "phrases"),
    [
        ("index_named.csv", "label", ["dropped column 'index' (exported row index)"]),
        (
            "ids_and_names.csv",
            "label",
            [
                "dropped column 'id' (ID",
                "dropped column 'name' (ID",
                "dropped column 'email' (ID",
                "one-hot encoded 'city' (3",
            ],
        ),
        ("missing_target.csv", "label", ["dropped 3 rows without a target"]),
        (
            "junk_numeric.csv",
            "label",
            [
                "treated 4 non-numeric values in 'income' as missing",
                "imputed 5 missing values in 'income' with the median",
            ],
        ),
        ("mostly_text.csv", "label", ["one-hot encoded 'size'"]),
        (
            "missing_values.csv",
            "label",
            [
                "imputed 5 missing values in 'age' with the median",
                "filled 5 missing values in 'city' with the category '(missing)'",
            ],
        ),
        (
            "constant.csv",
            "label",
            ["dropped column 'country' (constant: always 'US')", "dropped column 'notes' (empty"],
        ),
        ("bom.csv", "label", ["byte-order mark"]),
        ("semicolon.csv", "label", ["semicolon-separated", "decimal commas"]),
        ("tab.tsv", "label", ["tab-separated"]),
        ("quoted_newlines.csv", "label", ["dropped column 'comment' (ID or name"]),
        ("rare_class.csv", "label", ["dropped 1 class with a single row ('c')"]),
        ("sep_line.csv", "label", ["'sep=;'"]),
        ("trailing_delimiter.csv", "label", ["comma at the end of every line"]),
        ("utf16.csv", "label", ["UTF-16"]),
        ("row_names.csv", "label", ["dropped row names"]),
        (
            "regression.csv",
            "price",
            ["dropped 1 row whose target is not a number ('?')", "scaled the target 'price'"],
        ),
        ("yes_no.csv", "bought", ["one-hot encoded 'member' (2 categories)"]),
    ],
)
def test_messy_but_usable_files_load_with_a_note(
    name: str, target: str, phrases: list[str]
) -> None:
    data = load_csv(GOOD / name, target)
    for phrase in phrases:
        assert_note(data, phrase)
    assert data.x_train.dtype == np.float32 and np.isfinite(data.x_train).all()
    assert np.isfinite(data.x_test).all() and len(data.y_test) > 0


@pytest.mark.parametrize(
    "name",
    [
        "bom.csv",
        "semicolon.csv",
        "tab.tsv",
        "utf16.csv",
        "sep_line.csv",
        "trailing_delimiter.csv",
        "row_names.csv",
    ],
)
def test_file_level_mess_gives_the_plain_columns(name: str) -> None:
    frame, _ = read_csv(GOOD / name)
    assert list(frame.columns) == ["x1", "x2", "label"]
    assert len(frame) == 30
    assert pd.api.types.is_float_dtype(frame["x1"])  # decimal commas read as numbers too


def test_quoted_newlines_keep_rows_intact() -> None:
    frame, _ = read_csv(GOOD / "quoted_newlines.csv")
    assert len(frame) == 30 and list(frame.columns) == ["x1", "x2", "label"]
    assert set(frame["label"]) == {"a", "b"}


def test_yes_no_and_numeric_labels_are_classes_sorted_sensibly() -> None:
    assert load_csv(GOOD / "yes_no.csv", "bought").class_names == ["N", "Y"]
    data = load_csv(GOOD / "numeric_labels.csv", "grade")
    assert data.task == "classification" and data.class_names == ["1", "2", "10"]


def test_customers_example_loads_with_its_notes() -> None:
    data = load_csv(CUSTOMERS, "churned")
    assert data.task == "classification" and data.class_names == ["no", "yes"]
    assert data.n_rows == 297
    for phrase in [
        "dropped column 'Unnamed: 0' (exported row index)",
        "dropped column 'customer_id' (ID or name column",
        "dropped 3 rows without a target",
        "missing values in 'tenure_months' with the median",
        "one-hot encoded 'plan' (3 categories)",
        "stratified by class",
    ]:
        assert_note(data, phrase)
    assert "customer_id" not in " ".join(data.feature_names)


def test_read_csv_returns_the_cleaned_frame_and_column_kinds() -> None:
    frame, notes = read_csv(CUSTOMERS)
    assert "Unnamed: 0" not in frame.columns and "customer_id" not in frame.columns
    assert notes[0].startswith("read 300 rows")
    kinds = column_kinds(frame)
    assert kinds["plan"] == "categorical" and kinds["churned"] == "categorical"
    assert kinds["tenure_months"] == "numeric"  # despite its 'n/a' and '?' cells
    assert kinds["monthly_charges"] == "numeric"


def test_column_kinds_detects_each_kind() -> None:
    n = 20
    frame = pd.DataFrame(
        {
            "customer_id": range(100, 100 + n),
            "name": [f"person {i}" for i in range(n)],
            "store_id": [i % 3 for i in range(n)],
            "age": [str(20 + i) if i % 7 else "?" for i in range(n)],
            "city": ["a", "b"] * (n // 2),
            "country": ["US"] * n,
            "notes": [None] * n,
            "price": np.linspace(1, 2, n),
        }
    )
    assert column_kinds(frame) == {
        "customer_id": "id",
        "name": "id",
        "store_id": "categorical",
        "age": "numeric",
        "city": "categorical",
        "country": "constant",
        "notes": "empty",
        "price": "numeric",
    }


def test_target_name_matches_case_insensitively() -> None:
    data = load_csv(GOOD / "tab.tsv", "Label")
    assert data.target_name == "label"
    assert_note(data, "used column 'label' as the target 'Label'")


def test_features_restrict_the_columns() -> None:
    data = load_csv(GOOD / "missing_values.csv", features=["age", "label"])
    assert data.feature_names == ["age"]
    assert_note(data, "ignored feature 'label': it is the target")


def test_high_cardinality_categorical_is_dropped(tmp_path: Path) -> None:
    rows = "".join(f"town{i % 60},{i % 7},{'a' if i % 2 else 'b'}\n" for i in range(240))
    data = load_csv(write(tmp_path, "town,x1,label\n" + rows))
    assert data.feature_names == ["x1"]
    assert_note(data, "dropped column 'town' (60 different values, too many categories")


def test_too_few_rows_per_class_splits_without_stratification(tmp_path: Path) -> None:
    # three classes but only two test rows: a stratified split cannot give each class one
    labels = ["b", "b", "c", "c"] + ["a"] * 8
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(labels))
    data = load_csv(write(tmp_path, "x1,label\n" + rows))
    assert_note(data, "not stratified")
    assert data.n_rows == 12


def test_csv_split_is_deterministic_stratified_and_train_scaled() -> None:
    a, b = load_csv(CUSTOMERS, "churned", seed=5), load_csv(CUSTOMERS, "churned", seed=5)
    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != load_csv(CUSTOMERS, "churned", seed=6).content_hash()
    np.testing.assert_allclose(a.x_train.mean(axis=0), 0.0, atol=1e-5)
    shares = [np.mean(part) for part in (a.y_train, a.y_val, a.y_test)]
    assert max(shares) - min(shares) < 0.03


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (CUSTOMERS, "churned"),
        (GOOD / "missing_values.csv", "label"),
        (GOOD / "junk_numeric.csv", "label"),
    ],
)
def test_apply_preprocessing_reproduces_x_test_from_raw_rows(path: Path, target: str) -> None:
    data = load_csv(path, target)
    frame, _ = read_csv(path)
    raw = frame.loc[data.split_rows["test"], data.preprocessing["input_columns"]]
    np.testing.assert_allclose(apply_preprocessing(data.preprocessing, raw), data.x_test, atol=1e-5)


def test_apply_preprocessing_handles_unseen_categories_and_missing_columns() -> None:
    data = load_csv(GOOD / "missing_values.csv")
    raw = pd.DataFrame({"age": ["?", "33"], "city": ["Berlin", "Lyon"], "x1": [0.0, 1.0]})
    out = apply_preprocessing(data.preprocessing, raw)
    assert out.shape == (2, data.n_features) and np.isfinite(out).all()
    with pytest.raises(DataError, match="'city'"):
        apply_preprocessing(data.preprocessing, raw.drop(columns=["city"]))


def test_large_file_is_fast(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    block = pd.DataFrame({f"x{i}": rng.normal(size=1000).round(4) for i in range(17)})
    block["city"] = rng.choice(["north", "south", "east", "west"], 1000)
    block["score"] = np.where(rng.random(1000) < 0.02, "?", rng.integers(0, 99, 1000).astype(str))
    block["label"] = np.where(block["x0"] + block["x1"] > 0, "yes", "no")
    header, _, body = block.to_csv(index=False).partition("\n")
    path = tmp_path / "big.csv"
    path.write_text(header + "\n" + body * 100, encoding="utf-8")  # 100k rows x 20 columns
    start = time.perf_counter()
    data = load_csv(path)
    elapsed = time.perf_counter() - start
    assert data.n_rows == 100_000 and data.n_features == 17 + 4 + 1
    assert_note(data, "non-numeric values in 'score' as missing ('?')")
    assert elapsed < 8.0, f"100k rows took {elapsed:.1f} s"


# --- refused ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("empty.csv", ["the file is empty"]),
        ("header_only.csv", ["header line but no data rows"]),
        ("one_row.csv", ["only 1 usable data row", "at least 10"]),
        ("target_all_missing.csv", ["'label' is empty in every row"]),
        ("one_class.csv", ["only one class ('yes' in all 20 rows)"]),
        ("no_features.csv", ["no usable feature column", "'id': ID", "'country': constant"]),
        ("latin1.csv", ["not UTF-8", "position 65 (line 6)", "save it as UTF-8"]),
        ("binary.csv", ["not a text file"]),
        ("excel.csv", ["Excel workbook"]),
        ("ragged.csv", ["line 8 has 4 fields but the header has 3 columns"]),
        ("duplicate_header.csv", ["duplicate column names", "'age' in columns 2 and 4"]),
        ("unclosed_quote.csv", ["never closed", "line 10"]),
        ("infinite.csv", ["column 'ratio' holds 3 infinite values"]),
    ],
)
def test_bad_files_are_refused_with_the_reason(name: str, phrases: list[str]) -> None:
    with pytest.raises(DataError) as err:
        load_csv(BAD / name)
    message = str(err.value)
    assert message.startswith(name)
    for phrase in phrases:
        assert phrase in message


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_csv(tmp_path)


def test_unknown_target_lists_columns_and_close_matches() -> None:
    with pytest.raises(DataError) as err:
        load_csv(GOOD / "missing_values.csv", "lable")
    message = str(err.value)
    assert "no column 'lable'" in message and "Did you mean 'label'" in message
    assert "Columns: 'age', 'city', 'x1', 'label'" in message


def test_headerless_file_gets_a_hint(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="looks like data, not column names"):
        load_csv(write(tmp_path, "0.5,1.5,2\n" + "1.0,2.0,3\n" * 20))


def test_target_that_was_dropped_as_id_is_explained() -> None:
    with pytest.raises(DataError, match="'id' cannot be used: it is an ID"):
        load_csv(GOOD / "ids_and_names.csv", "id")


def test_unknown_feature_is_named() -> None:
    with pytest.raises(DataError) as err:
        load_csv(GOOD / "missing_values.csv", features=["age", "agee2"])
    assert "no column 'agee2'" in str(err.value) and "Columns:" in str(err.value)


@pytest.mark.parametrize(
    ("name", "target", "task", "phrase"),
    [
        ("yes_no.csv", "bought", "regression", "is not numeric"),
        ("regression.csv", "price", "classification", "use the task 'regression'"),
    ],
)
def test_task_that_does_not_fit_the_target_is_refused(
    name: str, target: str, task: str, phrase: str
) -> None:
    with pytest.raises(DataError, match=phrase):
        load_csv(GOOD / name, target, task=task)


def test_fractions_that_leave_no_training_rows_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "x1,x2,label\n" + xy_rows(10))
    with pytest.raises(DataError, match="too few rows to train on"):
        load_csv(path, test_fraction=0.49, val_fraction=0.49)


@pytest.mark.parametrize(
    "text",
    [
        ",,,\n,,,\n",
        "label\n" + "a\nb\n" * 10,
        '"',
        "\n\n\n",
        "a;b\n1;2\n",
        "x1,label\n1,\n",
        "x1,label\n" + "1,a\n" * 5 + "1,b\n" * 5 + "inf,a\n",
        "label,x\n" + "a,-\nb,?\n" * 8,
    ],
)
def test_odd_inputs_give_data_errors_never_tracebacks(tmp_path: Path, text: str) -> None:
    try:
        load_csv(write(tmp_path, text))
    except DataError as err:
        assert str(err).startswith("data.csv")
