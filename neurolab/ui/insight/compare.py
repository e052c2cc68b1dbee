"""Compare runs: the best-so-far fitness by generation of the run on screen, overlaid with the
runs of other projects (or other runs of the same project) the user adds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from neurolab.ui.dialogs.errors import show_exception
from neurolab.ui.plots.common import INK, PlotPanel, colour, finite

FILTER = "NeuroLab projects (*.nlab);;All files (*)"


@dataclass(frozen=True)
class RunHistory:
    """One run's best-so-far validation metric per finished generation."""

    run_id: int
    label: str
    generations: tuple[int, ...]
    best_so_far: tuple[float | None, ...]


def run_histories(project: Path) -> list[RunHistory]:
    """Every run of a project file (plain SQLite reads; `ProjectFileError` for a bad file)."""
    from neurolab.store import ProjectStore

    histories = []
    with ProjectStore(project, create=False) as store:
        for run in store.runs():
            stats = store.generations(run.run_id)
            engine = run.spec.get("engine", {}).get("kind", "ga")
            histories.append(
                RunHistory(
                    run.run_id,
                    f"{project.name} · run {run.run_id} ({run.spec.get('name', '')}, {engine})",
                    tuple(s.generation for s in stats),
                    tuple(s.best_so_far for s in stats),
                )
            )
    return histories


class CompareView(QWidget):
    """`set_current(project, run_id)` draws the run on screen thick; `add_project(path)` adds
    every run of another project; Clear removes the added ones."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = PlotPanel("generation", "best validation metric so far", integer_x=True)
        self.plot.plot_item.hideButtons()
        self.plot.legend.setOffset((-10, -10))  # bottom right: best-so-far curves climb
        self.add_button = QPushButton("Add a project…")
        self.add_button.setToolTip("Overlay the runs of another project file")
        self.clear_button = QPushButton("Clear")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.plot)
        self.current: list[RunHistory] = []
        self.added: list[RunHistory] = []
        self.add_button.clicked.connect(self._ask_project)
        self.clear_button.clicked.connect(self.clear_added)

    def set_current(self, project: Path | None, run_id: int | None) -> None:
        self.current = []
        if project is not None and project.exists():
            try:
                histories = run_histories(project)
            except Exception:  # a run still creating its file: nothing to compare yet
                histories = []
            self.current = [h for h in histories if h.run_id == run_id]
        self._draw()

    def add_project(self, path: str | Path) -> bool:
        try:
            histories = run_histories(Path(path))
        except Exception as exc:
            show_exception(self, f"Cannot compare with {Path(path).name}", exc)
            return False
        known = {h.label for h in self.added + self.current}
        self.added += [h for h in histories if h.label not in known]
        self._draw()
        return True

    def clear_added(self) -> None:
        self.added = []
        self._draw()

    def _ask_project(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Compare with a project", str(Path.home()), FILTER
        )
        if name:
            self.add_project(name)

    def _draw(self) -> None:
        item = self.plot.plot_item
        for curve in item.listDataItems():
            item.removeItem(curve)
        self.plot.legend.clear()
        for history in self.current:
            self.plot.line(INK, 3, name=f"{history.label} (on screen)").setData(
                history.generations, finite([_nan(v) for v in history.best_so_far])
            )
        for k, history in enumerate(self.added):
            self.plot.line(colour(k), 2, name=history.label).setData(
                history.generations, finite([_nan(v) for v in history.best_so_far])
            )
        total = len(self.current) + len(self.added)
        self.plot.set_title(
            f"{total} run{'s' if total != 1 else ''}: best so far by generation"
            if total
            else "Open a run, then add projects to compare with it."
        )
        item.enableAutoRange()


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value
