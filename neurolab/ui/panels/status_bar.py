"""The status bar: run state, progress, elapsed time, candidates per second, best, device, and
the Ray cluster's CPUs and GPUs when one is used."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

if TYPE_CHECKING:
    from neurolab.events import RunProgress

STATE_TEXT = {
    "loading": "Loading the engine…",
    "ready": "Ready",
    "preparing": "Preparing the data…",
    "running": "Running",
    "paused": "Paused",
    "stopping": "Stopping after the current epoch…",
    "cross-validating": "Cross-validating the finalists…",
    "finished": "Finished",
    "stopped": "Stopped",
    "interrupted": "Interrupted",
    "failed": "Failed",
}


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )


class RunStatusBar(QStatusBar):
    """Shows what the run is doing; the elapsed clock ticks on its own between events."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel()
        self.state.setObjectName("runState")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.elapsed = QLabel()
        self.rate = QLabel()
        self.best = QLabel()
        self.device = QLabel("device: …")
        self.device_name = "not known yet (the engine is loading)"
        self.device.setToolTip("Where networks are trained (auto picks the GPU when there is one).")
        self.cluster = QLabel()
        self.cluster.setObjectName("cluster")
        self.cluster.setVisible(False)
        # All permanent (right-hand side): messages on the left never hide the run's state.
        for widget in (
            self.state,
            self.progress,
            self.best,
            self.rate,
            self.elapsed,
            self.device,
            self.cluster,
        ):
            self.addPermanentWidget(widget)
        self._started: float | None = None
        self._offset = 0.0  # elapsed reported by the engine at the last event
        self._tick = QTimer(self, interval=500)
        self._tick.timeout.connect(self._show_clock)
        self.set_state("loading")

    def set_state(self, state: str) -> None:
        self.state.setText(STATE_TEXT.get(state, state))
        self.state.setProperty("state", state)
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        if state in ("running", "preparing", "stopping", "cross-validating"):
            if not self._tick.isActive():
                self._started = time.monotonic() - self._offset
                self._tick.start()
        else:
            self._tick.stop()
            self._started = None

    def run_started(self) -> None:
        self._offset = 0.0
        self.progress.setRange(0, 0)  # busy until the first candidate finishes
        self.progress.setVisible(True)
        self.best.setText("")
        self.rate.setText("")
        self.elapsed.setText("00:00")

    def update_progress(self, progress: RunProgress, best: str) -> None:
        elapsed, eta = progress.elapsed, progress.eta
        self._offset = elapsed
        if self._started is not None:
            self._started = time.monotonic() - elapsed
        # The engine's own estimate: generations done plus the current one's share, or time.
        fraction = elapsed / (elapsed + eta) if eta is not None and elapsed + eta > 0 else 0.0
        self.progress.setRange(0, 1000)
        self.progress.setValue(round(1000 * fraction))
        generation = min(progress.generation + 1, progress.generations)
        self.progress.setFormat(f"generation {generation} of {progress.generations}")
        self.progress.setToolTip(
            f"{progress.candidates_done} networks trained "
            f"({progress.candidates_failed} failed); about {clock(eta)} left"
        )
        done = progress.candidates_done
        self.rate.setText(f"{done / elapsed:.2f} candidates/s" if elapsed > 0 else "")
        self.best.setText(best)
        self._show_clock()

    def run_ended(self, state: str, seconds: float | None) -> None:
        self.progress.setVisible(False)
        if seconds is not None:
            self._offset = seconds
        self.set_state(state)
        self.elapsed.setText(clock(self._offset))

    def set_device(self, device: str) -> None:
        self.device_name = device
        self.device.setText(f"device: {device}")

    def show_cluster(self, address: str | None) -> None:
        """Connect to the Ray cluster off the GUI thread, then show its CPUs and GPUs."""
        from neurolab.ui.background import run_in_background

        where = address or "a local Ray instance"
        self.cluster.setVisible(True)
        self.cluster.setText("Ray: connecting…")
        self.cluster.setToolTip(f"Connecting to {where}")

        def connect():
            from neurolab.execution.ray_cluster import connect

            return connect(address)

        def done(info) -> None:
            self.cluster.setText(info.describe())
            self.cluster.setToolTip(f"Ray cluster at {address or 'this computer'}")

        def failed(exc: BaseException) -> None:
            from neurolab.ui.dialogs.errors import show_exception

            self.cluster.setText("Ray: not connected")
            self.cluster.setToolTip(str(exc))
            show_exception(self.window(), "Ray cluster", exc)

        run_in_background(connect, self, done, failed)

    def _show_clock(self) -> None:
        if self._started is not None:
            self.elapsed.setText(clock(time.monotonic() - self._started))
