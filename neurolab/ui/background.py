"""Calls that must not block the GUI thread: imports of the engine, data preparation, reopening.

`BackgroundCall(fn)` runs `fn()` in a `QThread`; `done(result)` or `failed(exception)` is delivered
queued on the GUI thread. The owner keeps it (as Qt parent) until `finished`, then it deletes itself.

`collect_garbage_on_gui_thread()` keeps Python's cycle collector off those threads: it runs in
whichever thread allocates past its threshold, and there it may destroy Qt objects (a closed
window's menus). That deadlocks: the collector holds the object's Qt lock and waits for the GIL
while the GUI thread, holding the GIL, deletes a widget and waits for that lock.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

_collector: QTimer | None = None  # collects on the GUI thread


class BackgroundCall(QThread):
    """One callable, off the GUI thread. Connect `done` / `failed`, then `start()`."""

    done = Signal(object)
    failed = Signal(object)  # the exception; its traceback is kept in __traceback__

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self.finished.connect(self.deleteLater)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # everything goes back to the GUI, nothing dies silently
            self.failed.emit(exc)
            return
        self.done.emit(result)


def run_in_background(
    fn: Callable[[], Any],
    parent: QObject,
    on_done: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
) -> BackgroundCall:
    """Start `fn` off the GUI thread; the callbacks run on the GUI thread."""
    call = BackgroundCall(fn, parent)
    call.done.connect(on_done)
    call.failed.connect(on_failed)
    call.start()
    return call


def wait_for_background(parent: QObject, timeout_ms: int = 30_000) -> None:
    """Block until every `BackgroundCall` child of `parent` has ended (before closing it)."""
    for call in parent.findChildren(BackgroundCall):
        call.wait(timeout_ms)


def collect_garbage_on_gui_thread() -> None:
    """Turn automatic cycle collection off and collect on a GUI-thread timer instead (once per
    process; pyqtgraph's `GarbageCollector` does the same, but importing pyqtgraph here would
    delay the first paint by a second)."""
    global _collector
    if _collector is not None:
        return
    thresholds = gc.get_threshold()

    def collect() -> None:
        # The generations the automatic collector would have collected by now, oldest first.
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if all(counts[g] > thresholds[g] for g in range(generation + 1)):
                gc.collect(generation)
                return

    gc.disable()
    _collector = QTimer()
    _collector.timeout.connect(collect)
    _collector.start(1000)
