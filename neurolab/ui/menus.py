"""The window's actions, menus and toolbar, with their shortcuts, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar, QToolButton


@dataclass
class Actions:
    new: QAction
    open: QAction
    save: QAction
    save_as: QAction
    export: QAction
    export_model: QAction
    export_report: QAction
    export_csv: QAction
    export_plots: QAction
    quit: QAction
    start: QAction
    pause: QAction
    stop: QAction
    continue_run: QAction
    follow_best: QAction
    playground: QAction
    reset_layout: QAction
    about: QAction
    recent: QMenu


def build_actions(window: QMainWindow) -> Actions:
    """Create the actions on `window`; the window connects them to its slots."""
    style = window.style()

    def action(
        text: str,
        keys: QKeySequence | str | None = None,
        icon: QStyle.StandardPixmap | None = None,
        tip: str = "",
    ) -> QAction:
        act = QAction(text, window)
        if keys is not None:
            act.setShortcut(QKeySequence(keys))
        if icon is not None:
            act.setIcon(style.standardIcon(icon))
        shortcut = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        act.setToolTip(
            f"{tip or text.replace('&', '').rstrip('…')}" + (f" ({shortcut})" if shortcut else "")
        )
        return act

    sp = QStyle.StandardPixmap
    acts = Actions(
        new=action("&New experiment", QKeySequence.StandardKey.New, sp.SP_FileIcon),
        open=action("&Open project…", QKeySequence.StandardKey.Open, sp.SP_DialogOpenButton),
        save=action("&Save", QKeySequence.StandardKey.Save, sp.SP_DialogSaveButton),
        save_as=action("Save &As…", "Ctrl+Shift+S"),
        export=action(
            "&Export summary…", "Ctrl+E", tip="Write a Markdown summary of the latest run"
        ),
        export_model=action(
            "Export &model…",
            tip="The inspected (or best) candidate as TorchScript, ONNX or "
            "safetensors, with its preprocessing and predict.py",
        ),
        export_report=action(
            "Export run &report…", tip="An HTML report with its plots, and the candidates table"
        ),
        export_csv=action("Export candidates as &CSV…"),
        export_plots=action("Export &plots (PNG and SVG)…"),
        quit=action("&Quit", "Ctrl+Q"),
        start=action("Start", "F5", sp.SP_MediaPlay, "Start evolving networks"),
        pause=action("Pause", "F6", sp.SP_MediaPause, "Pause or resume the run"),
        stop=action(
            "Stop", "Shift+F5", sp.SP_MediaStop, "Stop the run (finished networks are kept)"
        ),
        continue_run=action(
            "Continue",
            "Ctrl+F5",
            sp.SP_MediaSeekForward,
            "Continue the interrupted or stopped run from its last complete generation",
        ),
        follow_best=action(
            "Show the &best network",
            "Ctrl+B",
            tip="The boundary plot follows the best network so far",
        ),
        playground=action(
            "&Playground", "Ctrl+P", tip="Build one network by hand, train it, watch it learn"
        ),
        reset_layout=action("Reset layout"),
        about=action("&About NeuroLab", "F1"),
        recent=QMenu("Open &Recent", window),
    )
    acts.quit.setMenuRole(QAction.MenuRole.QuitRole)
    acts.about.setMenuRole(QAction.MenuRole.AboutRole)
    return acts


def build_menus(window: QMainWindow, acts: Actions, dock_toggles: list[QAction]) -> None:
    bar = window.menuBar()
    file = bar.addMenu("&File")
    file.addActions([acts.new, acts.open])
    file.addMenu(acts.recent)
    file.addSeparator()
    file.addActions([acts.save, acts.save_as])
    file.addSeparator()
    file.addActions(
        [acts.export, acts.export_model, acts.export_report, acts.export_csv, acts.export_plots]
    )
    file.addSeparator()
    file.addAction(acts.quit)
    run = bar.addMenu("&Run")
    run.addActions([acts.start, acts.pause, acts.stop, acts.continue_run])
    run.addSeparator()
    run.addAction(acts.follow_best)
    view = bar.addMenu("&View")
    view.addActions(dock_toggles)
    view.addSeparator()
    view.addAction(acts.playground)
    view.addAction(acts.reset_layout)
    bar.addMenu("&Help").addAction(acts.about)


def build_toolbar(window: QMainWindow, acts: Actions) -> QToolBar:
    bar = QToolBar("Run", window)
    bar.setObjectName("runToolbar")  # saveState() needs a name
    bar.setMovable(False)
    bar.setIconSize(QSize(22, 22))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    bar.addActions([acts.start, acts.pause, acts.stop, acts.continue_run])
    start = bar.widgetForAction(acts.start)
    if isinstance(start, QToolButton):
        start.setObjectName("startButton")  # the big green button (style.qss)
    bar.addSeparator()
    bar.addActions([acts.open, acts.save])
    bar.addSeparator()
    bar.addAction(acts.playground)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar
