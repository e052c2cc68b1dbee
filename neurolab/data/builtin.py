"""Built-in datasets: 2-D toy problems generated from a seed, and small real ones bundled offline.

The toys are there to *see* what evolution does (decision boundaries in the plane), the real ones
to check it on data nobody designed for it. Everything works without a network: the real
datasets come from the copies scikit-learn ships inside its package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from neurolab.errors import DataError

Params = dict[str, Any]


@dataclass(frozen=True)
class DatasetInfo:
    """What the GUI and `neurolab-run list` show about a built-in dataset."""

    name: str
    task: str  # "classification" | "regression"
    description: str  # one line
    params: dict[str, float | int] = field(default_factory=dict)  # the defaults
    n_features: int = 2
    n_classes: int = 0  # 0 for regression; the default for datasets with an `n_classes` param

    @property
    def default_params(self) -> dict[str, float | int]:
        return dict(self.params)


@dataclass(frozen=True)
class Generated:
    """Raw points of a built-in dataset, before any scaling or splitting."""

    x: np.ndarray  # float64 (n, n_features)
    y: np.ndarray  # int64 class indices, or float64 values
    feature_names: list[str]
    class_names: list[str]  # empty for regression
    target_name: str


@dataclass(frozen=True)
class _Param:
    kind: type
    low: float
    high: float


_PARAMS = {
    "n_samples": _Param(int, 10, 1_000_000),
    "noise": _Param(float, 0.0, 10.0),
    "seed": _Param(int, 0, 2**31 - 1),
    "n_classes": _Param(int, 2, 10),
    "factor": _Param(float, 0.05, 0.95),
}

_XY = ["x1", "x2"]
_BINARY = ["0", "1"]


def _labelled(x: np.ndarray, y: np.ndarray, class_names: list[str]) -> Generated:
    return Generated(x.astype(np.float64), y.astype(np.int64), list(_XY), class_names, "label")


def _sklearn_datasets() -> Any:
    """scikit-learn's datasets module, imported on first use: it takes seconds to import, and
    listing datasets (the GUI does at start-up) must stay instant."""
    from sklearn import datasets

    return datasets


def _moons(p: Params) -> Generated:
    x, y = _sklearn_datasets().make_moons(p["n_samples"], noise=p["noise"], random_state=p["seed"])
    return _labelled(x, y, list(_BINARY))


def _circles(p: Params) -> Generated:
    x, y = _sklearn_datasets().make_circles(
        p["n_samples"], noise=p["noise"], factor=p["factor"], random_state=p["seed"]
    )
    return _labelled(x, y, ["outer", "inner"])


def _spirals(p: Params) -> Generated:
    """Two interleaved Archimedean spirals of 1.25 turns each, radius 0..1, Gaussian jitter.

    Points are spread evenly along each arm (radius ~ sqrt(uniform)); with the default noise 0.1
    the arms overlap a little near the centre (best possible accuracy about 0.96).
    """
    rng = np.random.default_rng(p["seed"])
    n = p["n_samples"]
    xs, ys = [], []
    for arm, count in enumerate((n // 2, n - n // 2)):
        t = np.sqrt(rng.uniform(0.0, 1.0, count))
        angle = 2.5 * np.pi * t + arm * np.pi
        points = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
        xs.append(points + rng.normal(0.0, p["noise"], points.shape))
        ys.append(np.full(count, arm))
    order = rng.permutation(n)
    return _labelled(np.vstack(xs)[order], np.concatenate(ys)[order], list(_BINARY))


def _xor(p: Params) -> Generated:
    """Uniform points in [-1, 1]^2; class 1 where x1 and x2 have different signs, then jitter."""
    rng = np.random.default_rng(p["seed"])
    x = rng.uniform(-1.0, 1.0, (p["n_samples"], 2))
    y = (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(np.int64)
    return _labelled(x + rng.normal(0.0, p["noise"], x.shape), y, list(_BINARY))


def _gaussians(p: Params) -> Generated:
    """`n_classes` round blobs with standard deviation `noise`, centres on a circle of radius 2."""
    rng = np.random.default_rng(p["seed"])
    k, n = p["n_classes"], p["n_samples"]
    y = np.arange(n) % k
    rng.shuffle(y)
    angles = 2 * np.pi * np.arange(k) / k + np.pi / 2
    centres = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    x = centres[y] + rng.normal(0.0, p["noise"], (n, 2))
    return _labelled(x, y, [str(i) for i in range(k)])


def _sine(p: Params) -> Generated:
    rng = np.random.default_rng(p["seed"])
    x = rng.uniform(-3.0, 3.0, (p["n_samples"], 1))
    y = np.sin(x[:, 0]) + rng.normal(0.0, p["noise"], p["n_samples"])
    return Generated(x, y, ["x"], [], "y")


def _bundled(loader: str, target: str, **kwargs: Any) -> Callable[[Params], Generated]:
    def load(_: Params) -> Generated:
        bunch = getattr(_sklearn_datasets(), loader)(**kwargs)
        names = getattr(bunch, "target_names", None)
        classes = [str(c) for c in names] if names is not None else []
        y = bunch.target.astype(np.int64 if classes else np.float64)
        return Generated(
            bunch.data.astype(np.float64), y, [str(f) for f in bunch.feature_names], classes, target
        )

    return load


@dataclass(frozen=True)
class _Builtin:
    info: DatasetInfo
    make: Callable[[Params], Generated]


def _toy(
    name: str,
    description: str,
    make: Callable[[Params], Generated],
    classes: int = 2,
    n_features: int = 2,
    task: str = "classification",
    **defaults: float | int,
) -> _Builtin:
    params: dict[str, float | int] = {"n_samples": 500, **defaults, "seed": 0}
    return _Builtin(DatasetInfo(name, task, description, params, n_features, classes), make)


def _real(
    name: str,
    description: str,
    loader: str,
    n_features: int,
    n_classes: int,
    target: str = "class",
    **kwargs: Any,
) -> _Builtin:
    task = "classification" if n_classes else "regression"
    return _Builtin(
        DatasetInfo(name, task, description, {}, n_features, n_classes),
        _bundled(loader, target, **kwargs),
    )


_BUILTINS: dict[str, _Builtin] = {
    b.info.name: b
    for b in (
        _toy(
            "moons",
            "Two interleaved half-moons; no straight line separates them "
            "(best possible accuracy ~0.94 at noise 0.25).",
            _moons,
            noise=0.25,
        ),
        _toy(
            "circles",
            "A ring around a disc: class 'inner' sits inside class 'outer'.",
            _circles,
            noise=0.1,
            factor=0.5,
        ),
        _toy(
            "spirals",
            "Two interleaved spirals; needs a curved, winding boundary.",
            _spirals,
            n_samples=600,
            noise=0.1,
        ),
        _toy(
            "xor",
            "The four quadrants of a square, opposite corners in the same class.",
            _xor,
            noise=0.05,
        ),
        _toy(
            "gaussians",
            "Round blobs of points, one per class (n_classes, default 3).",
            _gaussians,
            classes=3,
            n_classes=3,
            noise=0.8,
        ),
        _toy(
            "sine",
            "1-D regression: y = sin(x) + noise for x in [-3, 3].",
            _sine,
            classes=0,
            n_features=1,
            task="regression",
            noise=0.1,
        ),
        _real(
            "iris",
            "150 iris flowers, 4 measurements, 3 species (real, bundled).",
            "load_iris",
            4,
            3,
            target="species",
        ),
        _real(
            "wine",
            "178 wines, 13 chemical measurements, 3 cultivars (real, bundled).",
            "load_wine",
            13,
            3,
            target="cultivar",
        ),
        _real(
            "breast_cancer",
            "569 tumour biopsies, 30 features, malignant or benign (real, bundled).",
            "load_breast_cancer",
            30,
            2,
            target="diagnosis",
        ),
        _real(
            "digits",
            "1797 handwritten digits as 8x8 pixel images, 10 classes (real, bundled).",
            "load_digits",
            64,
            10,
            target="digit",
        ),
        _real(
            "diabetes",
            "442 diabetes patients, 10 measurements, disease progression after "
            "one year (regression, real, bundled).",
            "load_diabetes",
            10,
            0,
            target="progression",
            scaled=False,
        ),
    )
}


def list_datasets() -> list[DatasetInfo]:
    """Every built-in dataset, toys first, with its task, default params and input count."""
    return [replace(b.info, params=dict(b.info.params)) for b in _BUILTINS.values()]


def dataset_info(name: str) -> DatasetInfo:
    """The info of one built-in dataset; an unknown name is a `DataError` listing the known ones."""
    info = _lookup(name).info
    return replace(info, params=dict(info.params))


def _lookup(name: str) -> _Builtin:
    try:
        return _BUILTINS[name]
    except KeyError:
        known = ", ".join(_BUILTINS)
        raise DataError(f"unknown built-in dataset {name!r}; known datasets: {known}") from None


def resolve_params(name: str, params: dict[str, Any] | None) -> Params:
    """The dataset's defaults overridden by `params`, each checked for name, type and range."""
    builtin = _lookup(name)
    defaults = builtin.info.params
    resolved: Params = dict(defaults)
    for key, value in (params or {}).items():
        if key not in defaults:
            allowed = ", ".join(defaults) if defaults else "none (it is a fixed real dataset)"
            raise DataError(f"{name}: unknown parameter {key!r}; allowed parameters: {allowed}")
        resolved[key] = _checked(name, key, value)
    return resolved


def _checked(dataset: str, key: str, value: Any) -> float | int:
    rule = _PARAMS[key]
    is_number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not is_number or not np.isfinite(value):
        raise DataError(f"{dataset}: parameter {key!r} must be a number, not {value!r}")
    if rule.kind is int and value != int(value):
        raise DataError(f"{dataset}: parameter {key!r} must be a whole number, not {value!r}")
    if not rule.low <= value <= rule.high:
        raise DataError(
            f"{dataset}: parameter {key!r} must be between {rule.low:g} and {rule.high:g}, "
            f"not {value!r}"
        )
    return int(value) if rule.kind is int else float(value)


def generate(name: str, params: dict[str, Any] | None = None) -> Generated:
    """Raw points and names of a built-in dataset (deterministic for its params)."""
    builtin = _lookup(name)
    return builtin.make(resolve_params(name, params))


def builtin_points(
    name: str, params: dict[str, Any] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Raw, unscaled X and y of a built-in dataset, for the GUI's scatter preview."""
    generated = generate(name, params)
    return generated.x, generated.y
