"""The Pareto front of a run: validation metric against parameter count. A candidate is on the
front when no other is both at least as good and at most as large (one strictly); click a point
to inspect it. Works for any run from its stored candidates."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from neurolab.events import CandidateRecord
from neurolab.ui.plots.common import (
    FAINT,
    INK,
    PlotPanel,
    colour,
    format_metric,
    is_scored,
    layers_text,
    metric_label,
)


def pareto_front(records: list[CandidateRecord]) -> list[CandidateRecord]:
    """The non-dominated scored candidates (max metric, min parameters), fewest parameters first."""
    scored = sorted((r for r in records if is_scored(r)), key=lambda r: (r.params, -r.val_metric))
    front, best = [], -math.inf
    for record in scored:
        if record.val_metric > best:
            front.append(record)
            best = record.val_metric
    return front


class ParetoView(PlotPanel):
    """`show_records(records, metric)` draws every scored candidate and the front; clicking a
    point emits `candidateClicked(id)`."""

    candidateClicked = Signal(int)  # noqa: N815 - Qt signal naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("parameters (log scale)", "validation metric", parent)
        self.plot_item.hideButtons()
        self.legend.setOffset((-10, -10))  # bottom right: the front climbs to the top left
        self.others = pg.ScatterPlotItem(
            size=7, brush=FAINT, pen=None, hoverable=True, tip=self._tip
        )
        self.front_line = self.line(colour(3), 2, name="Pareto front")
        self.front_points = pg.ScatterPlotItem(
            size=11, brush=colour(3), pen=pg.mkPen(INK, width=1), hoverable=True, tip=self._tip
        )
        for item in (self.others, self.front_points):
            self.plot_item.addItem(item)
            item.sigClicked.connect(self._on_click)
        self.front: list[CandidateRecord] = []
        self._records: dict[int, CandidateRecord] = {}

    def show_records(self, records: list[CandidateRecord], metric: str) -> None:
        self.set_labels("parameters (log scale)", f"validation {metric_label(metric)}")
        self.front = pareto_front(records)
        self._records = {r.candidate_id: r for r in records}
        on_front = {r.candidate_id for r in self.front}
        rest = [r for r in records if is_scored(r) and r.candidate_id not in on_front]
        self.others.setData(_spots(rest))
        self.front_points.setData(_spots(self.front))
        # A staircase: each front member holds until a larger network does better.
        xs, ys = [], []
        for a, b in zip(self.front, self.front[1:], strict=False):
            xs += [_log(a.params), _log(b.params)]
            ys += [a.val_metric, a.val_metric]
        if self.front:
            xs.append(_log(self.front[-1].params))
            ys.append(self.front[-1].val_metric)
        self.front_line.setData(np.asarray(xs), np.asarray(ys))
        counts = [r.params for r in records if is_scored(r)]
        if counts:
            self.plot_item.getAxis("bottom").setTicks(_log_ticks(min(counts), max(counts)))
        self.set_title(
            f"{len(self.front)} of {len(rest) + len(self.front)} candidates on the "
            "front (click a point to inspect it)"
        )
        self.plot_item.enableAutoRange()

    def _tip(self, x: float, y: float, data: int) -> str:
        return candidate_tip(self._records[data]) if data in self._records else ""

    def _on_click(self, item, points, event=None) -> None:
        if len(points):
            self.candidateClicked.emit(int(points[0].data()))


def candidate_tip(record: CandidateRecord) -> str:
    """A hover text: which candidate, its network, its score and size."""
    return (
        f"candidate {record.candidate_id} (generation {record.generation})\n"
        f"{layers_text(record.genome)}\nvalidation {format_metric(record.val_metric)}, "
        f"{record.params:,} parameters\nmade by {record.origin}"
    )


def _log(params: int) -> float:
    # x is log10(parameters), drawn by hand: pyqtgraph's log mode skips scatter items.
    return math.log10(max(params, 1))


def _log_ticks(low: int, high: int) -> list[list[tuple[float, str]]]:
    """Labelled powers of ten, unlabelled 2× and 5× steps between them."""
    first, last = math.floor(_log(low)), math.ceil(_log(high))
    major = [(float(k), f"{10**k:,}") for k in range(first, last + 1)]
    minor = [(math.log10(m * 10**k), "") for k in range(first, last) for m in (2, 5)]
    return [major, minor]


def _spots(records: list[CandidateRecord]) -> list[dict]:
    return [{"pos": (_log(r.params), r.val_metric), "data": r.candidate_id} for r in records]
