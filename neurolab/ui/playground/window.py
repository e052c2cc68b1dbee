"""The Playground window, in the spirit of TensorFlow Playground on NeuroLab's engine.

Lifecycle: opened from the main window (View ▸ Playground, once the engine is loaded). Choosing
a dataset prepares it in a `BackgroundCall`; Train starts a `PlaygroundTraining` thread whose
events fill the boundary plot and the loss curves, redrawn by a ~15 Hz timer; Stop ends it after
the current epoch. "Evolve from here" emits `evolveRequested(genome dict, data section)`: the
main window starts a GA run whose first generation holds this network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from neurolab.events import BoundarySnapshot, EpochReport
from neurolab.ui.background import (
    collect_garbage_on_gui_thread,
    run_in_background,
    wait_for_background,
)
from neurolab.ui.insight.result_plots import CurvesPlot
from neurolab.ui.playground.builder import NetworkBuilder
from neurolab.ui.playground.gallery import ActivationGallery
from neurolab.ui.playground.training import PLAYGROUND_ID, PlaygroundTraining
from neurolab.ui.plots.boundary_plot import BoundaryPlot

if TYPE_CHECKING:
    from neurolab.data.dataset import PreparedData
    from neurolab.train.trainer import TrainResult

REDRAW_MS = 66


class PlaygroundWindow(QWidget):
    """See the module docstring. `trained(TrainResult)` follows every finished training."""

    evolveRequested = Signal(dict, dict)  # noqa: N815 - Qt signal naming
    dataReady = Signal()  # noqa: N815
    trained = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        collect_garbage_on_gui_thread()  # it trains on a QThread
        from neurolab.data import list_datasets

        self.setWindowTitle("Playground — NeuroLab")
        self.data: PreparedData | None = None
        self.result: TrainResult | None = None
        self.training: PlaygroundTraining | None = None
        self._train, self._val = [], []
        self._final = None
        self.dataset = QComboBox()
        self._infos = {
            info.name: info
            for info in list_datasets()
            if info.n_features == 2 and info.task == "classification"
        }
        self.dataset.addItems(list(self._infos))
        self.noise = QDoubleSpinBox(
            decimals=2, minimum=0.0, maximum=2.0, singleStep=0.05, value=0.15
        )
        self.points = QSpinBox(minimum=50, maximum=5000, singleStep=50, value=400)
        self.builder = NetworkBuilder()
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("startButton")
        self.evolve_button = QPushButton("Evolve from here")
        self.evolve_button.setToolTip("Start a GA run whose first generation holds this network")
        self.result_label = QLabel("Build a network, then press Train.")
        self.result_label.setWordWrap(True)
        self.boundary = BoundaryPlot()
        self.curves = CurvesPlot()
        self.gallery = ActivationGallery()

        form = QFormLayout()
        form.addRow("data", self.dataset)
        form.addRow("noise", self.noise)
        form.addRow("points", self.points)
        controls = QWidget()
        left = QVBoxLayout(controls)
        left.addLayout(form)
        left.addWidget(self.builder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.evolve_button)
        left.addLayout(buttons)
        left.addWidget(self.result_label)
        left.addStretch(1)
        watch = QSplitter(Qt.Orientation.Vertical)
        watch.addWidget(self.boundary)
        watch.addWidget(self.curves)
        watch.setSizes([520, 240])
        self.tabs = QTabWidget()
        self.tabs.addTab(watch, "Training")
        self.tabs.addTab(self.gallery, "Activation gallery")
        split = QSplitter()
        split.addWidget(controls)
        split.addWidget(self.tabs)
        split.setSizes([380, 820])
        QVBoxLayout(self).addWidget(split)
        self.resize(1200, 800)

        self._timer = QTimer(self, interval=REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self.dataset.currentTextChanged.connect(self.load_data)
        self.noise.valueChanged.connect(self.load_data)
        self.points.valueChanged.connect(self.load_data)
        self.train_button.clicked.connect(self.toggle_training)
        self.evolve_button.clicked.connect(self._evolve)
        self.dataset.setCurrentText("moons")
        self.load_data()

    # --- data ---------------------------------------------------------------------------
    def data_section(self) -> dict[str, Any]:
        params = {"n_samples": self.points.value(), "noise": round(self.noise.value(), 3)}
        return {"name": self.dataset.currentText(), "params": params}

    def load_data(self) -> None:
        from neurolab.data import load_data
        from neurolab.spec import DataSpec

        section = self.data_section()
        self.data = None
        self.train_button.setEnabled(False)

        def done(data: PreparedData) -> None:
            if section != self.data_section():
                return  # changed again meanwhile; a newer load follows
            self.data = data
            self.boundary.reset(data, "accuracy")
            self.curves.set_curves([], [])
            self.train_button.setEnabled(self.training is None)
            self.dataReady.emit()

        run_in_background(
            lambda: load_data(DataSpec(**section), None, 0),
            self,
            done,
            lambda exc: self.result_label.setText(f"Cannot load the data: {exc}"),
        )

    # --- training -----------------------------------------------------------------------
    def toggle_training(self) -> None:
        if self.training is not None:
            self.training.stop()
            return
        if self.data is None:
            return
        genome = self.builder.genome()
        self.result, self._train, self._val, self._final = None, [], [], None
        self.boundary.reset(self.data, "accuracy")
        self.boundary.watch(PLAYGROUND_ID)
        self.training = PlaygroundTraining(genome, self.data, seed=0, parent=self)
        self.training.progress.connect(self._on_progress)
        self.training.done.connect(self._on_done)
        self.training.failed.connect(self._on_failed)
        self.training.finished.connect(self._on_thread_end)
        self.train_button.setText("Stop")
        self.result_label.setText(f"Training {genome.describe()} …")
        self._timer.start()
        self.training.start()

    def _on_progress(self, event: object) -> None:
        if isinstance(event, EpochReport):
            self._train.append(event.train_loss)
            self._val.append(event.val_loss)
            self.result_label.setText(
                f"epoch {event.epoch}: validation accuracy {event.val_metric:.3f}"
            )
        elif isinstance(event, BoundarySnapshot):
            self.boundary.handle(event)
            if event.epoch == -1:
                self._final = event.values  # the best epoch's boundary

    def _on_done(self, result: TrainResult) -> None:
        self.result = result
        self._redraw()
        if result.val_metric is None:
            self.result_label.setText(f"Training {result.status}: {result.error or ''}")
        else:
            text = (
                f"validation accuracy {result.val_metric:.3f} · test "
                f"{result.test_metric:.3f} · train {result.train_metric:.3f} · "
                f"{result.params} parameters, {result.epochs} epochs in "
                f"{result.seconds:.1f} s"
            )
            self.result_label.setText(text)
            if self._final is not None:
                self.boundary.set_prediction(PLAYGROUND_ID, self._final, "trained · " + text)
                self.boundary.redraw()
        self.trained.emit(result)

    def _on_failed(self, message: str) -> None:
        self.result_label.setText(f"Training failed: {message}")

    def _on_thread_end(self) -> None:
        thread, self.training = self.training, None
        if thread is not None:
            thread.deleteLater()
        self._timer.stop()
        self._redraw()
        self.train_button.setText("Train")
        self.train_button.setEnabled(self.data is not None)

    def _redraw(self) -> None:
        self.curves.set_curves(self._train, self._val)
        self.boundary.redraw()

    def _evolve(self) -> None:
        self.evolveRequested.emit(self.builder.genome().to_dict(), self.data_section())

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.training is not None:
            self.training.stop()
            self.training.wait(30_000)
        wait_for_background(self)
        super().closeEvent(event)
