"""The Playground's network builder: hidden layers (width, activation, dropout) added and
removed by hand, and how the network trains (optimizer, learning rate, regularisation, batch,
epochs). `genome()` is the network as the engine's `Genome`; `changed` fires on every edit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from neurolab.genome import Genome, LayerGene
from neurolab.spec import ACTIVATIONS, OPTIMIZERS

MAX_LAYERS, MAX_WIDTH = 8, 256


class _LayerRow(QWidget):
    def __init__(self, layer: LayerGene, on_change, on_remove) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.units = QSpinBox(minimum=1, maximum=MAX_WIDTH, value=layer.width, suffix=" units")
        self.activation = QComboBox()
        self.activation.addItems(ACTIVATIONS)
        self.activation.setCurrentText(layer.activation)
        self.dropout = QDoubleSpinBox(
            minimum=0.0, maximum=0.8, singleStep=0.05, value=layer.dropout, prefix="drop "
        )
        self.remove = QPushButton("−")
        self.remove.setToolTip("Remove this layer")
        self.remove.setFixedWidth(28)
        self.label = QLabel()
        for widget in (self.label, self.units, self.activation, self.dropout, self.remove):
            row.addWidget(widget)
        self.units.valueChanged.connect(on_change)
        self.activation.currentTextChanged.connect(on_change)
        self.dropout.valueChanged.connect(on_change)
        self.remove.clicked.connect(lambda: on_remove(self))

    def layer(self) -> LayerGene:
        return LayerGene(
            self.units.value(), self.activation.currentText(), round(self.dropout.value(), 3)
        )


class NetworkBuilder(QWidget):
    """Edits one `Genome` (see the module docstring)."""

    changed = Signal()

    def __init__(self, genome: Genome | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[_LayerRow] = []
        self.layers_box = QVBoxLayout()
        self.add = QPushButton("+ Add a hidden layer")
        self.add.clicked.connect(lambda: self.add_layer(LayerGene(8, "tanh")))
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.learning_rate = QDoubleSpinBox(decimals=4, minimum=1e-4, maximum=1.0, singleStep=0.005)
        self.weight_decay = QDoubleSpinBox(decimals=4, minimum=0.0, maximum=0.1, singleStep=0.0005)
        self.batch_size = QSpinBox(minimum=1, maximum=4096)
        self.epochs = QSpinBox(minimum=1, maximum=5000)
        form = QFormLayout()
        form.addRow("optimizer", self.optimizer)
        form.addRow("learning rate", self.learning_rate)
        form.addRow("weight decay (L2)", self.weight_decay)
        form.addRow("batch size", self.batch_size)
        form.addRow("epochs", self.epochs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Hidden layers</b> (none: a linear model)"))
        layout.addLayout(self.layers_box)
        layout.addWidget(self.add)
        layout.addLayout(form)
        for box in (self.learning_rate, self.weight_decay, self.batch_size, self.epochs):
            box.valueChanged.connect(self._notify)
        self.optimizer.currentTextChanged.connect(self._notify)
        self.set_genome(
            genome
            or Genome(
                (LayerGene(8, "tanh"), LayerGene(8, "tanh")),
                learning_rate=0.03,
                batch_size=32,
                epochs=150,
            )
        )

    def genome(self) -> Genome:
        return Genome(
            layers=tuple(row.layer() for row in self.rows),
            optimizer=self.optimizer.currentText(),
            learning_rate=self.learning_rate.value(),
            weight_decay=self.weight_decay.value(),
            batch_size=self.batch_size.value(),
            epochs=self.epochs.value(),
        )

    def set_genome(self, genome: Genome) -> None:
        for row in list(self.rows):
            self._drop(row)
        for layer in genome.layers:
            self.add_layer(layer, notify=False)
        self.optimizer.setCurrentText(genome.optimizer)
        self.learning_rate.setValue(genome.learning_rate)
        self.weight_decay.setValue(genome.weight_decay)
        self.batch_size.setValue(genome.batch_size)
        self.epochs.setValue(genome.epochs)
        self.changed.emit()

    def add_layer(self, layer: LayerGene, notify: bool = True) -> None:
        if len(self.rows) >= MAX_LAYERS:
            return
        row = _LayerRow(layer, self._notify, self.remove_layer)
        self.rows.append(row)
        self.layers_box.addWidget(row)
        self._relabel()
        if notify:
            self.changed.emit()

    def remove_layer(self, row: _LayerRow) -> None:
        self._drop(row)
        self.changed.emit()

    def _drop(self, row: _LayerRow) -> None:
        self.rows.remove(row)
        self.layers_box.removeWidget(row)
        row.hide()  # gone from the screen now, not when the deferred delete runs
        row.setParent(None)
        row.deleteLater()
        self._relabel()

    def _notify(self, *_: object) -> None:
        self.changed.emit()

    def _relabel(self) -> None:
        for i, row in enumerate(self.rows, start=1):
            row.label.setText(f"{i}.")
        self.add.setEnabled(len(self.rows) < MAX_LAYERS)
