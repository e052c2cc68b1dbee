"""Export from the GUI: a stored model's weights (safetensors), every plot as PNG and SVG, and
the candidates table as CSV (File ▸ Export …, wired by `export_actions`).

The model is written straight from the weights the project file keeps (the best few of each
run), with its genome and the run's data description in the safetensors metadata; the engine's
own export (TorchScript / ONNX with preprocessing) replaces this when it lands.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 - registers pg.exporters
from PySide6.QtWidgets import QFileDialog

from neurolab.errors import ProjectFileError
from neurolab.ui.dialogs.errors import show_exception
from neurolab.ui.plots.common import PlotPanel, layers_text

if TYPE_CHECKING:
    from neurolab.events import CandidateRecord
    from neurolab.ui.main_window import MainWindow

CSV_COLUMNS = (
    "id",
    "generation",
    "status",
    "layers",
    "parameters",
    "train",
    "validation",
    "test",
    "epochs",
    "seconds",
    "origin",
    "parents",
    "genome",
    "error",
)


def export_model(project: Path, run_id: int, record: CandidateRecord, target: Path) -> Path:
    """Write the candidate's stored weights as safetensors; `ProjectFileError` if not kept."""
    from safetensors.torch import save_file

    from neurolab.store import ProjectStore

    with ProjectStore(project, create=False) as store:
        weights = store.load_weights(run_id, record.candidate_id)
        run = next(r for r in store.runs() if r.run_id == run_id)
    if weights is None:
        raise ProjectFileError(
            f"candidate {record.candidate_id}: its weights were not kept "
            "(only the best few candidates of a run keep theirs)"
        )
    metadata = {
        "genome": json.dumps(record.genome),
        "data": json.dumps(run.spec.get("data")),
        "task": str(run.spec.get("task")),
        "metric": run.metric,
        "candidate_id": str(record.candidate_id),
        "val_metric": str(record.val_metric),
        "format": "neurolab.mlp.v1",
    }
    save_file({k: v.contiguous() for k, v in weights.items()}, str(target), metadata=metadata)
    return target


def export_candidates_csv(records: list[CandidateRecord], target: Path) -> Path:
    """One row per candidate, the columns of the table plus the full genome as JSON."""
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in records:
            writer.writerow(
                [
                    r.candidate_id,
                    r.generation,
                    r.status,
                    layers_text(r.genome),
                    r.params,
                    r.train_metric,
                    r.val_metric,
                    r.test_metric,
                    r.epochs,
                    round(r.seconds, 3),
                    r.origin,
                    " ".join(map(str, r.parents)),
                    json.dumps(r.genome),
                    r.error or "",
                ]
            )
    return target


def export_plot(plot: PlotPanel, target: Path) -> Path:
    """One plot as PNG (at twice its size on screen, for print) or SVG, by the file's suffix."""
    if target.suffix.lower() == ".svg":
        try:
            pg.exporters.SVGExporter(plot.plot_item).export(str(target))
        except ValueError:
            # pyqtgraph 0.14's SVG exporter cannot parse closed paths ("... Z") that some
            # items make under Qt 6 (pyqtgraph/pyqtgraph #3495): let Qt write the SVG instead.
            _render_svg(plot, target)
    else:
        exporter = pg.exporters.ImageExporter(plot.plot_item)
        exporter.parameters()["width"] = max(2 * int(plot.plot_item.width()), 800)
        exporter.export(str(target))
    return target


def _render_svg(plot: PlotPanel, target: Path) -> None:
    from PySide6.QtCore import QRect, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    widget = plot.plot_widget
    generator = QSvgGenerator()
    generator.setFileName(str(target))
    generator.setSize(QSize(widget.width(), widget.height()))
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle(plot.title or "NeuroLab plot")
    painter = QPainter(generator)
    try:
        widget.render(painter)
    finally:
        painter.end()


def visible_plots(window: MainWindow) -> dict[str, PlotPanel]:
    """The window's plots by file name stem: the live views and the Insight dock's plots."""
    plots = {name: p for name, p in window.plots.items() if isinstance(p, PlotPanel)}
    insight = window.plots.get("insight")
    if insight is not None:
        plots.update(insight.plots())
    return plots


def export_all_plots(window: MainWindow, folder: Path) -> list[Path]:
    written = []
    for name, plot in visible_plots(window).items():
        for suffix in (".png", ".svg"):
            written.append(export_plot(plot, folder / f"{name}{suffix}"))
    return written


# --- the window's actions -----------------------------------------------------------------
def chosen_record(window: MainWindow) -> CandidateRecord | None:
    """The candidate the user is looking at (inspector or table), else the run's best."""
    from neurolab.ui.plots.common import best_record

    insight = window.plots["insight"]
    cid = insight.selected or window.plots["candidates"].selected_candidate()
    if cid is not None and cid in insight.records:
        return insight.records[cid]
    return best_record(insight.records.values())


def export_model_dialog(window: MainWindow, target: str | Path | None = None) -> bool:
    insight = window.plots.get("insight")
    record = chosen_record(window) if insight is not None else None
    if record is None or insight.project is None or insight.run_id is None:
        window.status.showMessage("Nothing to export yet: run or open an experiment first.", 5000)
        return False
    if target is None:
        start = str(Path.home() / f"candidate-{record.candidate_id}.safetensors")
        target, _ = QFileDialog.getSaveFileName(
            window, "Export the model's weights", start, "safetensors (*.safetensors)"
        )
        if not target:
            return False
    try:
        export_model(insight.project, insight.run_id, record, Path(target))
    except Exception as exc:
        show_exception(window, "Cannot export the model", exc)
        return False
    window.status.showMessage(
        f"Candidate {record.candidate_id}'s weights written to {target}", 5000
    )
    return True


def export_csv_dialog(window: MainWindow, target: str | Path | None = None) -> bool:
    records = sorted(window.plots["insight"].records.values(), key=lambda r: r.candidate_id)
    if not records:
        window.status.showMessage("No candidates to export yet.", 5000)
        return False
    if target is None:
        target, _ = QFileDialog.getSaveFileName(
            window,
            "Export the candidates table",
            str(Path.home() / "candidates.csv"),
            "CSV (*.csv)",
        )
        if not target:
            return False
    try:
        export_candidates_csv(records, Path(target))
    except OSError as exc:
        show_exception(window, "Cannot export the table", exc)
        return False
    window.status.showMessage(f"{len(records)} candidates written to {target}", 5000)
    return True


def export_plots_dialog(window: MainWindow, folder: str | Path | None = None) -> bool:
    if folder is None:
        folder = QFileDialog.getExistingDirectory(window, "Export every plot (PNG and SVG) to")
        if not folder:
            return False
    try:
        written = export_all_plots(window, Path(folder))
    except Exception as exc:
        show_exception(window, "Cannot export the plots", exc)
        return False
    window.status.showMessage(f"{len(written)} files written to {folder}", 5000)
    return True
