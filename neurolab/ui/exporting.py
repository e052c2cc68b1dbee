"""Export from the GUI (File ▸ Export …, wired by `export_actions`): a stored model with its
preprocessing and `predict.py` (the engine's `neurolab.export`, as `neurolab-run export`), the
run report (`neurolab.report`, as `neurolab-run report`), every plot as PNG and SVG, and the
candidates table (`neurolab.report.write_table`, as `neurolab-run report --table`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 - registers pg.exporters
from PySide6.QtWidgets import QFileDialog

from neurolab.ui.dialogs.errors import show_exception
from neurolab.ui.plots.common import PlotPanel

if TYPE_CHECKING:
    from neurolab.events import CandidateRecord
    from neurolab.ui.main_window import MainWindow


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


MODEL_FORMATS = {
    "TorchScript (.pt)": "torchscript",
    "ONNX (.onnx)": "onnx",
    "safetensors": "safetensors",
}


def export_model_dialog(
    window: MainWindow, folder: str | Path | None = None, fmt: str | None = None
) -> bool:
    """The inspected (or best) candidate into `folder`: model file, preprocessing JSON and
    `predict.py`. Asks for the format and the folder when not given."""
    from PySide6.QtWidgets import QInputDialog

    from neurolab.export import export_model

    insight = window.plots.get("insight")
    record = chosen_record(window) if insight is not None else None
    if record is None or insight.project is None:
        window.status.showMessage("Nothing to export yet: run or open an experiment first.", 5000)
        return False
    if fmt is None:
        label, ok = QInputDialog.getItem(
            window, "Export the model", "Format:", list(MODEL_FORMATS), 0, False
        )
        if not ok:
            return False
        fmt = MODEL_FORMATS[label]
    if folder is None:
        parent = QFileDialog.getExistingDirectory(window, "Export the model into a folder in")
        if not parent:
            return False
        folder = Path(parent) / f"candidate-{record.candidate_id}"
    try:
        export_model(insight.project, folder, fmt, record.candidate_id)
    except Exception as exc:
        show_exception(window, "Cannot export the model", exc)
        return False
    window.status.showMessage(
        f"Candidate {record.candidate_id} written to {folder} (run it: python predict.py rows.csv)",
        8000,
    )
    return True


def export_report_dialog(window: MainWindow, folder: str | Path | None = None) -> bool:
    """The run report (HTML with its plots, candidates table), written off the GUI thread: it
    may prepare the data again for the decision boundary."""
    from neurolab.report import write_report
    from neurolab.ui.background import run_in_background

    insight = window.plots.get("insight")
    if insight is None or insight.project is None:
        window.status.showMessage("Nothing to report yet: run or open an experiment first.", 5000)
        return False
    if folder is None:
        folder = QFileDialog.getExistingDirectory(window, "Write the run report into")
        if not folder:
            return False
    project, run_id = insight.project, insight.run_id
    window.status.showMessage(f"Writing the report into {folder} …")
    run_in_background(
        lambda: write_report(project, folder, run_id),
        window,
        lambda page: window.status.showMessage(f"Report written: {page}", 8000),
        lambda exc: show_exception(window, "Cannot write the report", exc),
    )
    return True


def export_csv_dialog(window: MainWindow, target: str | Path | None = None) -> bool:
    """The candidates table as CSV or Parquet (by the suffix), as `neurolab-run report --table`
    writes it: the project file holds every finished candidate, also during a run."""
    from neurolab.report import write_table

    insight = window.plots["insight"]
    if not insight.records or insight.project is None:
        window.status.showMessage("No candidates to export yet.", 5000)
        return False
    if target is None:
        target, _ = QFileDialog.getSaveFileName(
            window,
            "Export the candidates table",
            str(Path.home() / "candidates.csv"),
            "CSV (*.csv);;Parquet (*.parquet)",
        )
        if not target:
            return False
    try:
        write_table(insight.project, target, insight.run_id)
    except Exception as exc:
        show_exception(window, "Cannot export the table", exc)
        return False
    window.status.showMessage(f"{len(insight.records)} candidates written to {target}", 5000)
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
