"""scikit-learn estimators whose `fit` runs a NeuroLab search: `EvolvedClassifier`, `EvolvedRegressor`.

Lifecycle: construct with the search settings and budget (plain parameters, so `clone`,
`GridSearchCV`, `Pipeline` and `cross_val_score` work); `fit(X, y)` standardises X with the
training rows' statistics, holds out `val_fraction` of the rows as the validation set the
search maximises (accuracy, or R²), runs the real engine (GA, random or Optuna, real PyTorch
training) into a project file — a temporary one unless `project` names a path to keep — and
keeps the best network. `predict`, `predict_proba` and `score` then run that network.

There is no separate test split inside `fit`: the validation rows stand in for it (their metric
is `best_score_`), and honest estimates come from scikit-learn's own cross-validation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from neurolab.data.dataset import PreparedData
from neurolab.data.preprocessing import fit_scaling

MIN_VAL_ROWS = 2  # below this many rows for validation, the search validates on the training rows


class _EvolvedEstimator(BaseEstimator):
    """Shared `fit` and network plumbing; the subclasses add the task's output side."""

    _task = "classification"

    def __init__(
        self,
        *,
        engine: str = "ga",
        population: int = 8,
        generations: int = 4,
        budget_seconds: float | None = None,
        max_layers: int = 2,
        max_width: int = 32,
        min_epochs: int = 20,
        max_epochs: int = 80,
        patience: int = 10,
        val_fraction: float = 0.2,
        workers: int = 1,
        device: str = "cpu",
        seed: int = 0,
        project: str | None = None,
    ) -> None:
        self.engine = engine
        self.population = population
        self.generations = generations
        self.budget_seconds = budget_seconds
        self.max_layers = max_layers
        self.max_width = max_width
        self.min_epochs = min_epochs
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.workers = workers
        self.device = device
        self.seed = seed
        self.project = project

    # --- fitting ------------------------------------------------------------------------
    def _spec(self):
        """The search as an `ExperimentSpec`; a bad setting is a `ValueError`, as in scikit-learn."""
        from neurolab.errors import SpecError
        from neurolab.spec import ExperimentSpec

        try:
            return self._spec_from(ExperimentSpec)
        except SpecError as exc:
            raise ValueError(f"{type(self).__name__}: {exc}") from None

    def _spec_from(self, spec_class):
        return spec_class.from_dict(
            {
                "name": type(self).__name__,
                # The rows come from fit(X, y), not from a file; the spec records that.
                "data": {"csv": "<fit(X, y)>", "target": "y"},
                "task": self._task,
                "search_space": {
                    "min_layers": 0,
                    "max_layers": self.max_layers,
                    "min_width": min(2, self.max_width),
                    "max_width": self.max_width,
                    "min_epochs": min(self.min_epochs, self.max_epochs),
                    "max_epochs": self.max_epochs,
                },
                "engine": {
                    "kind": self.engine,
                    "population": self.population,
                    "elites": min(2, self.population - 1),
                },
                "budget": {"generations": self.generations, "seconds": self.budget_seconds},
                "training": {"patience": self.patience},
                "execution": {"workers": self.workers, "device": self.device},
                "seed": self.seed,
            }
        )

    def _search(self, x: np.ndarray, y: np.ndarray, class_names: list[str]) -> None:
        """Split, scale, run the search, keep the best network and what it scored."""
        from neurolab.runner import Runner
        from neurolab.store import ProjectStore

        spec = self._spec()  # bad settings fail before any work
        data = self._prepared(x, y, class_names)
        with tempfile.TemporaryDirectory(prefix="neurolab-sklearn-") as scratch:
            path = Path(self.project) if self.project else Path(scratch) / "fit.nlab"
            summary = Runner(spec, path, data=data).run()
            with ProjectStore(path, create=False) as store:
                best = store.best(summary.run_id)
                if best is None:
                    raise RuntimeError("no candidate of the search finished successfully")
                weights = store.load_weights(summary.run_id, best.candidate_id)
                self.history_ = [g.best_so_far for g in store.generations(summary.run_id)]
        from neurolab.genome import Genome
        from neurolab.model import build_model

        self.best_genome_ = best.genome
        self.best_score_ = best.val_metric
        self.network_ = build_model(Genome.from_dict(best.genome), data.n_features, data.n_outputs)
        self.network_.load_state_dict(weights)
        self.network_.eval()

    def _prepared(self, x: np.ndarray, y: np.ndarray, class_names: list[str]) -> PreparedData:
        rows = np.arange(len(x))
        n_val = int(round(self.val_fraction * len(x)))
        if n_val < MIN_VAL_ROWS or len(x) - n_val < MIN_VAL_ROWS:
            train, val = rows, rows  # too few rows to hold any out: validate on training rows
        else:
            stratify = y if self._task == "classification" and _can_stratify(y, n_val) else None
            train, val = train_test_split(
                rows, test_size=n_val, random_state=self.seed, stratify=stratify
            )
        self.feature_mean_, self.feature_scale_ = fit_scaling(x[train])
        scaled = self._scale(x)
        target, self.target_mean_, self.target_scale_ = y, 0.0, 1.0
        if self._task == "regression":
            self.target_mean_ = float(y[train].mean())
            spread = float(y[train].std())
            self.target_scale_ = spread if spread > 1e-12 else 1.0
            target = ((y - self.target_mean_) / self.target_scale_).astype(np.float32)
        return PreparedData(
            task=self._task,
            x_train=scaled[train], y_train=target[train],
            x_val=scaled[val], y_val=target[val],
            x_test=scaled[val], y_test=target[val],  # no test split: see the module docstring
            feature_names=[f"x{k}" for k in range(x.shape[1])],
            class_names=class_names,
            source="fit(X, y)",
        )  # fmt: skip

    # --- the network --------------------------------------------------------------------
    def _scale(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.feature_mean_) / self.feature_scale_).astype(np.float32)

    def _outputs(self, x: Any) -> np.ndarray:
        import torch

        check_is_fitted(self, "network_")
        x = validate_data(self, x, reset=False, dtype=np.float64)
        with torch.no_grad():
            return self.network_(torch.from_numpy(self._scale(x))).numpy().astype(np.float64)


def _can_stratify(y: np.ndarray, n_val: int) -> bool:
    counts = np.unique(y, return_counts=True)[1]
    return counts.min() >= 2 and n_val >= len(counts) and len(y) - n_val >= len(counts)


class EvolvedClassifier(ClassifierMixin, _EvolvedEstimator):
    """A classifier found by a NeuroLab search (see the module docstring for the lifecycle).

    Fitted attributes: `classes_`, `n_features_in_`, `best_genome_` (dict), `best_score_`
    (validation accuracy), `history_` (best accuracy so far per generation), `network_`.
    """

    _task = "classification"

    def fit(self, X: Any, y: Any) -> EvolvedClassifier:
        x, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_[0]!r}); a classifier needs at least two"
            )
        self._search(x, codes.astype(np.int64), [str(c) for c in self.classes_])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        logits = self._outputs(X)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        winners = self._outputs(X).argmax(axis=1)  # checks fitted-ness before classes_
        return self.classes_[winners]


class EvolvedRegressor(RegressorMixin, _EvolvedEstimator):
    """A regressor found by a NeuroLab search (see the module docstring for the lifecycle).

    Fitted attributes: `n_features_in_`, `best_genome_`, `best_score_` (validation R²),
    `history_` (best R² so far per generation), `network_`.
    """

    _task = "regression"

    def fit(self, X: Any, y: Any) -> EvolvedRegressor:
        x, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        y = column_or_1d(y, warn=True).astype(np.float64)
        self._search(x, y, [])
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self._outputs(X)[:, 0] * self.target_scale_ + self.target_mean_
