"""Questions the window asks before it throws work away. Tests replace these functions."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_unsaved(parent: QWidget, what: str) -> str:
    """'save', 'discard' or 'cancel' for a project whose runs live only in a temporary file."""
    buttons = (
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    answer = QMessageBox.question(
        parent,
        "Unsaved results",
        f"The results of this experiment are not saved in a project file yet.\n\n"
        f"Save them before you {what}?",
        buttons,
        QMessageBox.StandardButton.Save,
    )
    return {
        QMessageBox.StandardButton.Save: "save",
        QMessageBox.StandardButton.Discard: "discard",
    }.get(answer, "cancel")


def ask_stop_run(parent: QWidget, what: str) -> bool:
    """True when the user agrees to stop the running experiment (finished candidates stay)."""
    answer = QMessageBox.question(
        parent,
        "A run is in progress",
        f"An evolution is running. Stop it and {what}?\n\n"
        "Every network that has finished training is kept in the project file.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
