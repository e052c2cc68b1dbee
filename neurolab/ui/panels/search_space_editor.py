"""The search-space editor: which networks evolution may try (the spec's `search_space`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QWidget

from neurolab.spec import ACTIVATIONS, OPTIMIZERS, SearchSpaceSpec
from neurolab.ui.panels.fields import (
    CheckGroup,
    NumberListEdit,
    RangeRow,
    SciSpinBox,
    float_box,
    int_box,
    signals_blocked,
)


class SearchSpaceEditor(QGroupBox):
    """Bounds and choices of every genome; `values()` is the raw `search_space` section."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Networks to try", parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._ranges: dict[str, RangeRow] = {
            "layers": RangeRow(int_box(0, 16), int_box(0, 16)),
            "width": RangeRow(int_box(1, 4096), int_box(1, 4096)),
            "dropout": RangeRow(float_box(0, 0.99, 0.05), float_box(0, 0.99, 0.05)),
            "lr": RangeRow(SciSpinBox(), SciSpinBox()),
            "epochs": RangeRow(int_box(1, 100_000), int_box(1, 100_000)),
        }
        labels = {
            "layers": ("Hidden layers", "How many hidden layers a network may have (0 = linear)."),
            "width": ("Units per layer", "How wide each hidden layer may be."),
            "dropout": ("Dropout", "Fraction of units dropped while training, per layer."),
            "lr": ("Learning rate", "Range of the optimizer's step size (log scale)."),
            "epochs": (
                "Epochs",
                "How many passes over the training data a network gets "
                "(early stopping may end it sooner). Fewer epochs = faster runs.",
            ),
        }
        for key, row in self._ranges.items():
            text, tip = labels[key]
            row.setToolTip(tip)
            form.addRow(text, row)
            for box in (row.low, row.high):
                box.valueChanged.connect(self.changed)
        self.activations = CheckGroup(ACTIVATIONS, 3, "Non-linearities a layer may use.")
        self.optimizers = CheckGroup(OPTIMIZERS, 3, "Optimizers a network may be trained with.")
        self.weight_decays = NumberListEdit(
            float, "Weight decay values to choose from, comma-separated."
        )
        self.batch_sizes = NumberListEdit(int, "Minibatch sizes to choose from, comma-separated.")
        form.addRow("Activations", self.activations)
        form.addRow("Optimizers", self.optimizers)
        form.addRow("Weight decay", self.weight_decays)
        form.addRow("Batch sizes", self.batch_sizes)
        for group in (self.activations, self.optimizers):
            group.changed.connect(self.changed)
        for edit in (self.weight_decays, self.batch_sizes):
            edit.editingFinished.connect(self.changed)
        self.set_values({})

    def fields(self) -> dict[str, QWidget]:
        """Dotted spec field -> the widget that shows its error."""
        out: dict[str, QWidget] = {}
        for key, row in self._ranges.items():
            out[f"search_space.min_{key}"] = row.low
            out[f"search_space.max_{key}"] = row.high
        out["search_space.activations"] = self.activations
        out["search_space.optimizers"] = self.optimizers
        out["search_space.weight_decays"] = self.weight_decays
        out["search_space.batch_sizes"] = self.batch_sizes
        return out

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, row in self._ranges.items():
            out[f"min_{key}"], out[f"max_{key}"] = row.low.value(), row.high.value()
        out["activations"] = self.activations.selected()
        out["optimizers"] = self.optimizers.selected()
        out["weight_decays"] = self.weight_decays.values()
        out["batch_sizes"] = self.batch_sizes.values()
        return out

    def set_values(self, section: dict[str, Any]) -> None:
        """Fill from a `search_space` section; missing keys take the spec's defaults."""
        values = {**SearchSpaceSpec().model_dump(), **section}
        with signals_blocked(self):
            for key, row in self._ranges.items():
                row.low.setValue(values[f"min_{key}"])
                row.high.setValue(values[f"max_{key}"])
            self.activations.set_selected(values["activations"])
            self.optimizers.set_selected(values["optimizers"])
            self.weight_decays.set_values(values["weight_decays"])
            self.batch_sizes.set_values(values["batch_sizes"])
        self.changed.emit()
