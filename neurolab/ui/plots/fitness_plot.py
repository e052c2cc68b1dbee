"""Validation metric per generation: the worst..best band, mean, best, best so far, and every
candidate as a faint dot."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateFinished, CandidateRecord, GenerationFinished
from neurolab.ui.plots.common import (
    INK,
    PlotPanel,
    colour,
    finite,
    is_scored,
    metric_label,
    with_alpha,
)

_BAND = colour(0)
_GOLDEN = 0.6180339887


def _jitter(candidate_id: int) -> float:
    """A fixed horizontal offset per candidate, so a generation's dots don't stack on one line."""
    return ((candidate_id * _GOLDEN) % 1.0 - 0.5) * 0.4


class FitnessPlot(PlotPanel):
    """Per-generation statistics of the validation metric (from `GenerationFinished`), with the
    individual candidates' scores (from `CandidateFinished`) as a scatter behind them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("generation", "validation", parent, integer_x=True)
        self.scatter = pg.ScatterPlotItem(
            size=5, pen=None, brush=(90, 90, 90, 80), name="candidates"
        )
        self.plot_item.addItem(self.scatter)
        self.worst_line = self.line(with_alpha(_BAND, 120))
        self.best_line = self.line(
            _BAND, 2, name="best", symbol="o", symbolSize=5, symbolBrush=_BAND, symbolPen=None
        )
        self.band = pg.FillBetweenItem(self.worst_line, self.best_line, brush=with_alpha(_BAND, 45))
        self.plot_item.addItem(self.band)
        # A proxy sample: LegendItem cannot draw a FillBetweenItem (it has no `opts`; painting crashes).
        self.legend_entry(
            "worst … best", pen=with_alpha(_BAND, 120), fillLevel=0, fillBrush=with_alpha(_BAND, 45)
        )
        self.mean_line = self.line(colour(2), 2, dashed=True, name="mean")
        self.best_so_far_line = self.line(INK, 2, name="best so far")
        self.best_so_far_line.setZValue(10)
        self.legend.setOffset((-10, -10))  # bottom right: scores climb towards the top
        self._generations: dict[int, GenerationFinished] = {}  # by number: a resume re-sends
        self._pending: list[tuple[float, float]] = []

    # --- contract ---------------------------------------------------------------------------
    def reset(self, data: PreparedData | None, metric: str) -> None:
        self.set_labels("generation", f"validation {metric_label(metric)}")
        self._generations.clear()
        self._pending.clear()
        self.scatter.clear()
        self._dirty = True
        self.redraw()

    def handle(self, event: object) -> None:
        if isinstance(event, CandidateFinished):
            record = event.record
            if is_scored(record):
                self._pending.append(
                    (record.generation + _jitter(record.candidate_id), record.val_metric)
                )
        elif isinstance(event, GenerationFinished):
            self._generations[event.generation] = event
            self._dirty = True

    def redraw(self) -> None:
        if self._pending:
            x, y = np.array(self._pending).T
            self._pending.clear()
            self.scatter.addPoints(x=x, y=y)  # appends: no per-redraw rebuild of old dots
        if not self._dirty:
            return
        self._dirty = False
        generations = sorted(self._generations.values(), key=lambda g: g.generation)
        scored = [g for g in generations if g.best is not None]  # all failed: nothing to draw
        x = [g.generation for g in scored]
        self.worst_line.setData(x, finite([g.worst for g in scored]))
        self.best_line.setData(x, finite([g.best for g in scored]))
        self.mean_line.setData(x, finite([g.mean for g in scored]))
        so_far = [g for g in generations if g.best_so_far is not None]
        self.best_so_far_line.setData(
            *_steps([g.generation for g in so_far], [g.best_so_far for g in so_far])
        )

    def load(self, records: list[CandidateRecord], generations: list[GenerationFinished]) -> None:
        self._generations = {g.generation: g for g in generations}
        self.scatter.clear()
        self._pending = [
            (r.generation + _jitter(r.candidate_id), r.val_metric) for r in records if is_scored(r)
        ]
        self._dirty = True
        self.redraw()


def _steps(x: list[int], y: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """A staircase through (x, y): each value holds until the next x, where it jumps."""
    xs = np.repeat(np.asarray(x, dtype=np.float64), 2)[1:]
    ys = np.repeat(finite(y), 2)[:-1]
    return xs, ys
