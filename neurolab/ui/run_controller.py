"""`RunController`: one experiment at a time, run by the engine's `Runner` in a `QThread`.

Lifecycle of a run, as signals delivered on the GUI thread (queued, in this order):
``stateChanged("preparing")`` -> ``dataReady(PreparedData)`` -> ``event(...)`` for every engine
event (RunStarted first) -> ``failed(message, details)`` only when the run raised ->
``finished(RunFinished | None)`` once the thread has ended (None when it never ran to a summary).

`pause()`, `resume()` and `stop()` may be called at any moment, also while the data is still
being prepared (they are remembered and applied to the Runner as soon as it exists).
"""

from __future__ import annotations

import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal

from neurolab.errors import NeuroLabError

if TYPE_CHECKING:
    from neurolab.data.dataset import PreparedData
    from neurolab.runner import Runner
    from neurolab.spec import ExperimentSpec


class RunController(QObject):
    """Owns the run thread and turns the Runner's events into queued Qt signals."""

    event = Signal(object)
    dataReady = Signal(object)
    stateChanged = Signal(str)  # "preparing" | "running" | "paused" | "stopping" | "idle"
    failed = Signal(str, str)  # a message for the user, technical details ("" for user errors)
    finished = Signal(object)  # RunFinished, or None when the run ended without a summary

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: _RunThread | None = None
        self._lock = threading.Lock()
        self._runner: Runner | None = None
        self._paused = self._stopping = False

    # --- state --------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def is_paused(self) -> bool:
        return self._paused

    # --- control ------------------------------------------------------------------------
    def start(
        self,
        spec: ExperimentSpec,
        project: str | Path,
        data: PreparedData | None = None,
        resume_run: int | None = None,
    ) -> None:
        """Start a run in a new thread (or continue run `resume_run` of the project from its
        last complete generation); refused while one is running."""
        if self._thread is not None:
            raise RuntimeError("a run is already in progress")
        self._paused = self._stopping = False
        self._runner = None
        self._thread = _RunThread(self, spec, Path(project), data, resume_run)
        self._thread.finished.connect(self._on_thread_finished)
        self.stateChanged.emit("preparing")
        self._thread.start()

    def pause(self) -> None:
        if self._thread is None or self._paused or self._stopping:
            return
        with self._lock:
            self._paused = True
            runner = self._runner
        if runner is not None:
            runner.pause()  # emits StateChanged("paused") through the sink
        else:
            self.stateChanged.emit("paused")

    def resume(self) -> None:
        if self._thread is None or not self._paused or self._stopping:
            return
        with self._lock:
            self._paused = False
            runner = self._runner
        if runner is not None:
            runner.resume()
        else:
            self.stateChanged.emit("running")

    def stop(self) -> None:
        """Ask the run to stop after the current epoch; `finished` follows."""
        if self._thread is None or self._stopping:
            return
        with self._lock:
            self._stopping = True
            runner = self._runner
        if runner is not None:
            runner.stop()
        else:
            self.stateChanged.emit("stopping")

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the thread has ended (used only when the app quits)."""
        thread = self._thread
        return True if thread is None else thread.wait(timeout_ms)

    # --- called on the run thread --------------------------------------------------------
    def _adopt(self, runner: Runner) -> bool:
        """Hand the controller its Runner; False when a stop came in before it existed."""
        with self._lock:
            self._runner = runner
            if self._paused:
                runner.pause()
            return not self._stopping

    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        with self._lock:
            self._runner = None
        self._paused = self._stopping = False
        result = thread.result if thread is not None else None
        if thread is not None:
            thread.deleteLater()
        self.stateChanged.emit("idle")
        self.finished.emit(result)


class _RunThread(QThread):
    """Prepares the data (importing torch & co. here, never on the GUI thread) and runs."""

    def __init__(
        self,
        controller: RunController,
        spec: ExperimentSpec,
        project: Path,
        data: PreparedData | None,
        resume_run: int | None,
    ) -> None:
        super().__init__()
        self.controller, self.spec, self.project, self.data = controller, spec, project, data
        self.resume_run = resume_run
        self.result: Any = None

    def run(self) -> None:
        controller = self.controller
        try:
            from neurolab.data import load_data
            from neurolab.runner import Runner

            spec = self.spec
            data = self.data or load_data(spec.data, spec.task, spec.seed)
            controller.dataReady.emit(data)
            runner = Runner(
                spec,
                self.project,
                [controller.event.emit],
                snapshots=True,
                data=data,
                resume_run=self.resume_run,
            )
            if controller._adopt(runner):
                self.result = runner.run()
        except NeuroLabError as exc:
            controller.failed.emit(str(exc), "")
        except Exception as exc:
            details = "".join(traceback.format_exception(exc))
            text = f"Something unexpected went wrong: {type(exc).__name__}: {exc}"
            controller.failed.emit(text, details)
