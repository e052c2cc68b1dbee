"""Built-in datasets: shapes, tasks, determinism, train-only scaling, stratification, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier

from neurolab.data import (
    DatasetInfo,
    apply_preprocessing,
    builtin_points,
    infer_task,
    list_datasets,
    load_data,
)
from neurolab.errors import DataError
from neurolab.spec import DataSpec

INFOS = {info.name: info for info in list_datasets()}
EXPECTED = {
    "moons",
    "circles",
    "spirals",
    "xor",
    "gaussians",
    "sine",
    "iris",
    "wine",
    "breast_cancer",
    "digits",
    "diabetes",
}


def load(name: str, seed: int = 0, task: str | None = None, **params: float) -> object:
    return load_data(DataSpec(name=name, params=params), task, seed)


def test_every_expected_dataset_is_listed_with_one_line_description() -> None:
    assert set(INFOS) == EXPECTED
    for info in INFOS.values():
        assert isinstance(info, DatasetInfo)
        assert info.task in ("classification", "regression")
        assert info.description and "\n" not in info.description
        assert info.default_params == info.params


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_builtin_loads_with_right_shapes_task_and_dtypes(name: str) -> None:
    info = INFOS[name]
    data = load(name)
    assert data.task == info.task
    assert data.n_features == info.n_features
    for x in (data.x_train, data.x_val, data.x_test):
        assert x.dtype == np.float32 and x.shape[1] == info.n_features
        assert np.isfinite(x).all()
    expected_y = np.int64 if info.task == "classification" else np.float32
    assert {data.y_train.dtype, data.y_val.dtype, data.y_test.dtype} == {np.dtype(expected_y)}
    if info.task == "classification":
        assert len(data.class_names) == info.n_classes
        assert set(np.unique(data.y_train)) == set(range(info.n_classes))
    else:
        assert data.class_names == []
    if "n_samples" in info.params:
        assert data.n_rows == info.params["n_samples"]
    # default fractions 0.2 / 0.2 of all rows
    assert abs(len(data.y_test) - 0.2 * data.n_rows) <= 1
    assert abs(len(data.y_val) - 0.2 * data.n_rows) <= 1
    json.dumps(data.preprocessing)  # an export can store it as it is


def test_same_seed_same_arrays_other_seed_other_split() -> None:
    a, b, c = load("moons", seed=3), load("moons", seed=3), load("moons", seed=4)
    assert a.content_hash() == b.content_hash()
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.content_hash() != c.content_hash()


def test_dataset_seed_param_changes_the_points_not_the_split_seed() -> None:
    x0, _ = builtin_points("spirals", {"seed": 0})
    x1, _ = builtin_points("spirals", {"seed": 1})
    again, _ = builtin_points("spirals", {"seed": 0})
    assert not np.allclose(x0, x1)
    np.testing.assert_array_equal(x0, again)


def test_params_override_defaults() -> None:
    data = load("gaussians", n_samples=200, n_classes=5, noise=0.3)
    assert data.n_rows == 200
    assert len(data.class_names) == 5


def test_features_are_scaled_with_training_statistics_only() -> None:
    data = load("diabetes")
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1.0, atol=1e-4)
    # The test part was scaled with the training statistics, so it is not exactly centred.
    assert np.abs(data.x_test.mean(axis=0)).max() > 1e-3
    x, _ = builtin_points("diabetes", {})
    mean = np.asarray(data.preprocessing["feature_mean"])
    np.testing.assert_allclose(mean, x[data.split_rows["train"]].mean(axis=0))


def test_regression_target_scaling_round_trips_to_raw_values() -> None:
    data = load("sine")
    assert abs(float(data.y_train.mean())) < 1e-5
    _, y = builtin_points("sine", {})
    restored = data.y_test * data.target_scale + data.target_mean
    np.testing.assert_allclose(restored, y[data.split_rows["test"]], rtol=1e-5, atol=1e-5)
    assert data.target_mean == pytest.approx(y[data.split_rows["train"]].mean())


def test_split_is_stratified_by_class() -> None:
    data = load("iris")
    for part in (data.y_train, data.y_val, data.y_test):
        counts = np.bincount(part, minlength=3)
        assert counts.max() - counts.min() <= 1
    assert any("stratified by class" in note for note in data.notes)


def test_split_rows_partition_the_points() -> None:
    data = load("moons")
    rows = np.concatenate([data.split_rows[k] for k in ("train", "val", "test")])
    assert sorted(rows.tolist()) == list(range(500))
    _, y = builtin_points("moons", {})
    np.testing.assert_array_equal(data.y_val, y[data.split_rows["val"]])


def test_apply_preprocessing_reproduces_the_test_inputs() -> None:
    data = load("wine")
    x, _ = builtin_points("wine", {})
    raw = pd.DataFrame(x[data.split_rows["test"]], columns=data.feature_names)
    np.testing.assert_allclose(apply_preprocessing(data.preprocessing, raw), data.x_test, atol=1e-6)


def test_builtin_points_are_raw_and_unscaled() -> None:
    x, y = builtin_points("sine", {"n_samples": 100})
    assert x.shape == (100, 1) and y.shape == (100,)
    assert x.min() >= -3.0 and x.max() <= 3.0 and x.std() > 1.0
    x, y = builtin_points("xor", {})
    assert x.shape == (500, 2) and set(np.unique(y)) == {0, 1}


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("moons", 0.88, 0.98), ("spirals", 0.88, 1.0), ("circles", 0.9, 1.0), ("xor", 0.9, 1.0)],
)
def test_toys_are_learnable_but_not_trivially_linear(name: str, low: float, high: float) -> None:
    x, y = builtin_points(name, {"n_samples": 2000})
    knn = KNeighborsClassifier(15).fit(x[:1500], y[:1500])
    assert low <= knn.score(x[1500:], y[1500:]) <= high


def test_unknown_dataset_lists_the_known_names() -> None:
    with pytest.raises(DataError, match="unknown built-in dataset 'moon'") as err:
        load("moon")
    assert "moons" in str(err.value) and "diabetes" in str(err.value)


def test_unknown_param_names_the_allowed_ones() -> None:
    with pytest.raises(DataError, match="unknown parameter 'noice'") as err:
        load("moons", noice=0.1)
    assert "n_samples, noise, seed" in str(err.value)
    with pytest.raises(DataError, match="allowed parameters: none"):
        load("iris", n_samples=10)


@pytest.mark.parametrize(
    ("params", "phrase"),
    [
        ({"n_samples": 5}, "between 10 and"),
        ({"n_samples": 100.5}, "whole number"),
        ({"noise": -1}, "between 0 and"),
    ],
)
def test_bad_param_values_are_refused(params: dict[str, float], phrase: str) -> None:
    with pytest.raises(DataError, match=phrase):
        load("moons", **params)


def test_task_that_contradicts_the_dataset_is_refused() -> None:
    with pytest.raises(DataError, match="'sine' is a regression dataset"):
        load("sine", task="classification")
    assert load("iris", task="classification").task == "classification"


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["yes", "no", "yes"] * 10, "classification"),
        ([True, False] * 10, "classification"),
        ([0, 1, 1, 0] * 10, "classification"),
        ([1, 2, 3, 4, 5] * 10, "classification"),
        (list(range(15)) * 40, "classification"),  # 15 levels, 600 rows: under 5 %
        (list(range(15)) * 2, "regression"),  # 15 levels in 30 rows: a quantity
        ([0.5, 1.5, 2.5] * 10, "regression"),
        (np.linspace(0, 1, 50).tolist(), "regression"),
        (["1", "2", "?"] * 10, "classification"),
    ],
)
def test_infer_task(values: list[object], task: str) -> None:
    assert infer_task(pd.Series(values)) == task
