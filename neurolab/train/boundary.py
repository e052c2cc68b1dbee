"""The plot grid for decision boundaries, shared by the workers (who predict on it) and the GUI.

Two features: a grid over the (scaled) feature plane. More than two: a grid over the first two
principal components of the training data, mapped back into feature space for the model.
One feature with a regression target: a line of points for the fitted curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from neurolab.data.dataset import PreparedData


@dataclass(frozen=True)
class BoundaryGrid:
    """Geometry of the plot: `points` are model inputs; `project` maps data to plot coordinates."""

    resolution: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]  # unused (0, 0) for a 1-D curve
    points: np.ndarray  # (resolution**2, n_features) or (resolution, 1)
    mean: np.ndarray
    components: np.ndarray  # (2, n_features): rows are plot axes in feature space

    @property
    def is_curve(self) -> bool:
        return self.components.shape[0] == 1

    @classmethod
    def from_data(cls, data: PreparedData, resolution: int = 64) -> BoundaryGrid | None:
        """The grid for this dataset, or None when there is nothing meaningful to draw."""
        x = data.x_train
        n = x.shape[1]
        if n == 1:
            if data.task != "regression":
                return None
            lo, hi = _padded_range(np.concatenate([x, data.x_val, data.x_test])[:, 0])
            line = np.linspace(lo, hi, resolution * 4, dtype=np.float32)[:, None]
            one = np.ones((1, 1), np.float32)
            return cls(resolution * 4, (lo, hi), (0.0, 0.0), line, np.zeros(1, np.float32), one)
        if n == 2:
            mean, components = np.zeros(2, np.float32), np.eye(2, dtype=np.float32)
        elif n > 2:
            mean = x.mean(axis=0)
            # Principal axes of the training data (rows of vt), deterministic sign.
            _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
            components = vt[:2] * np.sign(vt[:2, :1] + 1e-12)
            components = components.astype(np.float32)
        else:
            return None
        plane = (np.concatenate([x, data.x_val, data.x_test]) - mean) @ components.T
        x_range, y_range = _padded_range(plane[:, 0]), _padded_range(plane[:, 1])
        gx = np.linspace(*x_range, resolution, dtype=np.float32)
        gy = np.linspace(*y_range, resolution, dtype=np.float32)
        xx, yy = np.meshgrid(gx, gy)  # row i = y index, column j = x index
        plane_points = np.stack([xx.ravel(), yy.ravel()], axis=1)
        points = (plane_points @ components + mean).astype(np.float32)
        return cls(resolution, x_range, y_range, points, mean.astype(np.float32), components)

    def project(self, x: np.ndarray) -> np.ndarray:
        """Data rows -> plot coordinates (n, 2), or (n, 1) for a curve."""
        return (x - self.mean) @ self.components.T

    def predict(self, model: nn.Module, task: str) -> np.ndarray:
        """Class probabilities (res, res, classes) on the grid, or predictions (n,) on the line."""
        model.eval()
        device = next(model.parameters()).device
        with torch.no_grad():
            out = model(torch.as_tensor(self.points, device=device))
        if self.is_curve:
            return out.squeeze(1).float().cpu().numpy()
        if task == "regression":
            values = out.float().cpu().numpy()
        else:
            values = torch.softmax(out, dim=1).float().cpu().numpy()
        return values.reshape(self.resolution, self.resolution, -1).astype(np.float16)


def _padded_range(values: np.ndarray) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    pad = 0.1 * (hi - lo) + 1e-3
    return lo - pad, hi + pad
