"""Loss per epoch: the candidates training right now, and the best so far highlighted."""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateFinished, CandidateRecord, EpochReport, GenerationFinished
from neurolab.ui.plots.common import (
    FAINT,
    INK,
    NEUTRAL,
    PlotPanel,
    best_record,
    colour,
    finite,
    is_scored,
    make_pen,
)

LIVE_LIMIT = 8  # curves of at most this many training candidates at once
LINGER_SECONDS = 3.0  # a finished candidate's curves stay this long, so the end is visible
FAINT_OTHERS = 5  # `load` shows the best and this many runners-up, faintly


@dataclass
class _Live:
    epochs: list[int] = field(default_factory=list)
    train: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    finished_at: float | None = None
    changed: bool = True


class LossPlot(PlotPanel):
    """Train (dashed) and validation (solid) loss curves.

    Live: one colour per training candidate (from `EpochReport`), dropped `linger_seconds` after
    it finishes; the best so far (from `CandidateFinished` with `is_best`) in thick dark lines.
    `load`: the best candidate's curves and a few runners-up, faint.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("epoch", "loss", parent, integer_x=True)
        self.linger_seconds = LINGER_SECONDS
        # Long runs (thousands of epochs) stay cheap to draw.
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        # A fixed pool of curve pairs, reassigned to candidates as they come and go.
        self.live_curves = [
            (self.line(FAINT, dashed=True), self.line(FAINT)) for _ in range(LIVE_LIMIT)
        ]
        self._slot_owner: list[tuple[int, str] | None] = [None] * LIVE_LIMIT
        self.best_train = self.line(INK, 3, dashed=True, name="best so far · train")
        self.best_val = self.line(INK, 3, name="best so far · validation")
        for item in (self.best_train, self.best_val):
            item.setZValue(10)
        # Live candidates each get their own colour; the legend explains the line styles.
        self.legend_entry("training · train", pen=make_pen(NEUTRAL, dashed=True))
        self.legend_entry("training · validation", pen=make_pen(NEUTRAL))
        self._live: dict[int, _Live] = {}  # insertion order = order they started reporting
        self._best: CandidateRecord | None = None
        self._best_changed = False

    # --- contract ---------------------------------------------------------------------------
    def reset(self, data: PreparedData | None, metric: str) -> None:
        self._live.clear()
        self._best, self._best_changed = None, True
        self._dirty = True
        self.redraw()

    def handle(self, event: object) -> None:
        if isinstance(event, EpochReport):
            live = self._live.get(event.candidate_id)
            if live is None:
                live = self._live[event.candidate_id] = _Live()
                self._evict()
            if live.epochs and event.epoch <= live.epochs[-1]:
                # A repeated or restarted epoch (e.g. a resumed run): continue from there.
                cut = bisect_left(live.epochs, event.epoch)
                del live.epochs[cut:], live.train[cut:], live.val[cut:]
            live.epochs.append(event.epoch)
            live.train.append(event.train_loss)
            live.val.append(event.val_loss)
            live.changed = self._dirty = True
        elif isinstance(event, CandidateFinished):
            live = self._live.get(event.record.candidate_id)
            if live is not None:
                live.finished_at = time.monotonic()
            if event.is_best and is_scored(event.record):
                self._best, self._best_changed = event.record, True
                self._dirty = True

    def redraw(self) -> None:
        now = time.monotonic()
        for cid in [
            cid
            for cid, live in self._live.items()
            if live.finished_at is not None and now - live.finished_at >= self.linger_seconds
        ]:
            del self._live[cid]
            self._dirty = True
        if not self._dirty:
            return
        self._dirty = False
        owners = list(self._live.items())
        for slot in range(LIVE_LIMIT):
            if slot < len(owners):
                cid, live = owners[slot]
                self._show(slot, cid, "live", live.epochs, live.train, live.val, force=live.changed)
                live.changed = False
            else:
                self._clear_slot(slot)
        if self._best_changed:
            self._best_changed = False
            best = self._best
            train, val = (best.train_losses, best.val_losses) if best else ((), ())
            _set_pair((self.best_train, self.best_val), _epochs(train, val), train, val)

    def load(self, records: list[CandidateRecord], generations: list[GenerationFinished]) -> None:
        self._live.clear()
        self._best = best_record(records)
        self._best_changed = self._dirty = True
        self.redraw()  # clears the live slots; the runners-up then take them over
        others = sorted(
            (r for r in records if is_scored(r) and r is not self._best and r.val_losses),
            key=lambda r: -r.val_metric,
        )[:FAINT_OTHERS]
        for slot, record in enumerate(others):
            train, val = record.train_losses, record.val_losses
            self._show(
                slot, record.candidate_id, "faint", _epochs(train, val), train, val, force=True
            )

    # --- options ----------------------------------------------------------------------------
    def set_log_y(self, on: bool) -> None:
        """Log-scale loss axis (losses span decades early in training)."""
        self.plot_item.setLogMode(y=on)

    # --- helpers ----------------------------------------------------------------------------
    def _evict(self) -> None:
        """Bound the live set: drop finished candidates first, then the oldest."""
        while len(self._live) > LIVE_LIMIT:
            done = [cid for cid, live in self._live.items() if live.finished_at is not None]
            del self._live[done[0] if done else next(iter(self._live))]

    def _show(self, slot: int, cid: int, look: str, epochs, train, val, force: bool) -> None:
        pair = self.live_curves[slot]
        if self._slot_owner[slot] != (cid, look):
            self._slot_owner[slot] = (cid, look)
            pen = colour(cid) if look == "live" else FAINT
            pair[0].setPen(make_pen(pen, dashed=True))
            pair[1].setPen(make_pen(pen))
            force = True
        if force:
            _set_pair(pair, epochs, train, val)

    def _clear_slot(self, slot: int) -> None:
        if self._slot_owner[slot] is not None:
            self._slot_owner[slot] = None
            _set_pair(self.live_curves[slot], [], [], [])


def _set_pair(pair: tuple[pg.PlotDataItem, pg.PlotDataItem], epochs, train, val) -> None:
    """Show one candidate's (train, validation) losses on a (dashed, solid) pair of curves."""
    pair[0].setData(epochs[: len(train)], finite(train))
    pair[1].setData(epochs[: len(val)], finite(val))


def _epochs(*curves: Sequence[float]) -> list[int]:
    """Epoch numbers for stored curves: one value per epoch, from 1."""
    return list(range(1, max(map(len, curves), default=0) + 1))
