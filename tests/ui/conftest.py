"""Fixtures for the desktop app: real main windows with throw-away settings, closed after each test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

WINDOW_READY_MS = 60_000  # the first window imports torch & co. in the background


def open_message_boxes(name: str | None = None) -> list[QMessageBox]:
    """The message boxes on screen (error dialogs are non-modal, so tests can find them)."""
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    return [b for b in boxes if b.isVisible() and (name is None or b.objectName() == name)]


@pytest.fixture
def settings(tmp_path) -> QSettings:
    """A settings file of the test's own, so tests never touch the user's NeuroLab settings."""
    return QSettings(str(tmp_path / "settings" / "NeuroLab.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window_factory(qtbot, settings, monkeypatch) -> Iterator[Callable[[], object]]:
    """Builds shown, fully loaded main windows; stops their runs and closes them afterwards.

    The questions the window would ask (unsaved results? stop the run?) are answered without a
    modal dialog: discard, and yes.
    """
    from neurolab.ui.dialogs import prompts
    from neurolab.ui.main_window import MainWindow

    monkeypatch.setattr(prompts, "ask_unsaved", lambda parent, what: "discard")
    monkeypatch.setattr(prompts, "ask_stop_run", lambda parent, what: True)
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(window.is_settled, timeout=WINDOW_READY_MS)
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.controller.is_running():
            with qtbot.waitSignal(window.controller.finished, timeout=60_000):
                window.controller.stop()
        window.close()
    for box in open_message_boxes():
        box.close()


@pytest.fixture
def main_window(window_factory):
    """One real, fully loaded main window (Data panel, plots and engine ready)."""
    return window_factory()


@pytest.fixture(scope="session")
def ga_project(tmp_path_factory):
    """A real small GA run on moons (3 generations of 6, ~3 s), shared by the insight tests."""
    from tests.ui.real_runs import run_small

    return run_small(tmp_path_factory.mktemp("ga") / "ga.nlab")


@pytest.fixture(scope="session")
def optuna_project(tmp_path_factory):
    """A real small Optuna (TPE) run on moons (3 generations of 6)."""
    from tests.ui.real_runs import run_small

    return run_small(tmp_path_factory.mktemp("optuna") / "optuna.nlab", "optuna")


@pytest.fixture(scope="session")
def regression_project(tmp_path_factory):
    """A real small GA run on the 1-D sine regression toy (2 generations of 6)."""
    from tests.ui.real_runs import run_small

    overrides = {"data": {"name": "sine", "params": {"n_samples": 300}}, "budget.generations": 2}
    return run_small(tmp_path_factory.mktemp("sine") / "sine.nlab", **overrides)
