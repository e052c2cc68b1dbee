"""Choosing a built-in dataset: name, its size / noise / seed controls, and a scatter preview."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from neurolab.data import DatasetInfo, builtin_points, list_datasets
from neurolab.errors import DataError
from neurolab.ui.panels.fields import float_box, int_box, signals_blocked
from neurolab.ui.panels.scatter_preview import ScatterPreview
from neurolab.ui.panels.validation import mark

DEFAULT_DATASET = "moons"
_PARAM_LABELS = {
    "n_samples": ("Points", "How many points to generate."),
    "noise": ("Noise", "How much the points scatter; more noise = harder problem."),
    "factor": ("Inner size", "Radius of the inner circle relative to the outer one."),
    "n_classes": ("Classes", "How many blobs (classes)."),
    "seed": ("Data seed", "The same seed draws the same points."),
}


class BuiltinSource(QWidget):
    """A built-in dataset; `changed` whenever the name or a parameter changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._infos: dict[str, DatasetInfo] = {info.name: info for info in list_datasets()}
        self.dataset = QComboBox()
        for info in self._infos.values():
            kind = "2-D" if info.n_features == 2 else f"{info.n_features} inputs"
            self.dataset.addItem(f"{info.name}  ({info.task}, {kind})", info.name)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("hint")
        self._params = QWidget()
        self._form = QFormLayout(self._params)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._boxes: dict[str, Any] = {}
        self.preview = ScatterPreview()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.dataset)
        layout.addWidget(self.description)
        layout.addWidget(self._params)
        layout.addWidget(self.preview, 1)
        self.dataset.currentIndexChanged.connect(self._on_dataset)
        self.set_section({"name": DEFAULT_DATASET})

    def info(self) -> DatasetInfo:
        return self._infos[self.dataset.currentData()]

    def section(self) -> dict[str, Any]:
        params = {key: box.value() for key, box in self._boxes.items()}
        defaults = self.info().default_params
        # Only what differs from the defaults goes into the spec: shorter, and still exact.
        changed = {k: v for k, v in params.items() if v != defaults.get(k)}
        return (
            {"name": self.info().name, "params": changed} if changed else {"name": self.info().name}
        )

    def set_section(self, section: dict[str, Any]) -> None:
        name = section.get("name") or DEFAULT_DATASET
        index = self.dataset.findData(name)
        with signals_blocked(self.dataset):
            self.dataset.setCurrentIndex(max(index, 0))
        self._build_params(section.get("params", {}))
        self._refresh()

    def _on_dataset(self) -> None:
        self._build_params({})
        self._refresh()

    def _build_params(self, values: dict[str, Any]) -> None:
        info = self.info()
        self.description.setText(info.description)
        while self._form.rowCount():
            self._form.removeRow(0)
        self._boxes.clear()
        for key, default in info.default_params.items():
            label, tip = _PARAM_LABELS.get(key, (key, ""))
            if isinstance(default, int):
                box = int_box(0, 10_000_000, tip)
            else:
                box = float_box(0.0, 100.0, 0.05, tip=tip)
            box.setValue(values.get(key, default))
            box.valueChanged.connect(self._refresh)
            self._form.addRow(label, box)
            self._boxes[key] = box
        self._params.setVisible(bool(self._boxes))

    def _refresh(self) -> None:
        """Redraw the preview now (generating a toy is milliseconds) and tell the panel."""
        info = self.info()
        params = {key: box.value() for key, box in self._boxes.items()}
        try:
            x, y = builtin_points(info.name, params)
        except DataError as exc:
            self._mark(str(exc))
            self.preview.clear_points()
        else:
            self._mark(None)
            self.preview.show_points(x, y, info.task)
        self.changed.emit()

    def _mark(self, message: str | None) -> None:
        for key, box in self._boxes.items():
            mark(box, message if message and f"'{key}'" in message else None)
