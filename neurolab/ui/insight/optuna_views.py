"""Optuna's views of an Optuna run: optimisation history, parameter importances (fANOVA via
`optuna.importance`) and parallel coordinates of the trials.

`optuna_report` rebuilds the study in memory from the trials the project file keeps (the
engine's checkpoint), off the GUI thread; `OptunaView` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from neurolab.ui.plots.common import FAINT, INK, PlotPanel, colour

NOT_OPTUNA = "Not an Optuna run: these views need a run with the Optuna engine."


@dataclass
class OptunaReport:
    """The trials of an Optuna run (`trials_table` rows) and the parameters' importances."""

    sampler: str = ""
    trials: list[dict[str, Any]] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)
    message: str = ""  # why there is nothing to show, if so


def optuna_report(project: Path, run_id: int) -> OptunaReport:
    """The run's study rebuilt from its last checkpoint (needs optuna; call off the GUI thread)."""
    from neurolab.search import make_engine
    from neurolab.spec import ExperimentSpec
    from neurolab.store import ProjectStore

    with ProjectStore(project, create=False) as store:
        run = next(r for r in store.runs() if r.run_id == run_id)
        checkpoint = store.engine_state(run_id)
    spec = ExperimentSpec.from_dict(run.spec)
    if spec.engine.kind != "optuna":
        return OptunaReport(message=NOT_OPTUNA)
    if checkpoint is None:
        return OptunaReport(spec.engine.sampler, message="No finished generation yet.")
    # The views need the trials, not the sampler's inner state: rebuild every study as TPE,
    # which restores by adding the stored trials (CMA-ES would replay the whole search).
    state = {**checkpoint[1], "sampler": "tpe"}
    engine = make_engine(spec.with_overrides({"engine.sampler": "tpe"}))
    engine.restore(state)
    return OptunaReport(spec.engine.sampler, engine.trials_table(), engine.param_importances())


def shared_params(trials: list[dict[str, Any]]) -> list[str]:
    """Parameters every complete trial has, in the order of the first one."""
    complete = [t for t in trials if t["state"] == "complete"]
    if not complete:
        return []
    names = list(complete[0]["params"])
    return [n for n in names if all(n in t["params"] for t in complete)]


def parallel_axes(trials: list[dict[str, Any]], names: list[str]) -> np.ndarray:
    """(trials, params) positions in 0..1: numbers min–max scaled (learning rate in log10),
    choices spread by their sorted order."""
    complete = [t for t in trials if t["state"] == "complete"]
    columns = []
    for name in names:
        values = [t["params"][name] for t in complete]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            array = np.array(values, dtype=float)
            if name == "learning_rate":
                array = np.log10(array)
        else:
            order = sorted({str(v) for v in values})
            array = np.array([order.index(str(v)) for v in values], dtype=float)
        span = array.max() - array.min()
        columns.append((array - array.min()) / span if span > 0 else np.full(len(array), 0.5))
    return np.stack(columns, axis=1) if columns else np.zeros((len(complete), 0))


class OptunaView(QWidget):
    """History, importances and parallel coordinates of one `OptunaReport`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = QLabel(NOT_OPTUNA)
        self.history = PlotPanel("trial", "validation metric")
        self.importance = PlotPanel("importance (fANOVA)", "")
        self.parallel = PlotPanel("", "scaled value", grid=False)
        for plot in (self.history, self.importance, self.parallel):
            plot.plot_item.hideButtons()
        self.importance.legend.hide()
        self.parallel.legend.hide()
        self.trials_points = pg.ScatterPlotItem(size=7, brush=colour(0), pen=None)
        self.history.plot_item.addItem(self.trials_points)
        self.history.legend.addItem(self.trials_points, "trial")
        self.history.legend.setOffset((-10, -10))  # bottom right: the best climb at the top
        self.best_line = self.history.line(INK, 2, name="best so far")
        self.bars: pg.BarGraphItem | None = None
        self._lines: list[pg.PlotCurveItem] = []
        grid = QGridLayout(self)
        grid.addWidget(self.message, 0, 0, 1, 2)
        grid.addWidget(self.history, 1, 0)
        grid.addWidget(self.importance, 1, 1)
        grid.addWidget(self.parallel, 2, 0, 1, 2)
        self.report: OptunaReport | None = None

    def show_report(self, report: OptunaReport) -> None:
        self.report = report
        trials = report.trials
        done = [t for t in trials if t["state"] == "complete"]
        self.message.setText(
            report.message
            or (
                f"Optuna ({report.sampler}): {len(done)} complete of {len(trials)} trials, study "
                "rebuilt from the project file"
            )
        )
        numbers = np.array([t["number"] for t in done], dtype=float)
        values = np.array([t["value"] for t in done], dtype=float)
        self.trials_points.setData(numbers, values)
        self.best_line.setData(numbers, np.maximum.accumulate(values) if len(values) else values)
        self.history.set_title("optimisation history")
        self._show_importances(report.importances)
        self._show_parallel(trials, values)

    def _show_importances(self, importances: dict[str, float]) -> None:
        plot = self.importance
        if self.bars is not None:
            plot.plot_item.removeItem(self.bars)
            self.bars = None
        ranked = sorted(importances.items(), key=lambda kv: kv[1])
        plot.set_title(
            "parameter importances"
            if ranked
            else "parameter importances: too few complete trials yet"
        )
        if not ranked:
            return
        ys = np.arange(len(ranked), dtype=float)
        self.bars = pg.BarGraphItem(
            x0=0, y=ys, height=0.6, width=[v for _, v in ranked], brush=colour(0)
        )
        plot.plot_item.addItem(self.bars)
        plot.plot_item.getAxis("left").setTicks(
            [[(y, n) for y, (n, _) in zip(ys, ranked, strict=True)]]
        )
        plot.plot_item.setRange(
            xRange=(0, max(v for _, v in ranked) * 1.05),
            yRange=(-0.6, len(ranked) - 0.4),
            padding=0,
        )

    def _show_parallel(self, trials: list[dict[str, Any]], values: np.ndarray) -> None:
        plot = self.parallel
        for line in self._lines:
            plot.plot_item.removeItem(line)
        self._lines.clear()
        names = shared_params(trials)
        plot.set_title("parallel coordinates (colour: rank by validation metric, yellow is best)")
        if not names or not len(values):
            return
        axes = parallel_axes(trials, names)
        xs = np.arange(len(names), dtype=float)
        viridis = pg.colormap.get("viridis")
        # Colour by rank, not by value: one failed-ish outlier would turn every other trial yellow.
        ranked = sorted(zip(axes, values, strict=True), key=lambda rv: rv[1])
        for rank, (row, _value) in enumerate(ranked):
            share = rank / max(len(ranked) - 1, 1)
            pen = pg.mkPen(viridis.map(share, mode="qcolor"), width=2 if share > 0.9 else 1)
            line = pg.PlotCurveItem(x=xs, y=row, pen=pen)
            plot.plot_item.addItem(line)
            self._lines.append(line)
        for x in xs:  # the axes themselves
            axis = pg.PlotCurveItem(x=[x, x], y=[0, 1], pen=pg.mkPen(FAINT, width=1))
            plot.plot_item.addItem(axis)
            self._lines.append(axis)
        plot.plot_item.getAxis("bottom").setTicks([list(zip(xs, names, strict=True))])
        plot.plot_item.setRange(xRange=(-0.5, len(names) - 0.5), yRange=(-0.05, 1.05), padding=0)
