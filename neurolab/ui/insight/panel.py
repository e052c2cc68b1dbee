"""The window's "Insight" dock: tabs for the candidate inspector, the family tree, the Pareto
front, Optuna's views and run comparison.

Lifecycle: it follows the live-view contract (`reset`, `handle`, `redraw`, `load`) like the
plots, so it fills during a run and from a stored run alike. `set_source(project, run_id)` says
which file holds the run (a run's `RunStarted` sets it too). `inspect(candidate_id)` shows what
the file holds at once, then loads the stored weights in a `BackgroundCall` and adds what they
show. Only the visible tab is redrawn, from the window's timer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateFinished, CandidateRecord, GenerationFinished, RunStarted
from neurolab.ui.background import run_in_background
from neurolab.ui.insight.compare import CompareView
from neurolab.ui.insight.details import CandidateDetails, inspect_candidate
from neurolab.ui.insight.genealogy import GenealogyView
from neurolab.ui.insight.inspector import CandidateInspector
from neurolab.ui.insight.optuna_views import OptunaReport, OptunaView, optuna_report
from neurolab.ui.insight.pareto import ParetoView
from neurolab.ui.plots.common import PlotPanel


class InsightPanel(QTabWidget):
    """See the module docstring. `candidateInspected(id)` follows every `inspect`."""

    candidateInspected = Signal(int)  # noqa: N815 - Qt signal naming
    detailsShown = Signal(int)  # noqa: N815 - the stored weights' view is complete (tests)
    optunaShown = Signal()  # noqa: N815 - the Optuna tab has drawn a rebuilt study (tests)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = CandidateInspector()
        self.genealogy = GenealogyView()
        self.pareto = ParetoView()
        self.addTab(self.inspector, "Candidate")
        self.addTab(self.genealogy, "Family tree")
        self.addTab(self.pareto, "Pareto front")
        self.optuna = OptunaView()
        self.addTab(self.optuna, "Optuna")
        self._optuna_stale, self._optuna_busy = True, False
        self.compare = CompareView()
        self.addTab(self.compare, "Compare runs")
        self.records: dict[int, CandidateRecord] = {}
        self.score_name = "accuracy"
        self.project: Path | None = None
        self.run_id: int | None = None
        self.data: PreparedData | None = None
        self.selected: int | None = None
        self._dirty = False
        self.genealogy.candidateClicked.connect(self.inspect)
        self.pareto.candidateClicked.connect(self.inspect)
        # Only the visible tab is drawn, so a tab the user opens draws now: with no run going,
        # the window's redraw timer is stopped and would never come to it.
        self.currentChanged.connect(lambda _: (self._mark_dirty(), self.redraw()))

    # --- live-view contract -------------------------------------------------------------
    def reset(self, data: PreparedData | None, metric: str) -> None:
        self.records.clear()
        self.data, self.score_name, self.selected = data, metric, None
        self.inspector.clear(metric)
        self._optuna_stale = True
        self._mark_dirty()
        self.redraw()

    def handle(self, event: object) -> None:
        if isinstance(event, RunStarted):
            self.project, self.run_id = Path(event.project), event.run_id
        elif isinstance(event, CandidateFinished):
            self.records[event.record.candidate_id] = event.record
            self._dirty = True
        elif isinstance(event, GenerationFinished):  # a new checkpoint holds more trials
            self._optuna_stale = self._dirty = True

    def redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        view = self.currentWidget()
        if view is self.genealogy:
            self.genealogy.show_tree(self.records, self.selected)
        elif view is self.pareto:
            self.pareto.show_records(list(self.records.values()), self.score_name)
        elif view is self.optuna:
            self._refresh_optuna()
        elif view is self.compare:
            self.compare.set_current(self.project, self.run_id)

    def load(self, records: list[CandidateRecord], generations: list[GenerationFinished]) -> None:
        self.records = {r.candidate_id: r for r in records}
        self._optuna_stale = True
        self._mark_dirty()
        self.redraw()

    def plots(self) -> dict[str, PlotPanel]:
        """Every plot of the dock by a file-name stem (for exporting them)."""
        i, o = self.inspector, self.optuna
        return {
            "network": i.network,
            "candidate_loss": i.curves,
            "candidate_outcome": i.outcome,
            "family_tree": self.genealogy,
            "pareto_front": self.pareto,
            "optuna_history": o.history,
            "optuna_importances": o.importance,
            "optuna_parallel": o.parallel,
            "compare_runs": self.compare.plot,
        }

    # --- what is inspected --------------------------------------------------------------
    def set_source(self, project: Path, run_id: int, metric: str | None = None) -> None:
        self.project, self.run_id = Path(project), run_id
        if metric is not None:
            self.score_name = metric

    def inspect(self, candidate_id: int) -> None:
        record = self.records.get(candidate_id)
        if record is None:
            return
        self.selected = candidate_id
        self.inspector.score_name = self.score_name
        data = self.data
        self.inspector.show_record(record, *((data.n_features, data.n_outputs) if data else ()))
        self._mark_dirty()
        self.redraw()
        self.candidateInspected.emit(candidate_id)
        if self.project is None or self.run_id is None:
            return
        project, run_id = self.project, self.run_id
        run_in_background(
            lambda: inspect_candidate(project, run_id, record, data),
            self,
            self._on_details,
            lambda exc: self.inspector.outcome.clear_outcome(f"cannot load the weights: {exc}"),
        )

    def _on_details(self, details: CandidateDetails) -> None:
        if self.data is None:
            self.data = details.data  # prepared once, reused for every later candidate
        self.inspector.show_details(details)
        self.detailsShown.emit(details.candidate_id)

    def _refresh_optuna(self) -> None:
        """Rebuild the study from the file off the GUI thread (once per new checkpoint)."""
        if not self._optuna_stale or self._optuna_busy or self.project is None:
            return
        self._optuna_stale, self._optuna_busy = False, True
        project, run_id = self.project, self.run_id

        def done(report: OptunaReport) -> None:
            self._optuna_busy = False
            self._dirty = self._dirty or self._optuna_stale  # a newer checkpoint came meanwhile
            self.optuna.show_report(report)
            self.optunaShown.emit()

        def failed(exc: BaseException) -> None:
            self._optuna_busy = False
            self.optuna.show_report(OptunaReport(message=f"Cannot rebuild the study: {exc}"))

        run_in_background(lambda: optuna_report(project, run_id), self, done, failed)

    def _mark_dirty(self) -> None:
        self._dirty = True
