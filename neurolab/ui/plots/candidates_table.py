"""Every finished candidate of the run as a sortable table; selecting a row watches it."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateFinished, CandidateRecord, GenerationFinished
from neurolab.ui.plots.common import (
    FAILED_RED,
    best_record,
    format_metric,
    is_scored,
    layers_text,
    metric_label,
)

COLUMNS = (
    "id",
    "generation",
    "layers",
    "parameters",
    "validation",
    "test",
    "cross-val.",
    "status",
    "seconds",
    "origin",
)
ID, GENERATION, LAYERS, PARAMETERS, VALIDATION, TEST, CV, STATUS, SECONDS, ORIGIN = range(
    len(COLUMNS)
)
_TEXT_COLUMNS = {LAYERS, STATUS, ORIGIN}
_WIDTHS = (50, 80, 170, 85, 85, 85, 85, 70, 70, 90)
_Index = QModelIndex | QPersistentModelIndex


def _number(value: float | int | None) -> float:
    # Missing and NaN sort below every number: last when sorting best-first.
    return -math.inf if value is None or not math.isfinite(value) else float(value)


class CandidatesModel(QAbstractTableModel):
    """The rows: one `CandidateRecord` each, appended in batches, never edited.

    The model sorts itself (`sort`), and keeps its order as rows arrive: one Python `sorted` over
    precomputed keys takes milliseconds for 5,000 rows, where QSortFilterProxyModel's own sort
    calls back into Python twice per comparison (over a second).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CandidateRecord] = []
        self._row_of: dict[int, int] = {}
        self._best_id: int | None = None
        self._metric = "accuracy"
        self._bold = QFont()
        self._bold.setBold(True)
        self._red = QBrush(QColor(FAILED_RED))
        self._sort_column, self._sort_order = -1, Qt.SortOrder.AscendingOrder
        self._keys: list[float | str] = []  # sort keys of the rows, while sorted by a column

    # --- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section in (VALIDATION, TEST):
            return f"{COLUMNS[section]} {metric_label(self._metric)}"
        if role == Qt.ItemDataRole.ToolTipRole and section == CV:
            return (
                f"the finalists' mean {metric_label(self._metric)} over folds of train + "
                "validation, which chose the best after the search"
            )
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called only for visible cells (and for sort keys), so nothing is precomputed.
        record, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.error or None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if record.candidate_id == self._best_id else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._red if column == STATUS and record.status == "failed" else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in _TEXT_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # --- rows -------------------------------------------------------------------------------
    def append(self, records: list[CandidateRecord]) -> None:
        if not records:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(records) - 1)  # once per batch
        for offset, record in enumerate(records):
            self._row_of[record.candidate_id] = start + offset
        self._rows.extend(records)
        if self._sort_column >= 0:
            self._keys.extend(self._sort_key(record, self._sort_column) for record in records)
        self.endInsertRows()
        self._resort()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self._keys = (
            [self._sort_key(record, column) for record in self._rows] if column >= 0 else []
        )
        self._resort()

    def _resort(self) -> None:
        """Reorder rows by the cached keys (nearly sorted after a batch: timsort is ~linear)."""
        if self._sort_column < 0:
            return  # the order they arrived in
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        order = sorted(range(len(self._keys)), key=self._keys.__getitem__, reverse=descending)
        if all(old == row for row, old in enumerate(order)):
            return
        self.layoutAboutToBeChanged.emit()
        new_row = [0] * len(order)
        for row, old in enumerate(order):
            new_row[old] = row
        self._rows = [self._rows[old] for old in order]
        self._keys = [self._keys[old] for old in order]
        self._row_of = {record.candidate_id: row for row, record in enumerate(self._rows)}
        # Selection and current index follow their rows.
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent, [self.index(new_row[i.row()], i.column()) for i in persistent]
        )
        self.layoutChanged.emit()

    def clear(self, metric: str | None = None) -> None:
        self.beginResetModel()
        self._rows, self._keys, self._row_of, self._best_id = [], [], {}, None
        if metric is not None:
            self._metric = metric
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, VALIDATION, CV)

    def set_best(self, candidate_id: int | None) -> None:
        old, self._best_id = self._best_id, candidate_id
        for cid in (old, candidate_id):
            row = self._row_of.get(cid) if cid is not None else None
            if row is not None:
                self.dataChanged.emit(
                    self.index(row, 0),
                    self.index(row, len(COLUMNS) - 1),
                    [Qt.ItemDataRole.FontRole],
                )

    def row_of(self, candidate_id: int) -> int | None:
        return self._row_of.get(candidate_id)

    def record(self, row: int) -> CandidateRecord:
        return self._rows[row]

    @property
    def best_id(self) -> int | None:
        return self._best_id

    # --- cells ------------------------------------------------------------------------------
    @staticmethod
    def _text(record: CandidateRecord, column: int) -> str:
        if column == ID:
            return str(record.candidate_id)
        if column == GENERATION:
            return str(record.generation)
        if column == LAYERS:
            return layers_text(record.genome)
        if column == PARAMETERS:
            return f"{record.params:,}"
        if column == VALIDATION:
            return format_metric(record.val_metric, 4)
        if column == TEST:
            return format_metric(record.test_metric, 4)
        if column == CV:
            return format_metric(record.cv_metric, 4) if record.cv_metric is not None else ""
        if column == STATUS:
            return record.status
        if column == SECONDS:
            return f"{record.seconds:.1f}"
        return record.origin

    @staticmethod
    def _sort_key(record: CandidateRecord, column: int) -> float | str:
        if column == LAYERS:
            return layers_text(record.genome)
        if column == STATUS:
            return record.status
        if column == ORIGIN:
            return record.origin
        value = {
            ID: record.candidate_id,
            GENERATION: record.generation,
            PARAMETERS: record.params,
            VALIDATION: record.val_metric if is_scored(record) else None,
            TEST: record.test_metric,
            CV: record.cv_metric,
            SECONDS: record.seconds,
        }[column]
        return _number(value)


class _SourceSortedProxy(QSortFilterProxyModel):
    """Passes sorting to the source model (see `CandidatesModel`) and keeps its order."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)


class CandidatesTable(QWidget):
    """The candidates table: live rows from `CandidateFinished`, or a stored run's records.

    A QWidget around the `QTableView` (`view`): QAbstractItemView has a virtual `reset()` of its
    own that Qt calls on every model reset, so the view cannot carry the plots' `reset(data, metric)`.
    `candidateSelected(id)` is emitted when the user selects a row (not by `select_candidate`).
    """

    candidateSelected = Signal(int)  # noqa: N815 - Qt signal naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_model = CandidatesModel(self)
        self.proxy = _SourceSortedProxy(self)  # for filtering; sorting is the model's
        self.proxy.setSourceModel(self.source_model)
        self.view = view = QTableView(self)
        view.setModel(self.proxy)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        # Fixed row heights and column widths: nothing is measured per row, so 5,000 rows are cheap.
        rows = view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(view.fontMetrics().height() + 6)
        columns = view.horizontalHeader()
        columns.setStretchLastSection(True)
        for column, width in enumerate(_WIDTHS):
            view.setColumnWidth(column, width)
        columns.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # run order until a click
        view.setSortingEnabled(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)
        self._pending: list[CandidateRecord] = []
        self._pending_best: int | None = None
        self._quiet = False
        view.selectionModel().selectionChanged.connect(self._on_selection)

    def sort_by(self, column: int, order: Qt.SortOrder = Qt.SortOrder.DescendingOrder) -> None:
        """Sort as a click on the column header would."""
        self.view.sortByColumn(column, order)

    # --- contract ---------------------------------------------------------------------------
    def reset(self, data: PreparedData | None, metric: str) -> None:
        self._pending.clear()
        self._pending_best = None
        self.source_model.clear(metric)

    def handle(self, event: object) -> None:
        if isinstance(event, CandidateFinished):
            self._pending.append(event.record)
            if event.is_best and is_scored(event.record):
                self._pending_best = event.record.candidate_id

    def redraw(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.source_model.append(batch)
        if self._pending_best is not None:
            self.source_model.set_best(self._pending_best)
            self._pending_best = None

    def load(self, records: list[CandidateRecord], generations: list[GenerationFinished]) -> None:
        self._pending.clear()
        self.source_model.clear()
        self.source_model.append(list(records))
        best = best_record(records)
        self.source_model.set_best(best.candidate_id if best else None)

    # --- selection --------------------------------------------------------------------------
    def select_candidate(self, candidate_id: int | None) -> None:
        """Select (and scroll to) a candidate's row without emitting `candidateSelected`."""
        self.redraw()  # it may still be in the pending batch
        row = self.source_model.row_of(candidate_id) if candidate_id is not None else None
        self._quiet = True
        try:
            if row is None:
                self.view.clearSelection()
                return
            index = self.proxy.mapFromSource(self.source_model.index(row, 0))
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.view.selectionModel().setCurrentIndex(index, flags)
            self.view.scrollTo(index)
        finally:
            self._quiet = False

    def selected_candidate(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.source_model.record(self.proxy.mapToSource(rows[0]).row()).candidate_id

    def _on_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        cid = self.selected_candidate()
        if not self._quiet and cid is not None:
            self.candidateSelected.emit(cid)
