"""`PreparedData`: a dataset ready for training, as plain arrays that cross process boundaries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class PreparedData:
    """Scaled float32 features and targets, split into train / validation / test.

    Classification targets are int64 class indices into `class_names`; regression targets are
    float32 (scaled with `target_mean` / `target_scale`, so metrics are computed on the
    original scale by un-scaling: `y = y_scaled * target_scale + target_mean`). `notes` says,
    one line each, what preparation did.
    """

    task: str  # "classification" | "regression"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    class_names: list[str] = field(default_factory=list)
    target_name: str = "target"
    source: str = ""
    notes: list[str] = field(default_factory=list)
    target_mean: float = 0.0
    target_scale: float = 1.0
    # How raw feature columns become the model's inputs (JSON-serialisable; see
    # `neurolab.data.apply_preprocessing`), so an exported model can read raw CSV rows.
    preprocessing: dict[str, Any] = field(default_factory=dict)
    # Row numbers in the source ("train" / "val" / "test" -> int64 array, same order as the
    # arrays): the data rows of `read_csv`'s frame, or the points of `builtin_points`.
    split_rows: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_outputs(self) -> int:
        return len(self.class_names) if self.task == "classification" else 1

    @property
    def n_rows(self) -> int:
        return len(self.y_train) + len(self.y_val) + len(self.y_test)

    def content_hash(self) -> str:
        """Identifies the data, so a worker can cache it once per run."""
        digest = hashlib.sha256()
        for part in (self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test):
            digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()[:16]
