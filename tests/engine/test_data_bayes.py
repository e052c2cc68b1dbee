"""The toys' Bayes rules: no classifier trained on samples beats them, and they agree with the
accuracies the datasets' descriptions promise."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from neurolab.data import builtin_points, load_data
from neurolab.data.bayes import bayes_labels, has_bayes_rule
from neurolab.spec import DataSpec

TOYS = ["moons", "circles", "spirals", "xor", "gaussians"]


@pytest.mark.parametrize("name", TOYS)
def test_no_classifier_trained_on_samples_beats_the_bayes_rule(name: str) -> None:
    params = {"n_samples": 12_000, "seed": 3}
    x, y = builtin_points(name, params)
    bayes = (bayes_labels(name, params, x[4_000:]) == y[4_000:]).mean()
    knn = KNeighborsClassifier(25).fit(x[:4_000], y[:4_000]).score(x[4_000:], y[4_000:])
    # 8000 test points: the two accuracies differ by noise of about 0.001 where kNN is as good.
    assert bayes >= knn - 0.002
    assert bayes < 1.0  # every default toy has some overlap


@pytest.mark.parametrize(("name", "low", "high"), [("moons", 0.935, 0.95), ("spirals", 0.95, 0.97)])
def test_the_bayes_accuracy_is_what_the_description_says(
    name: str, low: float, high: float
) -> None:
    params = {"n_samples": 12_000, "seed": 4}
    x, y = builtin_points(name, params)
    assert low <= (bayes_labels(name, params, x) == y).mean() <= high


def test_without_noise_the_rule_is_exact_and_it_reads_the_params() -> None:
    params = {"noise": 0.0, "factor": 0.3}
    x, y = builtin_points("circles", params)
    assert (bayes_labels("circles", params, x) == y).all()
    # Radius 0.7 lies past the boundary (0.65) between circles of radius 1 and 0.3, and inside
    # the default one (0.75, factor 0.5).
    ring = 0.7 * np.column_stack([np.cos(np.arange(8)), np.sin(np.arange(8))])
    assert (bayes_labels("circles", params, ring) == 0).all()
    assert (bayes_labels("circles", {}, ring) == 1).all()


def test_the_rule_labels_a_prepared_splits_raw_rows() -> None:
    data = load_data(DataSpec(name="circles"), None, 1)
    x, _ = builtin_points("circles", {})
    test = x[data.split_rows["test"]]
    assert (bayes_labels("circles", {}, test) == data.y_test).mean() >= 0.95


def test_real_datasets_have_no_rule() -> None:
    assert not has_bayes_rule("iris") and has_bayes_rule("xor")
    with pytest.raises(ValueError, match="no known generator rule for dataset 'iris'"):
        bayes_labels("iris", None, np.zeros((1, 2)))
