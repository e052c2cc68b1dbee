"""Importing a CSV file: read it off the GUI thread, preview the first rows, pick the target and
the features, see each column's detected type. A bad file is an error dialog, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from neurolab.data import column_kinds, infer_task, read_csv
from neurolab.ui.background import run_in_background
from neurolab.ui.dialogs.errors import show_exception
from neurolab.ui.panels.fields import signals_blocked

PREVIEW_ROWS = 20
USABLE = ("numeric", "categorical")
TASKS = ("classification", "regression")  # kinds that are features unless the user says otherwise


class CsvSource(QWidget):
    """A CSV file and how to use it; `changed` when the file, target, features or task change."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.frame: Any = None  # pandas.DataFrame of the read file
        self.kinds: dict[str, str] = {}
        self.read_notes: list[str] = []
        self._pending: dict[str, Any] = {}  # target / features to apply once the file is read
        self.reading = False

        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("no file chosen")
        browse = QPushButton("Open CSV…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)

        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(140)
        self.target = QComboBox()
        self.target.setToolTip("The column the networks learn to predict.")
        self.task = QComboBox()
        for task in TASKS:
            self.task.addItem(task, task)
        self.task.setToolTip("Detected from the target's values; change it if the guess is wrong.")
        self.features = QListWidget()
        self.features.setToolTip(
            "Columns the networks see. ID, constant and empty columns start unticked."
        )
        self.features.setMinimumHeight(100)

        form = QFormLayout()
        form.addRow("Target", self.target)
        form.addRow("Task", self.task)
        form.addRow("Features", self.features)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 2)
        layout.addLayout(form, 1)
        self.target.currentIndexChanged.connect(self._on_target)
        self.task.currentIndexChanged.connect(self.changed)
        self.features.itemChanged.connect(self.changed)
        self._set_enabled(False)

    # --- the spec section -------------------------------------------------------------
    def section(self) -> dict[str, Any] | None:
        if self.path is None or self.frame is None or not self.target.currentText():
            return None
        return {
            "csv": str(self.path),
            "target": self.target.currentText(),
            "features": self.checked_features(),
        }

    def task_choice(self) -> str:
        return self.task.currentData()

    def checked_features(self) -> list[str]:
        items = (self.features.item(i) for i in range(self.features.count()))
        return [
            it.data(Qt.ItemDataRole.UserRole)
            for it in items
            if it.checkState() == Qt.CheckState.Checked
        ]

    def set_section(self, section: dict[str, Any], task: str | None) -> None:
        """Read `section['csv']` and then select its target, features and task."""
        self._pending = {
            "target": section.get("target"),
            "features": section.get("features"),
            "task": task,
        }
        self.load(section["csv"])

    # --- reading the file -------------------------------------------------------------
    def browse(self) -> None:
        start = str(self.path.parent) if self.path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(
            self, "Open a CSV file", start, "CSV files (*.csv *.tsv *.txt);;All files (*)"
        )
        if name:
            self._pending = {}
            self.load(name)

    def load(self, path: str | Path) -> None:
        """Read the file in the background; `changed` follows, or an error dialog."""
        path = Path(path)
        self.reading = True

        def read() -> tuple[Any, list[str], dict[str, str]]:
            frame, notes = read_csv(path)
            return frame, notes, column_kinds(frame)

        run_in_background(
            read,
            self,
            lambda result: self._on_read(path, *result),
            lambda exc: self._on_failed(path, exc),
        )

    def _on_failed(self, path: Path, exc: BaseException) -> None:
        self.reading = False
        show_exception(self, f"Cannot use {path.name}", exc)
        self.changed.emit()

    def _on_read(self, path: Path, frame: Any, notes: list[str], kinds: dict[str, str]) -> None:
        self.reading = False
        self.path, self.frame, self.read_notes, self.kinds = path, frame, notes, kinds
        self.path_edit.setText(str(path))
        self.path_edit.setToolTip(str(path))
        self._fill_table()
        pending, self._pending = self._pending, {}
        columns = [str(c) for c in frame.columns]
        target = pending.get("target")
        if target not in columns:  # the last usable column is the usual place for the target
            usable = [c for c in columns if kinds.get(c) in USABLE] or columns
            target = usable[-1]
        with signals_blocked(self.target):
            self.target.clear()
            self.target.addItems(columns)
            self.target.setCurrentText(target)
        self._fill_features(pending.get("features"))
        self._set_enabled(True)
        self._detect_task(pending.get("task"))
        self.changed.emit()

    def _fill_table(self) -> None:
        head = self.frame.head(PREVIEW_ROWS)
        self.table.clear()
        self.table.setRowCount(len(head))
        self.table.setColumnCount(len(head.columns))
        self.table.setHorizontalHeaderLabels(
            [f"{c}\n({self.kinds.get(str(c), '?')})" for c in head.columns]
        )
        for r, row in enumerate(head.itertuples(index=False)):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem("" if value != value else str(value)))
        self.table.resizeColumnsToContents()

    def _fill_features(self, chosen: list[str] | None) -> None:
        target = self.target.currentText()
        with signals_blocked(self.features):
            self.features.clear()
            for column in (str(c) for c in self.frame.columns):
                if column == target:
                    continue
                kind = self.kinds.get(column, "?")
                item = QListWidgetItem(f"{column}  —  {kind}")
                item.setData(Qt.ItemDataRole.UserRole, column)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                use = column in chosen if chosen is not None else kind in USABLE
                item.setCheckState(Qt.CheckState.Checked if use else Qt.CheckState.Unchecked)
                self.features.addItem(item)

    def _on_target(self) -> None:
        self._fill_features(None)
        self._detect_task(None)
        self.changed.emit()

    def _detect_task(self, chosen: str | None) -> None:
        target = self.target.currentText()
        detected = infer_task(self.frame[target]) if target in self.frame.columns else None
        with signals_blocked(self.task):
            for i, name in enumerate(TASKS):
                self.task.setItemText(i, f"{name} (detected)" if name == detected else name)
            self.task.setCurrentIndex(TASKS.index(chosen or detected or TASKS[0]))

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.target, self.task, self.features):
            widget.setEnabled(enabled)
