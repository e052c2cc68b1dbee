"""The inspector's small plots: one candidate's loss curves, its confusion matrix on the test
split (classification), or predicted against actual values (regression)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from neurolab.events import CandidateRecord
from neurolab.ui.plots.common import INK, NEUTRAL, PlotPanel, colour, finite

_BLUES = pg.ColorMap([0.0, 1.0], [(247, 251, 255), (8, 81, 156)])


class CurvesPlot(PlotPanel):
    """Train (dashed) and validation (solid) loss per epoch of one candidate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("epoch", "loss", parent, integer_x=True)
        self.plot_item.hideButtons()
        self.train = self.line(colour(0), 2, dashed=True, name="train")
        self.val = self.line(colour(1), 2, name="validation")

    def show_record(self, record: CandidateRecord | None) -> None:
        self.set_curves(record.train_losses if record else (), record.val_losses if record else ())

    def set_curves(self, train: Sequence[float], val: Sequence[float]) -> None:
        self.train.setData(np.arange(1, len(train) + 1), finite(train))
        self.val.setData(np.arange(1, len(val) + 1), finite(val))
        self.plot_item.enableAutoRange()


class OutcomePlot(PlotPanel):
    """Confusion matrix (rows true class, columns predicted) or predicted-vs-actual scatter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", "", parent, grid=False)
        self.plot_item.hideButtons()
        self.legend.hide()  # nothing here needs one; empty, it would draw a stray box
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot_item.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=6, brush=colour(0), pen=None)
        self.plot_item.addItem(self.points)
        self.diagonal = self.line(NEUTRAL, 1, dashed=True)
        self.plot_item.invertY(True)
        self._texts: list[pg.TextItem] = []

    def clear_outcome(self, message: str = "") -> None:
        for text in self._texts:
            self.plot_item.removeItem(text)
        self._texts.clear()
        self.image.setVisible(False)
        self.points.setData([], [])
        self.diagonal.setData([], [])
        self.set_title(message)

    def show_confusion(self, matrix: np.ndarray, class_names: list[str]) -> None:
        self.clear_outcome("test split: confusion")
        self.plot_item.invertY(True)
        n = matrix.shape[0]
        share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        self.image.setImage(_BLUES.map(share.ravel(), mode="byte").reshape(n, n, 4))
        self.image.setRect(0, 0, n, n)
        self.image.setVisible(True)
        for i in range(n):
            for j in range(n):
                ink = "w" if share[i, j] > 0.6 else INK
                text = pg.TextItem(str(int(matrix[i, j])), color=ink, anchor=(0.5, 0.5))
                text.setPos(j + 0.5, i + 0.5)
                self.plot_item.addItem(text)
                self._texts.append(text)
        ticks = [[(k + 0.5, name) for k, name in enumerate(class_names)]]
        self.plot_item.getAxis("bottom").setTicks(ticks)
        self.plot_item.getAxis("left").setTicks(ticks)
        self.set_labels("predicted", "true")
        self.plot_item.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)

    def show_regression(self, predicted: np.ndarray, actual: np.ndarray, target: str) -> None:
        self.clear_outcome("test split: predicted vs actual")
        self.plot_item.invertY(False)
        for axis in ("bottom", "left"):
            self.plot_item.getAxis(axis).setTicks(None)
        self.points.setData(actual, predicted)
        lo = float(min(actual.min(), predicted.min()))
        hi = float(max(actual.max(), predicted.max()))
        self.diagonal.setData([lo, hi], [lo, hi])
        self.set_labels(f"actual {target}", f"predicted {target}")
        self.plot_item.enableAutoRange()
