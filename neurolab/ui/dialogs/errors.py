"""Every error reaches the user as a dialog; nothing a user does can kill the app.

`NeuroLabError` messages are written for users and shown as they are; anything else is shown
with a short line and the traceback under "Show Details", so it can be reported.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from neurolab.errors import NeuroLabError


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> QMessageBox:
    """A non-blocking error dialog (window-modal); returns it so callers and tests can find it."""
    box = QMessageBox(
        QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("errorDialog")
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # not exec(): a modal loop here would stall runs and tests alike
    return box


def show_exception(parent: QWidget | None, title: str, exc: BaseException) -> QMessageBox:
    if isinstance(exc, NeuroLabError):
        return show_error(parent, title, str(exc))
    details = "".join(traceback.format_exception(exc))
    text = f"Something unexpected went wrong: {type(exc).__name__}: {exc}"
    return show_error(parent, title, text, details)


def install_excepthook() -> None:
    """Show uncaught exceptions (from slots, timers, callbacks) in a dialog instead of aborting."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        traceback.print_exception(kind, exc, tb)  # also on stderr, for logs and bug reports
        if QApplication.instance() is None:
            return
        exc.__traceback__ = tb
        show_exception(QApplication.activeWindow(), "NeuroLab: unexpected error", exc)

    sys.excepthook = hook
