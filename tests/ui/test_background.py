"""Background calls: results come back on the GUI thread, and so does garbage collection."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from neurolab.ui.background import collect_garbage_on_gui_thread, run_in_background


def test_cycles_freed_by_a_background_threads_allocations_are_collected_on_the_gui_thread(qtbot):
    """A closed window's Qt objects in a reference cycle, collected on a worker thread, deadlocked
    the GUI thread (seen in CI): the collector must only ever run on the GUI thread."""
    collect_garbage_on_gui_thread()
    assert not gc.isenabled()
    collected_on: list[str] = []

    class Node:
        def __init__(self) -> None:
            self.qt = QObject()
            self.me = self  # a cycle: only the cycle collector frees it

    node = Node()
    weakref.finalize(node, lambda: collected_on.append(threading.current_thread().name))
    del node
    # Plenty of objects made (and kept) off the GUI thread: past every threshold of the collector.
    parent = QObject()
    results: list[list] = []
    run_in_background(lambda: [[i] for i in range(200_000)], parent, results.append, print)
    qtbot.waitUntil(lambda: bool(results and collected_on), timeout=10_000)
    assert len(results[0]) == 200_000
    assert collected_on == [threading.main_thread().name]
