"""Guards against a Qt binding that corrupts the interpreter (PySide6 6.12.0 on Python 3.11).

That release drops a reference to `True` on every signal emit and to `None` on every row insert;
after a few hundred emits Python frees `True` and aborts. pyproject.toml excludes it; this test
catches any other build with the same fault before a user's app dies mid-run.
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Signal  # noqa: E402


class _Emitter(QObject):
    fired = Signal(int)


class _Rows(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's signature
        return 0

    def data(self, index, role=0):
        return None


def test_signal_emits_and_row_inserts_keep_reference_counts(qapp):
    emitter, rows = _Emitter(), _Rows()
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(200):
        emitter.fired.emit(1)
        rows.beginInsertRows(QModelIndex(), 0, 0)
        rows.endInsertRows()
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert after[0] - before[0] > -50, "the Qt binding leaks references to True on emit"
    assert after[1] - before[1] > -50, "the Qt binding leaks references to None on row inserts"
