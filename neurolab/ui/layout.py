"""The window's docks: their default arrangement, and what survives a restart (QSettings).

Remembered: window geometry, the dock layout (`saveState`, keyed on the docks' object names) and
the last experiment's settings, so a returning user finds the window as they left it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTabWidget

LAYOUT_VERSION = 2  # bump when the docks change, so an old saved layout is ignored
DOCKS = {
    "data": "Data",
    "search": "Search",
    "boundary": "Decision boundary",
    "fitness": "Fitness by generation",
    "loss": "Loss by epoch",
    "candidates": "Candidates",
    "insight": "Insight",
}


def make_docks(window: QMainWindow) -> dict[str, QDockWidget]:
    """One dock per entry of `DOCKS`, each holding a "Loading…" label until its widget exists."""
    docks = {}
    for name, title in DOCKS.items():
        dock = QDockWidget(title, window)
        dock.setObjectName(f"{name}Dock")  # saveState() keys on object names
        placeholder = QLabel("Loading…")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        dock.setWidget(placeholder)
        docks[name] = dock
    return docks


def arrange_docks(window: QMainWindow, d: dict[str, QDockWidget]) -> None:
    """Data and Search tabbed on the left; boundary (tabbed with Insight) and fitness/loss above
    the table."""
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    window.setDockNestingEnabled(True)
    window.addDockWidget(left, d["data"])
    window.tabifyDockWidget(d["data"], d["search"])
    window.addDockWidget(right, d["boundary"])
    window.splitDockWidget(d["boundary"], d["candidates"], Qt.Orientation.Vertical)
    window.splitDockWidget(d["boundary"], d["fitness"], Qt.Orientation.Horizontal)
    window.splitDockWidget(d["fitness"], d["loss"], Qt.Orientation.Vertical)
    d["data"].raise_()
    window.setTabPosition(left, QTabWidget.TabPosition.North)  # "Search" in plain sight
    window.resize(1440, 900)
    window.resizeDocks(
        [d["data"], d["boundary"], d["fitness"]], [380, 560, 500], Qt.Orientation.Horizontal
    )
    window.resizeDocks([d["boundary"], d["candidates"]], [560, 260], Qt.Orientation.Vertical)
    window.resizeDocks([d["fitness"], d["loss"]], [280, 280], Qt.Orientation.Vertical)


def place_insight(window: QMainWindow, d: dict[str, QDockWidget], again: bool = False) -> None:
    """Insight shares the boundary's place, tabbed. Called once the window is on screen: Qt
    (6.x) tabifying into a nested split before the first show leaves a second, stale tab bar
    that stays painted where the docks were. A restored layout has placed it already (unless
    `again`, after Reset layout)."""
    if not again and window.dockWidgetArea(d["insight"]) != Qt.DockWidgetArea.NoDockWidgetArea:
        return
    d["insight"].setFloating(False)
    d["insight"].show()
    window.tabifyDockWidget(d["boundary"], d["insight"])
    d["boundary"].raise_()


def reset_layout(window: QMainWindow, d: dict[str, QDockWidget], default_state) -> None:
    window.restoreState(default_state, LAYOUT_VERSION)
    place_insight(window, d, again=True)


def restore_layout(window: QMainWindow, settings: QSettings) -> dict[str, Any]:
    """Put geometry and docks back as saved; returns the last experiment's raw spec ({} if none)."""
    geometry = settings.value("window/geometry")
    state = settings.value("window/state")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    if isinstance(state, QByteArray):
        window.restoreState(state, LAYOUT_VERSION)
    try:
        last = json.loads(str(settings.value("experiment/last", "") or "{}"))
    except ValueError:
        return {}
    if not isinstance(last, dict):
        return {}
    data = last.get("data") or {}
    if data.get("csv") and not Path(data["csv"]).is_file():
        # A CSV that has moved since would greet the user with an error: start on a toy.
        last.pop("data")
        last.pop("task", None)
    return last


def save_layout(window: QMainWindow, settings: QSettings, spec: dict[str, Any]) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState(LAYOUT_VERSION))
    settings.setValue("experiment/last", json.dumps(spec))
    settings.sync()
