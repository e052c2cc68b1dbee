"""The best any classifier can do on a 2-D toy dataset: its generator's own (Bayes) rule.

Each toy of `neurolab.data.builtin` is drawn from a known distribution: points on a curve (or a
square, or blob centres) plus isotropic Gaussian jitter of standard deviation `noise`. The
Bayes-optimal classifier picks, at each point, the class under which that point is most likely;
no model trained on samples can beat it on average. Its accuracy on a test split is the ceiling
to judge a trained model against: on 100 test rows, a model above it was lucky, not better.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import logsumexp

from neurolab.data.builtin import resolve_params

_CURVE_POINTS = 2_000  # per class: the likelihood along a curve, as a mean over its points


def _on_curves(curves: list[np.ndarray], noise: float, x: np.ndarray) -> np.ndarray:
    """The class (curve) under which each point of `x` is most likely, each class being a curve
    (its points equally likely) plus N(0, noise² I)."""
    sigma2 = max(noise, 1e-6) ** 2  # noise 0: the limit, the nearest curve
    labels = [np.empty(0, dtype=np.int64)]
    for lo in range(0, len(x), 1_000):  # a (rows, curve points) block at a time
        part = x[lo : lo + 1_000, None, :]
        scores = [
            logsumexp(-((part - c[None]) ** 2).sum(-1) / (2 * sigma2), axis=1) for c in curves
        ]
        labels.append(np.argmax(np.stack(scores, axis=1), axis=1))
    return np.concatenate(labels)


def _moons(p: dict[str, Any], x: np.ndarray) -> np.ndarray:
    # scikit-learn's make_moons: class 0 the upper half circle, class 1 the lower one, shifted.
    t = np.linspace(0.0, np.pi, _CURVE_POINTS)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    return _on_curves([upper, lower], p["noise"], x)


def _circles(p: dict[str, Any], x: np.ndarray) -> np.ndarray:
    # scikit-learn's make_circles: class 0 the unit circle, class 1 the circle of radius factor.
    t = np.linspace(0.0, 2 * np.pi, _CURVE_POINTS, endpoint=False)
    ring = np.column_stack([np.cos(t), np.sin(t)])
    return _on_curves([ring, p["factor"] * ring], p["noise"], x)


def _spirals(p: dict[str, Any], x: np.ndarray) -> np.ndarray:
    # Radius t = sqrt(u), u uniform: equal steps in u are equally likely points of an arm.
    t = np.sqrt((np.arange(_CURVE_POINTS) + 0.5) / _CURVE_POINTS)
    arms = []
    for arm in (0, 1):
        angle = 2.5 * np.pi * t + arm * np.pi
        arms.append(np.column_stack([t * np.cos(angle), t * np.sin(angle)]))
    return _on_curves(arms, p["noise"], x)


def _xor(p: dict[str, Any], x: np.ndarray) -> np.ndarray:
    # Uniform in the square, jitter symmetric about 0: each coordinate's sign is most likely
    # its observed sign, and the class is whether the two signs differ.
    return (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(np.int64)


def _gaussians(p: dict[str, Any], x: np.ndarray) -> np.ndarray:
    # Equally likely round blobs of one width: the nearest centre.
    k = p["n_classes"]
    angles = 2 * np.pi * np.arange(k) / k + np.pi / 2
    centres = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    return np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)


_RULES: dict[str, Callable[[dict[str, Any], np.ndarray], np.ndarray]] = {
    "moons": _moons,
    "circles": _circles,
    "spirals": _spirals,
    "xor": _xor,
    "gaussians": _gaussians,
}


def has_bayes_rule(name: str) -> bool:
    """Whether `bayes_labels` knows this built-in dataset's generator."""
    return name in _RULES


def bayes_labels(name: str, params: dict[str, Any] | None, x: np.ndarray) -> np.ndarray:
    """The Bayes-optimal class of each raw (unscaled) point of `x` (n, 2) for the built-in toy
    `name` with `params` (defaults filled in as `builtin.generate` does)."""
    if name not in _RULES:
        raise ValueError(f"no known generator rule for dataset {name!r}")
    return _RULES[name](resolve_params(name, params), np.asarray(x, dtype=np.float64))
