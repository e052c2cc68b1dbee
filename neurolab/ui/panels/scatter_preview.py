"""A scatter preview of a dataset's raw points, in the same colours as the boundary plot."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from neurolab.ui.plots.common import PlotPanel, colour

MAX_POINTS = 4000  # drawing more only slows the preview down; it is a picture, not the data


class ScatterPreview(PlotPanel):
    """`show(x, y, task)`: 2-D points as they are, one feature against the target, or the first
    two principal components of wider data. Classes are coloured; a numeric target is shaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("x1", "x2", parent)
        self.legend.setVisible(False)
        self.plot_item.setMenuEnabled(False)
        self.plot_widget.setMinimumHeight(180)
        self._points = pg.ScatterPlotItem(size=5, pen=pg.mkPen(255, 255, 255, 120, width=0.5))
        self.plot_item.addItem(self._points)

    def show_points(
        self, x: np.ndarray, y: np.ndarray, task: str, names: list[str] | None = None
    ) -> None:
        if len(x) > MAX_POINTS:  # a fixed, even thinning keeps the preview stable
            keep = np.linspace(0, len(x) - 1, MAX_POINTS).astype(int)
            x, y = x[keep], y[keep]
        names = names or [f"x{i + 1}" for i in range(x.shape[1])]
        if x.shape[1] == 1:
            plane, labels = np.column_stack([x[:, 0], y]), (names[0], "target")
        elif x.shape[1] == 2:
            plane, labels = x, (names[0], names[1])
        else:
            plane, labels = _principal_plane(x), ("principal component 1", "principal component 2")
        self.set_labels(*labels)
        if task == "classification" and x.shape[1] > 1:
            brushes = [pg.mkBrush(colour(int(k))) for k in y]
        elif x.shape[1] > 1:
            shade = pg.colormap.get("viridis")
            span = float(np.ptp(y)) or 1.0
            brushes = [pg.mkBrush(c) for c in shade.map((y - y.min()) / span, mode="qcolor")]
        else:
            brushes = [pg.mkBrush(colour(0))] * len(y)
        self._points.setData(x=plane[:, 0], y=plane[:, 1], brush=brushes)
        self.plot_item.enableAutoRange()

    def clear_points(self) -> None:
        self._points.clear()


def _principal_plane(x: np.ndarray) -> np.ndarray:
    """Standardised data on its first two principal axes."""
    z = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-12)
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    return z @ vt[:2].T
