"""`PlaygroundTraining`: one hand-built network trained off the GUI thread by the engine's own
`train_candidate`, its progress turned into the same events a run emits.

Lifecycle: `start()` runs the training in the thread; queued on the GUI thread come
`progress(EpochReport)` every epoch, `progress(BoundarySnapshot)` at most every
`SNAPSHOT_SECONDS` (and once at the end with the best epoch's weights, epoch -1), then
`done(TrainResult)` or `failed(message)`. `stop()` ends it after the current epoch.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QThread, Signal

if TYPE_CHECKING:
    from neurolab.data.dataset import PreparedData
    from neurolab.genome import Genome

SNAPSHOT_SECONDS = 0.1  # ~10 boundary pictures a second: smooth, and cheap next to training
PLAYGROUND_ID = 0  # the candidate id the Playground's events carry


class PlaygroundTraining(QThread):
    """Trains `genome` on `data` (see the module docstring)."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, genome: Genome, data: PreparedData, seed: int = 0, parent=None) -> None:
        super().__init__(parent)
        self.genome, self.data, self.seed = genome, data, seed
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        try:
            from neurolab.events import BoundarySnapshot, EpochReport
            from neurolab.model import build_model
            from neurolab.train.boundary import BoundaryGrid
            from neurolab.train.trainer import train_candidate

            grid = BoundaryGrid.from_data(self.data)
            last = [0.0]

            def on_epoch(epoch, train_loss, val_loss, val_metric, model) -> bool:
                self.progress.emit(
                    EpochReport(PLAYGROUND_ID, epoch, train_loss, val_loss, val_metric)
                )
                now = time.monotonic()
                if grid is not None and now - last[0] >= SNAPSHOT_SECONDS:
                    last[0] = now
                    values = grid.predict(model, self.data.task)
                    self.progress.emit(BoundarySnapshot(PLAYGROUND_ID, epoch, values))
                return not self._stop.is_set()

            # Patience = all epochs: the user asked for them and wants to watch every one.
            result = train_candidate(
                self.genome,
                self.data,
                seed=self.seed,
                patience=self.genome.epochs,
                on_epoch=on_epoch,
            )
            if grid is not None and result.weights is not None:
                from safetensors.torch import load

                model = build_model(self.genome, self.data.n_features, self.data.n_outputs)
                model.load_state_dict(load(result.weights))
                values = grid.predict(model, self.data.task)
                self.progress.emit(BoundarySnapshot(PLAYGROUND_ID, -1, values))
            self.done.emit(result)
        except Exception as exc:  # shown in the Playground, never a dead thread
            self.failed.emit(f"{type(exc).__name__}: {exc}")
