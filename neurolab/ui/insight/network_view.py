"""A drawing of one network: layers as columns of nodes, edges coloured by the sign of their
weight and as thick as its magnitude, each hidden column labelled with its activation."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from neurolab.ui.plots.common import INK, NEUTRAL, PlotPanel

MAX_NODES = 16  # per column; wider layers show their first units and "+ n more"
POSITIVE, NEGATIVE = "#1f77b4", "#d62728"
WIDTHS = (1, 2, 3, 5)  # pen widths for four bins of |weight| / max |weight|


def node_positions(size: int) -> np.ndarray:
    """Vertical positions of a column's drawn nodes, centred on 0, one unit apart."""
    shown = min(size, MAX_NODES)
    return np.arange(shown, dtype=float)[::-1] - (shown - 1) / 2


class NetworkDrawing(PlotPanel):
    """Call `show_network(sizes, labels, weights)`; `weights` None draws the shape only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", "", parent, grid=False)
        for axis in ("left", "bottom"):
            self.plot_item.hideAxis(axis)
        self.plot_item.setMouseEnabled(False, False)
        self.plot_item.hideButtons()
        self.legend.hide()  # nothing here needs one; empty, it would draw a stray box
        self._items: list[pg.GraphicsObject] = []
        self.edge_count = 0  # drawn edges (tests read it)

    def clear_drawing(self) -> None:
        for item in self._items:
            self.plot_item.removeItem(item)
        self._items.clear()
        self.edge_count = 0

    def show_network(
        self,
        sizes: list[int],
        labels: list[str],
        weights: list[np.ndarray] | None,
        note: str = "",
    ) -> None:
        """`sizes`: units per column (inputs … outputs); `labels`: a caption per column."""
        self.clear_drawing()
        columns = [node_positions(n) for n in sizes]
        if weights is not None:
            top = max((float(np.abs(w).max()) for w in weights if w.size), default=1.0) or 1.0
        for k in range(len(sizes) - 1):
            left, right = columns[k], columns[k + 1]
            if weights is None:
                self._edges(k, left, right, None, None)
            else:
                w = weights[k][: len(right), : len(left)]  # (out, in), drawn units only
                self._edges(k, left, right, w, top)
        for k, ys in enumerate(columns):
            nodes = pg.ScatterPlotItem(
                x=np.full(len(ys), float(k)), y=ys, size=14, brush="w", pen=pg.mkPen(INK, width=1.5)
            )
            self._add(nodes)
            more = sizes[k] - len(ys)
            caption = labels[k] + (f"\n+ {more} more" if more > 0 else "")
            text = pg.TextItem(caption, color=INK, anchor=(0.5, 0))
            text.setPos(float(k), float(ys.min()) - 0.6)
            self._add(text)
        if note:
            text = pg.TextItem(note, color=NEUTRAL, anchor=(0.5, 1))
            text.setPos((len(sizes) - 1) / 2, max(len(c) for c in columns) / 2 + 0.8)
            self._add(text)
        height = max(len(c) for c in columns) / 2 + 1.2
        self.plot_item.setRange(
            xRange=(-0.8, len(sizes) - 0.2), yRange=(-height - 1.0, height), padding=0
        )

    def _edges(self, k: int, left, right, w: np.ndarray | None, top: float | None) -> None:
        x0, x1 = float(k), float(k + 1)
        if w is None:
            pairs = [(a, b) for b in right for a in left]
            self._segments(x0, x1, pairs, pg.mkPen(NEUTRAL, width=1))
            return
        strength = np.abs(w) / top
        bins = np.minimum((strength * len(WIDTHS)).astype(int), len(WIDTHS) - 1)
        for sign, hue in ((1, POSITIVE), (-1, NEGATIVE)):
            for b, width in enumerate(WIDTHS):
                rows, cols = np.nonzero((np.sign(w) == sign) & (bins == b))
                if len(rows):
                    alpha = 90 + 40 * b
                    pen = pg.mkPen((*pg.mkColor(hue).getRgb()[:3], alpha), width=width)
                    self._segments(x0, x1, list(zip(left[cols], right[rows], strict=True)), pen)

    def _segments(self, x0: float, x1: float, pairs: list[tuple[float, float]], pen) -> None:
        xs = np.tile([x0, x1], len(pairs))
        ys = np.asarray(pairs, dtype=float).ravel()
        self._add(pg.PlotCurveItem(x=xs, y=ys, pen=pen, connect="pairs"))
        self.edge_count += len(pairs)

    def _add(self, item: pg.GraphicsObject) -> None:
        self.plot_item.addItem(item)
        self._items.append(item)
