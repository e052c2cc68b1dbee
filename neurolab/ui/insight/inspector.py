"""The candidate inspector: genome, network drawing, loss curves, test outcome and metrics.

Lifecycle: `show_record(record)` shows at once what the project file holds for every candidate
(genome, origin, curves, train/validation/test metrics); `show_details(details)` follows when
the window has loaded the stored weights off the GUI thread (kept candidates only) and adds the
weighted drawing and the confusion matrix or predicted-vs-actual plot.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from neurolab.events import CandidateRecord
from neurolab.ui.insight.details import CandidateDetails, layer_sizes
from neurolab.ui.insight.network_view import NetworkDrawing
from neurolab.ui.insight.result_plots import CurvesPlot, OutcomePlot
from neurolab.ui.plots.common import format_metric, metric_label

NOT_KEPT = "weights not kept (only the best few candidates of a run keep theirs)"


def genome_text(genome: dict) -> str:
    """The genome, one gene a line."""
    lines = []
    for i, layer in enumerate(genome.get("layers", []), start=1):
        drop = f", dropout {layer.get('dropout', 0):.2f}" if layer.get("dropout", 0) else ""
        lines.append(f"layer {i}: {layer['width']} units, {layer['activation']}{drop}")
    if not lines:
        lines.append("no hidden layer (a linear model)")
    lines.append(
        f"{genome['optimizer']}, learning rate {genome['learning_rate']:.2e}, "
        f"weight decay {genome['weight_decay']:g}"
    )
    lines.append(f"batch {genome['batch_size']}, up to {genome['epochs']} epochs")
    return "\n".join(lines)


class CandidateInspector(QWidget):
    """Everything about one candidate (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: CandidateRecord | None = None
        self.details: CandidateDetails | None = None
        self.score_name = "accuracy"
        self.header = QLabel("Select a candidate (table, family tree or Pareto front).")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.genome = QLabel("")
        self.genome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.genome.setStyleSheet("font-family: monospace;")
        self.network = NetworkDrawing()
        self.curves = CurvesPlot()
        self.outcome = OutcomePlot()
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addWidget(self.header, 0, 0, 1, 2)
        grid.addWidget(self.genome, 1, 0, 1, 2)
        grid.addWidget(self.network, 2, 0, 2, 1)
        grid.addWidget(self.curves, 2, 1)
        grid.addWidget(self.outcome, 3, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(2, 1)
        grid.setRowStretch(3, 1)

    def clear(self, metric: str = "accuracy") -> None:
        self.record, self.details, self.score_name = None, None, metric
        self.header.setText("Select a candidate (table, family tree or Pareto front).")
        self.genome.setText("")
        self.network.clear_drawing()
        self.curves.show_record(None)
        self.outcome.clear_outcome()

    def show_record(
        self, record: CandidateRecord, n_inputs: int | None = None, n_outputs: int | None = None
    ) -> None:
        self.record, self.details = record, None
        parents = ", ".join(str(p) for p in dict.fromkeys(record.parents)) or "none"
        name = metric_label(self.score_name)
        status = "" if record.status == "ok" else f" · <b>{escape(record.status)}</b>"
        error = f"<br>{escape(record.error)}" if record.error else ""
        self.header.setText(
            f"<b>Candidate {record.candidate_id}</b> · generation {record.generation} · "
            f"made by <b>{escape(record.origin)}</b> from {escape(parents)}{status}<br>"
            f"{name}: train <b>{format_metric(record.train_metric)}</b> · validation "
            f"<b>{format_metric(record.val_metric)}</b> · test "
            f"<b>{format_metric(record.test_metric)}</b> · {record.params:,} parameters · "
            f"{record.epochs} epochs in {record.seconds:.1f} s{error}"
        )
        self.genome.setText(genome_text(record.genome))
        self.curves.show_record(record)
        self.outcome.clear_outcome("loading the stored weights…")
        if n_inputs is not None and n_outputs is not None:
            self._draw(n_inputs, n_outputs, None, "loading the stored weights…")

    def show_details(self, details: CandidateDetails) -> None:
        if self.record is None or details.candidate_id != self.record.candidate_id:
            return  # the user has moved on to another candidate
        self.details = details
        data = details.data
        note = "" if details.weights is not None else NOT_KEPT
        self._draw(data.n_features, data.n_outputs, details, note)
        if details.confusion is not None:
            self.outcome.show_confusion(details.confusion, data.class_names)
        elif details.predicted is not None:
            self.outcome.show_regression(details.predicted, details.actual, data.target_name)
        else:
            self.outcome.clear_outcome("no test outcome: " + NOT_KEPT)

    def _draw(self, n_in: int, n_out: int, details: CandidateDetails | None, note: str) -> None:
        genome = self.record.genome
        sizes = layer_sizes(genome, n_in, n_out)
        data = details.data if details is not None else None
        inputs = ", ".join(data.feature_names[:3]) if data is not None else "inputs"
        if data is not None and data.n_features > 3:
            inputs += ", …"
        if data is None:
            outputs = "outputs"
        elif data.task == "classification":
            outputs = ", ".join(data.class_names[:3]) + (", …" if data.n_outputs > 3 else "")
        else:
            outputs = data.target_name
        labels = [inputs, *(ly["activation"] for ly in genome.get("layers", [])), outputs]
        weights = details.weights if details is not None else None
        self.network.show_network(sizes, labels, weights, note)
