"""Importing the heavy parts after the window is on screen, off the GUI thread.

`import torch` alone takes ~3 s on a small machine, scikit-learn + pandas another ~2 s, and the
window must show in under 2 s. So the window starts with the Qt-only parts, and `EngineLoader`
imports the rest in a thread: first what the data panel and plots need (`uiReady`), then torch
and the run loop (`engineReady`, with the devices this machine offers), then it trains two tiny
networks once and starts the worker processes' fork server (`warmedUp`). Nothing on the GUI
thread imports these modules before the matching signal, so the import lock never blocks it.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QThread, Signal

UI_MODULES = (
    "numpy",
    "pyqtgraph",
    "neurolab.store",
    "neurolab.data",  # scikit-learn, pandas
    "neurolab.ui.plots",
    "neurolab.ui.panels.data_panel",
)
ENGINE_MODULES = ("torch", "neurolab.runner", "neurolab.model", "neurolab.train.boundary")
_warm = threading.Event()


class EngineLoader(QThread):
    """Imports in two steps; `failed(exception)` instead when an import breaks."""

    uiReady = Signal()
    engineReady = Signal(list, str)  # device choices, the device "auto" resolves to
    warmedUp = Signal()
    failed = Signal(object)

    def run(self) -> None:
        try:
            for name in UI_MODULES:
                importlib.import_module(name)
            self.uiReady.emit()
            for name in ENGINE_MODULES:
                importlib.import_module(name)
            self.engineReady.emit(*_devices())
        except Exception as exc:
            self.failed.emit(exc)
            return
        try:
            if not _warm.is_set():  # once per process (a second window finds it done)
                _warm_up()
        except Exception:  # only a head start: the real run reports its own problems
            traceback.print_exc(file=sys.stderr)
        _warm.set()
        self.warmedUp.emit()


def _warm_up() -> None:
    """A throw-away run of two tiny networks. A process's first optimizer imports ~1,800 more
    modules (torch._dynamo, sympy): seconds of GIL-heavy work that would otherwise land in the
    user's first run, in the same process as the window, and stall it."""
    from neurolab.runner import Runner
    from neurolab.spec import ExperimentSpec

    spec = ExperimentSpec.from_dict(
        {
            "name": "warm-up",
            "data": {"name": "moons", "params": {"n_samples": 60}},
            "search_space": {
                "max_layers": 1,
                "max_width": 4,
                "min_epochs": 1,
                "max_epochs": 2,
                "optimizers": ["adam", "adamw", "sgd"],
            },
            "engine": {"population": 2, "elites": 0},
            "budget": {"generations": 1},
            "execution": {"workers": 1, "device": "cpu"},
        }
    )
    with tempfile.TemporaryDirectory(prefix="neurolab-warmup-") as folder:
        Runner(spec, Path(folder) / "warm-up.nlab", snapshots=True).run()
    from neurolab.execution.process_pool import start_server

    start_server()  # so the first run's worker processes start at once (they fork from it)


def _devices() -> tuple[list[str], str]:
    import torch

    from neurolab.model import resolve_device

    choices = ["auto", "cpu"]
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        choices += ["cuda", *(f"cuda:{i}" for i in range(count))]
        auto = f"cuda ({torch.cuda.get_device_name(0)})"
    else:
        auto = str(resolve_device("auto"))
    return choices, auto
