"""Small editors the panels are built from: spin boxes, min..max ranges, check groups, lists.

Their ranges are deliberately wider than the spec allows where a user could plausibly type a bad
value (population 1, zero generations): `ExperimentSpec` decides what is valid, and the panel
shows its message on the widget, instead of the widget silently clamping.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)


@contextmanager
def signals_blocked(root: QWidget) -> Iterator[None]:
    """Silence `root` and every widget inside it (filling a panel must not fire per field)."""
    widgets = [root, *root.findChildren(QWidget)]
    previous = [w.blockSignals(True) for w in widgets]
    try:
        yield
    finally:
        for widget, was in zip(widgets, previous, strict=True):
            widget.blockSignals(was)


def int_box(low: int, high: int, tip: str = "", suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setToolTip(tip)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)  # validate the finished number, not every keystroke
    box.setAccelerated(True)
    return box


def float_box(
    low: float, high: float, step: float, decimals: int = 2, tip: str = ""
) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


class SciSpinBox(QDoubleSpinBox):
    """A positive number shown in scientific notation (3.0e-04); the arrows step by ×1.78."""

    def __init__(self, low: float = 1e-6, high: float = 1.0, tip: str = "") -> None:
        super().__init__()
        self.setDecimals(12)
        self.setRange(low, high)
        self.setToolTip(tip)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt API)
        return f"{value:.1e}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt API)
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        try:
            float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt API)
        # Four steps per decade: learning rates live on a log scale.
        value = self.value() * 10 ** (steps / 4)
        self.setValue(float(f"{min(max(value, self.minimum()), self.maximum()):.2g}"))


class RangeRow(QWidget):
    """`low` to `high`: two editors of the same kind in one form row."""

    def __init__(self, low: QSpinBox | QDoubleSpinBox, high: QSpinBox | QDoubleSpinBox) -> None:
        super().__init__()
        self.low, self.high = low, high
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(low, 1)
        layout.addWidget(QLabel("to"))
        layout.addWidget(high, 1)


class CheckGroup(QWidget):
    """One checkbox per choice, in a grid; `changed` on any toggle."""

    changed = Signal()

    def __init__(self, choices: Sequence[str], columns: int = 3, tip: str = "") -> None:
        super().__init__()
        self.boxes: dict[str, QCheckBox] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setVerticalSpacing(2)
        for i, choice in enumerate(choices):
            box = QCheckBox(choice.replace("_", " "))
            box.toggled.connect(self.changed)
            layout.addWidget(box, i // columns, i % columns)
            self.boxes[choice] = box
        self.setToolTip(tip)

    def selected(self) -> list[str]:
        return [choice for choice, box in self.boxes.items() if box.isChecked()]

    def set_selected(self, chosen: Iterable[str]) -> None:
        chosen = set(chosen)
        for choice, box in self.boxes.items():
            box.setChecked(choice in chosen)


class NumberListEdit(QLineEdit):
    """Comma-separated numbers ("32, 64, 128"). Unreadable entries are passed on as text, so
    the spec names the bad one instead of the editor dropping it."""

    def __init__(self, kind: type, tip: str = "") -> None:
        super().__init__()
        self.kind = kind
        self.setToolTip(tip)

    def values(self) -> list[float | int | str]:
        out: list[float | int | str] = []
        for part in self.text().replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                number = float(part)
                out.append(int(number) if self.kind is int and number.is_integer() else number)
            except ValueError:
                out.append(part)
        return out

    def set_values(self, values: Iterable[float | int]) -> None:
        self.setText(", ".join(f"{v:g}" for v in values))
