"""The Data panel: a built-in dataset or a CSV file, and what preparing it did.

It edits the spec's `data` section and `task`. Every change is prepared in the background with
the engine's own `load_data` (debounced), so the panel shows the real row counts, class balance
and preparation notes, and a problem (one class only, no usable feature…) before Start is pressed.
The prepared data is handed to the run, which then starts without preparing it again.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from neurolab.data import PreparedData, load_data
from neurolab.errors import NeuroLabError
from neurolab.spec import ExperimentSpec
from neurolab.ui.background import run_in_background
from neurolab.ui.panels.builtin_source import BuiltinSource
from neurolab.ui.panels.csv_source import CsvSource

PREPARE_DELAY_MS = 150


class DataPanel(QWidget):
    """Where the data comes from; `changed` when the section, the task or the preparation
    result changes (the window then re-validates the spec)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.builtin = BuiltinSource()
        self.csv = CsvSource()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.builtin, "Built-in dataset")
        self.tabs.addTab(self.csv, "CSV file")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("dataSummary")
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setObjectName("problem")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.summary)

        self._seed = 0
        self._prepared: tuple[str, PreparedData] | None = None
        self._problem: str | None = None
        self._token = ""  # the preparation whose answer still counts
        self._timer = QTimer(self, singleShot=True, interval=PREPARE_DELAY_MS)
        self._timer.timeout.connect(self._prepare)
        for source in (self.builtin, self.csv):
            source.changed.connect(self._schedule)
        self.tabs.currentChanged.connect(self._schedule)
        self._schedule()

    # --- the spec's data section and task -----------------------------------------------
    def section(self) -> dict[str, Any] | None:
        """The raw `data` section, or None while there is nothing to use (no CSV chosen)."""
        return self.csv.section() if self._is_csv() else self.builtin.section()

    def task(self) -> str | None:
        """The task when the user picks it (CSV); None lets the engine infer it."""
        return self.csv.task_choice() if self._is_csv() and self.csv.section() else None

    def set_section(self, section: dict[str, Any], task: str | None) -> None:
        if section.get("csv"):
            self.tabs.setCurrentWidget(self.csv)
            self.csv.set_section(section, task)
        else:
            self.tabs.setCurrentWidget(self.builtin)
            self.builtin.set_section(section)

    def set_seed(self, seed: int) -> None:
        """The run's seed decides the split, so the preview prepares with it too."""
        if seed != self._seed:
            self._seed = seed
            self._schedule()

    # --- state for the window ------------------------------------------------------------
    def problem(self) -> str | None:
        """Why the data cannot be used yet (shown in red; Start stays disabled), or None."""
        return self._problem

    def busy(self) -> bool:
        return self._timer.isActive() or bool(self._token) or self.csv.reading

    def prepared(self, section: dict[str, Any], task: str | None, seed: int) -> PreparedData | None:
        """The data prepared in the background for exactly these settings, if it is ready."""
        if self._prepared and self._prepared[0] == _key(section, task, seed):
            return self._prepared[1]
        return None

    # --- preparation ---------------------------------------------------------------------
    def _is_csv(self) -> bool:
        return self.tabs.currentWidget() is self.csv

    def _schedule(self) -> None:
        self._token = "pending"
        self._timer.start()
        self.changed.emit()

    def _prepare(self) -> None:
        section, task, seed = self.section(), self.task(), self._seed
        if section is None:
            self._token = ""
            text = (
                "Reading the file…"
                if self.csv.reading
                else "Choose a CSV file with “Open CSV…”, or pick a built-in dataset."
            )
            self._show(None, text)
            return
        try:
            spec = ExperimentSpec.from_dict({"data": section, "task": task, "seed": seed})
        except NeuroLabError as exc:
            self._token = ""
            self._show(None, str(exc))
            return
        token = self._token = _key(section, task, seed)
        if self._prepared and self._prepared[0] == token:
            self._token = ""
            self._show(self._prepared[1], None)
            return
        self.summary.setText("Preparing the data…")

        def done(data: PreparedData) -> None:
            if token == self._token:
                self._token = ""
                self._prepared = (token, data)
                self._show(data, None)

        def failed(exc: BaseException) -> None:
            if token == self._token:
                self._token = ""
                if isinstance(exc, NeuroLabError):
                    self._show(None, str(exc))
                else:
                    self._show(None, f"Preparing the data failed: {type(exc).__name__}: {exc}")

        run_in_background(lambda: load_data(spec.data, spec.task, seed), self, done, failed)

    def _show(self, data: PreparedData | None, problem: str | None) -> None:
        self._problem = problem
        self.problem_label.setText(f"⚠ {problem}" if problem else "")
        self.problem_label.setVisible(bool(problem))
        self.summary.setText(describe(data) if data is not None else "")
        self.changed.emit()


def _key(section: dict[str, Any], task: str | None, seed: int) -> str:
    return json.dumps([section, task, seed], sort_keys=True)


def describe(data: PreparedData) -> str:
    """Rows, split, class balance (or the target's range) and the preparation notes, as HTML."""
    n_train, n_val, n_test = len(data.y_train), len(data.y_val), len(data.y_test)
    lines = [
        f"<b>{data.n_rows:,} rows</b> · {data.n_features} input"
        f"{'s' if data.n_features != 1 else ''} · task <b>{data.task}</b>",
        f"split {n_train:,} training / {n_val:,} validation / {n_test:,} test",
    ]
    y = np.concatenate([data.y_train, data.y_val, data.y_test])
    if data.task == "classification":
        counts = np.bincount(y.astype(int), minlength=len(data.class_names))
        cells = [
            f"<td>{html.escape(name)}</td><td align='right'>{count:,}</td>"
            f"<td><span style='color:#1f77b4'>{'█' * max(1, round(20 * count / len(y)))}"
            f"</span> {100 * count / len(y):.0f}%</td>"
            for name, count in zip(data.class_names, counts, strict=True)
        ]
        lines.append(
            "class balance:<table cellspacing='4'>"
            + "".join(f"<tr>{c}</tr>" for c in cells[:12])
            + "</table>"
        )
    else:
        values = y * data.target_scale + data.target_mean
        lines.append(
            f"target {html.escape(data.target_name)}: mean {values.mean():.4g}, "
            f"range {values.min():.4g} … {values.max():.4g}"
        )
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in data.notes)
    return "<br>".join(lines) + (
        f"<p style='margin-bottom:0'>What preparation did:</p><ul style='margin-top:0'>{notes}</ul>"
        if notes
        else ""
    )
