"""Help > About: the versions a bug report needs."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QMessageBox, QWidget

from neurolab import __version__


def version_lines(device: str) -> list[str]:
    """NeuroLab, torch (without importing it: that takes seconds), Qt, Python and the device."""
    torch = sys.modules.get("torch")
    try:
        torch_version = torch.__version__ if torch else metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "not installed"
    return [
        f"NeuroLab {__version__}",
        f"PyTorch {torch_version}",
        f"PySide6 {pyside_version}",
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}",
        f"Device: {device}",
    ]


def show_about(parent: QWidget, device: str) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "About NeuroLab",
        "<b>NeuroLab</b> evolves neural networks: a genetic algorithm (DEAP) breeds "
        "PyTorch networks and you watch them learn.<br><br>" + "<br>".join(version_lines(device)),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("aboutDialog")
    box.open()
    return box
