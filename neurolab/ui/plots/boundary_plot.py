"""What one candidate has learned, drawn over the data: class-probability shading on the plot
plane (the two features, or the first two principal components), or the fitted curve for 1-D
regression."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from neurolab.data.dataset import PreparedData
from neurolab.events import BoundarySnapshot, CandidateFinished, CandidateRecord, GenerationFinished
from neurolab.ui.plots.common import (
    INK,
    PlotPanel,
    best_record,
    colour,
    colour_rgb,
    finite,
    format_metric,
    is_scored,
    lighten,
    metric_label,
)

if TYPE_CHECKING:  # the module itself imports torch; see `reset`
    from neurolab.train.boundary import BoundaryGrid

MAX_POINTS = 4000  # drawn train + validation points; more only slow every repaint down
KEEP_RECENT = 4  # besides the watched, best and followed candidates (bounded memory)
_CLEAR = (0, 0, 0, 0)  # a hollow symbol's brush (None would mean "default" to pyqtgraph)


@dataclass(frozen=True)
class _Snapshot:
    epoch: int  # -1: final, with the candidate's best weights
    values: np.ndarray
    label: str | None = None  # a title given by `set_prediction`


class BoundaryPlot(PlotPanel):
    """The boundary of the watched candidate (by default the best so far), over the data points.

    `reset` draws the points and builds the plot grid (the same `BoundaryGrid` the workers
    predict on); `handle` keeps `BoundarySnapshot`s of the candidates that may be shown; `watch`
    picks whose boundary is shown; `set_prediction` shows one computed by the window (reopened
    projects).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", "", parent, grid=False)  # a grid over the shading is clutter
        self.image = pg.ImageItem(axisOrder="row-major")  # values[i, j]: y index i, x index j
        self.image.setZValue(-10)
        self.plot_item.addItem(self.image)
        self.curve = self.line(INK, 3)
        self.curve.setZValue(10)
        self.message = pg.TextItem("", color=INK, anchor=(0.5, 0.5))
        self.plot_item.addItem(self.message, ignoreBounds=True)
        self.point_items: list[pg.ScatterPlotItem] = []  # rebuilt per dataset, not per redraw
        self._data: PreparedData | None = None
        self._grid: BoundaryGrid | None = None
        self._metric = "accuracy"
        self._class_rgb = np.zeros((0, 3), np.float32)
        self._diverging: pg.ColorMap | None = None
        self._value_map: pg.ColorMap = pg.colormap.get("viridis")
        self._value_range = (0.0, 1.0)
        self._snapshots: OrderedDict[int, _Snapshot] = OrderedDict()
        self._watched: int | None = None
        self._best: tuple[int, float | None] | None = None  # (candidate id, val metric)
        self._followed: int | None = None  # the training candidate shown until a best exists
        self._followed_done = False
        self._shown: _Snapshot | None = None

    @property
    def watched(self) -> int | None:
        return self._watched

    @property
    def grid(self) -> BoundaryGrid | None:
        """The plot grid of the current data (None: nothing to draw a boundary on)."""
        return self._grid

    # --- contract ---------------------------------------------------------------------------
    def reset(self, data: PreparedData | None, metric: str) -> None:
        self._data, self._metric = data, metric
        self._forget_candidates()
        for item in self.point_items:
            self.plot_item.removeItem(item)
        self.point_items.clear()
        self.legend.clear()
        self.image.setVisible(False)
        self.curve.setData([], [])
        self.set_title("")
        self._grid, self._diverging = None, None
        if data is not None:
            # Imported here: boundary.py pulls in torch, and the window should show before it.
            from neurolab.train.boundary import BoundaryGrid

            self._grid = BoundaryGrid.from_data(data)
        if self._grid is None:
            self._show_message("no data loaded" if data is None else "no boundary for this data")
            return
        self.message.setVisible(False)
        self._draw_points(data, self._grid)
        self._dirty = True
        self.redraw()

    def handle(self, event: object) -> None:
        if isinstance(event, BoundarySnapshot):
            cid = event.candidate_id
            self._snapshots[cid] = _Snapshot(event.epoch, event.values)
            self._snapshots.move_to_end(cid)
            # Follow one training candidate until it is done, not whichever reported last.
            if self._followed is None or self._followed_done or cid == self._followed:
                self._followed, self._followed_done = cid, event.epoch == -1
            self._prune()
            self._dirty = True
        elif isinstance(event, CandidateFinished):
            record = event.record
            if record.candidate_id == self._followed:
                self._followed_done = True
            if event.is_best and is_scored(record):
                self._best = (record.candidate_id, record.val_metric)
                self._dirty = True

    def redraw(self) -> None:
        if not self._dirty or self._grid is None:
            return
        self._dirty = False
        cid = self._target()
        snapshot = self._snapshots.get(cid) if cid is not None else None
        self.set_title(self._title(cid, snapshot))
        if snapshot is self._shown:
            return
        self._shown = snapshot
        if snapshot is None or not self._fits(snapshot.values):
            self.image.setVisible(False)
            self.curve.setData([], [])
        elif self._grid.is_curve:
            self.curve.setData(self._grid.points[:, 0], finite(snapshot.values))
        else:
            self.image.setImage(
                self._rgba(snapshot.values), autoLevels=False, rect=_pixel_rect(self._grid)
            )
            self.image.setVisible(True)

    def load(self, records: list[CandidateRecord], generations: list[GenerationFinished]) -> None:
        self._forget_candidates()
        best = best_record(records)
        self._best = (best.candidate_id, best.val_metric) if best else None
        self._dirty = True
        self.redraw()

    # --- what to show -----------------------------------------------------------------------
    def watch(self, candidate_id: int | None) -> None:
        """Show this candidate's latest snapshot; None follows the best so far."""
        self._watched = candidate_id
        self._dirty = True

    def set_prediction(self, candidate_id: int, values: np.ndarray, label: str) -> None:
        """Show a boundary the window computed (e.g. from stored weights), titled `label`.

        Shown right away: if it is not the candidate on screen, the plot watches it.
        """
        self._snapshots[candidate_id] = _Snapshot(-1, np.asarray(values), label)
        self._snapshots.move_to_end(candidate_id)
        if self._target() != candidate_id:
            self._watched = candidate_id
        self._prune()
        self._dirty = True

    def _forget_candidates(self) -> None:
        self._snapshots.clear()
        self._watched = self._best = self._followed = self._shown = None
        self._followed_done = False

    def _target(self) -> int | None:
        if self._watched is not None:
            return self._watched
        if self._best is not None and (self._best[0] in self._snapshots or self._followed is None):
            return self._best[0]
        return self._followed

    def _prune(self) -> None:
        # Recent ones stay too: a final snapshot arrives before the event saying it is the best.
        if len(self._snapshots) <= KEEP_RECENT:
            return
        keep = {self._watched, self._followed, self._best[0] if self._best else None}
        keep.update(list(self._snapshots)[-KEEP_RECENT:])
        for cid in [cid for cid in self._snapshots if cid not in keep]:
            del self._snapshots[cid]

    def _title(self, cid: int | None, snapshot: _Snapshot | None) -> str:
        if cid is None:
            return "waiting for the first boundary…"
        if snapshot is not None and snapshot.label:
            return snapshot.label
        if self._best is not None and cid == self._best[0]:
            text = (
                f"best so far: candidate {cid}, "
                f"val {metric_label(self._metric)} {format_metric(self._best[1])}"
            )
            return text if snapshot is not None else f"{text} (no boundary yet)"
        if snapshot is None:
            return f"candidate {cid} · no boundary yet"
        if snapshot.epoch == -1:
            return f"candidate {cid} · final (best epoch's weights)"
        return f"candidate {cid} · epoch {snapshot.epoch} (training)"

    # --- drawing ----------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.set_labels("", "")
        self.message.setText(text)
        self.message.setPos(0.5, 0.5)
        self.message.setVisible(True)
        self.plot_item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)

    def _draw_points(self, data: PreparedData, grid: BoundaryGrid) -> None:
        # Train and validation points are filled (the search saw them), test points hollow.
        seen_x, seen_y = _sample(
            np.concatenate([data.x_train, data.x_val]),
            np.concatenate([data.y_train, data.y_val]),
            MAX_POINTS,
        )
        test_x, test_y = _sample(data.x_test, data.y_test, MAX_POINTS // 4)
        if grid.is_curve:
            self.set_labels(data.feature_names[0], data.target_name)
            self._scatter(grid.project(seen_x)[:, 0], seen_y, "train", brush=colour(0))
            self._scatter(
                grid.project(test_x)[:, 0],
                test_y,
                "test (hollow)",
                brush=_CLEAR,
                pen=pg.mkPen(colour(0), width=1.5),
            )
            self.legend.addItem(self.curve, "fitted curve")
            self.plot_item.enableAutoRange()
            return
        names = data.feature_names if data.n_features == 2 else ["PC 1", "PC 2"]
        self.set_labels(names[0], names[1])
        seen, test = grid.project(seen_x), grid.project(test_x)
        if data.task == "classification":
            self._class_rgb = np.stack([colour_rgb(k) for k in range(len(data.class_names))])
            if len(data.class_names) == 2:
                light = [tuple(lighten(c, 0.45).astype(int)) for c in self._class_rgb]
                self._diverging = pg.ColorMap(
                    [0.0, 0.5, 1.0], [light[0], (255, 255, 255), light[1]]
                )
            for k, name in enumerate(data.class_names):
                self._scatter(*seen[seen_y == k].T, name, brush=colour(k))
                self._scatter(
                    *test[test_y == k].T,
                    None,
                    brush=_CLEAR,
                    pen=pg.mkPen(colour(k), width=1.5),
                )
        else:
            values = np.concatenate([seen_y, test_y])
            self._value_range = (float(values.min()), float(values.max()))
            self._scatter(*seen.T, "train", brush=self._value_brushes(seen_y))
            self._scatter(
                *test.T,
                None,
                brush=_CLEAR,
                pen=[pg.mkPen(b.color(), width=1.5) for b in self._value_brushes(test_y)],
            )
        # A scatter item as the sample: a PlotDataItem's sample ignores its symbol brush until drawn.
        self.legend.addItem(
            pg.ScatterPlotItem(symbol="o", size=8, brush=_CLEAR, pen=pg.mkPen(INK, width=1.5)),
            "test (hollow)",
        )
        rect = _pixel_rect(grid)
        self.plot_item.setRange(
            xRange=(rect.left(), rect.right()), yRange=(rect.top(), rect.bottom()), padding=0
        )

    def _scatter(
        self, x: np.ndarray, y: np.ndarray, name: str | None, brush: Any, pen: Any = None
    ) -> None:
        item = pg.ScatterPlotItem(
            x=np.asarray(x),
            y=np.asarray(y),
            size=7,
            symbol="o",
            brush=brush,
            pen=pen if pen is not None else pg.mkPen(255, 255, 255, 200, width=0.8),
        )
        self.plot_item.addItem(item)
        self.point_items.append(item)
        if name:
            self.legend.addItem(item, name)

    def _value_brushes(self, values: np.ndarray) -> list[Any]:
        return [pg.mkBrush(c) for c in self._value_map.map(self._normalise(values), mode="qcolor")]

    def _normalise(self, values: np.ndarray) -> np.ndarray:
        lo, hi = self._value_range
        return np.clip((values - lo) / max(hi - lo, 1e-12), 0.0, 1.0)

    def _fits(self, values: np.ndarray) -> bool:
        """A snapshot from another dataset (a late event after `reset`) must not be drawn."""
        grid, data = self._grid, self._data
        if grid is None or data is None:
            return False
        if grid.is_curve:
            return values.shape == (len(grid.points),)
        return values.shape == (grid.resolution, grid.resolution, data.n_outputs)

    def _rgba(self, values: np.ndarray) -> np.ndarray:
        """Snapshot -> RGB(A) uint8 image, row i = y index i."""
        v = np.nan_to_num(np.asarray(values, dtype=np.float32))
        if self._data is not None and self._data.task == "regression":
            rgb = self._value_map.map(self._normalise(v[..., 0]), mode="float")[..., :3] * 255
            return lighten(rgb, 0.45).astype(np.uint8)  # light, so the points stand out
        if self._diverging is not None and v.shape[-1] == 2:
            return self._diverging.map(np.clip(v[..., 1], 0.0, 1.0), mode="byte")
        # K classes: each pixel is the probability-weighted mix of the (lightened) class colours.
        rgb = lighten(v @ self._class_rgb, 0.45)
        return np.clip(rgb, 0, 255).astype(np.uint8)


def _pixel_rect(grid: BoundaryGrid) -> QRectF:
    """Grid points are pixel centres, so the image reaches half a pixel beyond the ranges."""
    (x0, x1), (y0, y1) = grid.x_range, grid.y_range
    dx, dy = (x1 - x0) / (grid.resolution - 1), (y1 - y0) / (grid.resolution - 1)
    return QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy)


def _sample(x: np.ndarray, y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `limit` rows, the same ones every time (a fixed seed)."""
    if len(y) <= limit:
        return x, y
    keep = np.sort(np.random.default_rng(0).choice(len(y), limit, replace=False))
    return x[keep], y[keep]
