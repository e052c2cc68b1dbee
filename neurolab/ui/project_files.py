"""File menu behaviour of the main window: New, Open (Recent), Save, Save As, Export summary,
the unsaved-results prompt, showing a reopened run as it was, and continuing one cut short."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog

from neurolab.errors import NeuroLabError
from neurolab.spec import ExperimentSpec
from neurolab.ui.background import run_in_background
from neurolab.ui.dialogs import prompts
from neurolab.ui.dialogs.errors import show_exception
from neurolab.ui.panels.search_panel import QUICK_START
from neurolab.ui.project_session import ProjectSession, predict_candidate, read_project
from neurolab.ui.summary import summary_markdown

if TYPE_CHECKING:
    from neurolab.events import CandidateRecord
    from neurolab.ui.main_window import MainWindow
    from neurolab.ui.project_session import Prediction, ProjectSnapshot

FILTER = "NeuroLab projects (*.nlab);;All files (*)"
RESUMABLE = ("running", "interrupted", "stopped")  # run statuses the engine can continue
RECENT_KEY, RECENT_MAX = "recentProjects", 8


class ProjectFilesMixin:
    """Mixed into `MainWindow` (typed as such below): everything about the project file."""

    # --- New / Open -----------------------------------------------------------------------
    def new_experiment(self: MainWindow) -> None:
        if self.controller.is_running() or not self.confirm_discard("start a new experiment"):
            return
        self._switch_session(ProjectSession())
        self._previewed = None
        self.search_panel.set_values(QUICK_START)
        self.apply_data({"name": "moons"}, None)
        self.call_plots("reset", None, "accuracy")
        self.status.set_state("ready" if self.ui_ready else "loading")
        self.status.showMessage("New experiment: pick the data, then press Start.", 5000)

    def open_dialog(self: MainWindow) -> None:
        start = str(self.session.path.parent) if self.session.path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open a NeuroLab project", start, FILTER)
        if name:
            self.open_project(Path(name))

    def open_project(self: MainWindow, path: str | Path) -> bool:
        """Show the project's latest run as it was; a bad file is an error dialog."""
        path = Path(path)
        if not self.ui_ready:  # the plots do not exist yet; open as soon as they do
            self._pending_open = path
            return True
        if self.controller.is_running() or not self.confirm_discard("open another project"):
            return False
        try:
            snapshot = read_project(path)
        except Exception as exc:  # ProjectFileError, or an SQLite file damaged in odd ways
            show_exception(self, f"Cannot open {path.name}", exc)
            self._forget_recent(path)
            return False
        self._switch_session(ProjectSession(path.resolve()))
        self._remember_recent(path)
        self.show_snapshot(snapshot)
        return True

    def show_snapshot(self: MainWindow, snapshot: ProjectSnapshot) -> None:
        self.snapshot = snapshot
        run = snapshot.run
        if run is None:
            self.call_plots("reset", None, "accuracy")
            self.status.set_state("ready")
            self.status.showMessage(f"{snapshot.path.name} holds no run yet: press Start.")
            return
        self._metric = run.metric
        self.search_panel.set_values(run.spec)
        data = run.spec.get("data", {})
        self.apply_data(data, run.spec.get("task") if data.get("csv") else None)
        self.call_plots("reset", None, run.metric)
        self.plots["insight"].set_source(snapshot.path, run.run_id, run.metric)
        best = self.show_stored_run(snapshot)
        # 'running' in a file nobody is writing means the writer died: it was interrupted.
        self.status.run_ended("interrupted" if snapshot.interrupted else run.status, run.seconds)
        self.status.set_device(run.device)
        message = f"Opened {snapshot.path.name}: {len(snapshot.records)} networks"
        if self.can_continue():
            message += (
                f" — this run was {'interrupted' if snapshot.interrupted else 'stopped'}:"
                " Continue (Ctrl+F5) goes on from its last complete generation; Start "
                "begins a new run in this project."
            )
        self.status.showMessage(message)
        self._update_actions()
        if best is not None:
            self.plots["insight"].inspect(best.candidate_id)

    def show_stored_run(self: MainWindow, snapshot: ProjectSnapshot) -> CandidateRecord | None:
        """Every view from the run as stored (candidates, generations), on its best network,
        which it returns."""
        self.call_plots("load", snapshot.records, snapshot.generations)
        best = snapshot.best
        self.status.best.setText(f"best {self._metric} {best.val_metric:.3f}" if best else "")
        if best is not None:
            self.show_candidate(best.candidate_id, label="best")
        return best

    def show_candidate(self: MainWindow, candidate_id: int, label: str = "") -> None:
        """Watch a candidate's boundary; for a stored run, compute it from its saved weights."""
        boundary = self.plots["boundary"]
        boundary.watch(candidate_id)
        snapshot = self.snapshot
        if self.controller.is_running() or snapshot is None or snapshot.run is None:
            return
        record = next((r for r in snapshot.records if r.candidate_id == candidate_id), None)
        if record is None:
            return
        data = self._stored_data if self._stored_data and self._stored_data[0] is snapshot else None

        def done(prediction: Prediction) -> None:
            if self.snapshot is not snapshot or self.controller.is_running():
                return  # the user moved on
            if data is None:  # first prediction: the plot needs the data drawn first
                self._stored_data = (snapshot, prediction.data)
                boundary.reset(prediction.data, snapshot.run.metric)
                boundary.load(snapshot.records, snapshot.generations)
            if prediction.values is None:
                boundary.watch(candidate_id)
                self.status.showMessage(
                    f"Candidate {candidate_id}: its weights were not kept "
                    "(only the best few are saved).",
                    5000,
                )
            else:
                who = f"{label} · " if label else ""
                boundary.set_prediction(
                    candidate_id,
                    prediction.values,
                    f"{who}candidate {candidate_id}, val {self._metric} "
                    f"{record.val_metric:.3f} (saved weights)",
                )
            boundary.redraw()

        run_in_background(
            lambda: predict_candidate(
                snapshot.path, snapshot.run, record, data[1] if data else None
            ),
            self,
            done,
            lambda exc: self.status.showMessage(f"No boundary: {exc}", 8000),
        )

    def can_continue(self: MainWindow) -> bool:
        """The run on screen was cut short (stopped, or killed with the app) and is in the
        file runs write to: the engine can go on from its last complete generation."""
        snapshot = self.snapshot
        return (
            not self.controller.is_running()
            and snapshot is not None
            and snapshot.run is not None
            and snapshot.run.status in RESUMABLE
            and snapshot.path.resolve() == self.session.working.resolve()
        )

    def continue_run(self: MainWindow) -> None:
        if not self.can_continue():
            return
        snapshot = self.snapshot
        try:
            spec = ExperimentSpec.from_dict(snapshot.run.spec)
        except NeuroLabError as exc:
            show_exception(self, "Cannot continue this run", exc)
            return
        stored = self._stored_data
        self._launch(spec, stored[1] if stored and stored[0] is snapshot else None, snapshot)

    def apply_data(self: MainWindow, section: dict[str, Any], task: str | None) -> None:
        if self.data_panel is None:
            self._pending_data = (section, task)
        else:
            self.data_panel.set_section(section, task)

    def _switch_session(self: MainWindow, session: ProjectSession) -> None:
        self.session.discard()
        self.session = session
        self.snapshot = None
        self.update_title()
        self._update_actions()

    # --- Save -----------------------------------------------------------------------------
    def confirm_discard(self: MainWindow, what: str) -> bool:
        """True when nothing unsaved would be lost (after asking, and saving if wanted)."""
        if not self.session.has_unsaved_results():
            return True
        answer = prompts.ask_unsaved(self, what)
        if answer == "save":
            return self.save_as()
        return answer == "discard"

    def save(self: MainWindow) -> bool:
        if self.session.path is None:
            return self.save_as()
        self.status.showMessage(
            f"Saved: results go into {self.session.path.name} as the run proceeds.", 4000
        )
        return True

    def save_as(self: MainWindow, path: str | Path | None = None) -> bool:
        if path is None:
            start = str(self.session.path or Path.home() / "experiment.nlab")
            name, _ = QFileDialog.getSaveFileName(self, "Save the project as", start, FILTER)
            if not name:
                return False
            path = name
        path = Path(path)
        if path.suffix != ".nlab":
            path = path.with_name(path.name + ".nlab")
        try:
            self.session.save_as(path, running=self.controller.is_running())
        except Exception as exc:
            show_exception(self, "Cannot save", exc)
            return False
        self._remember_recent(path)
        self.update_title()
        self.status.showMessage(f"Saved as {path}", 4000)
        return True

    def export_summary(self: MainWindow, path: str | Path | None = None) -> bool:
        working = self.session.working
        try:
            snapshot = read_project(working) if working.exists() else None
        except Exception as exc:
            show_exception(self, "Cannot export", exc)
            return False
        if snapshot is None or snapshot.run is None:
            self.status.showMessage("Nothing to export yet: run an experiment first.", 5000)
            return False
        if path is None:
            start = str((self.session.path or Path.home() / "experiment").with_suffix(".md"))
            name, _ = QFileDialog.getSaveFileName(
                self, "Export a summary", start, "Markdown (*.md);;Text (*.txt)"
            )
            if not name:
                return False
            path = name
        try:
            Path(path).write_text(summary_markdown(snapshot), encoding="utf-8")
        except OSError as exc:
            show_exception(self, "Cannot export", exc)
            return False
        self.status.showMessage(f"Summary written to {path}", 4000)
        return True

    # --- title and recent files -------------------------------------------------------------
    def update_title(self: MainWindow) -> None:
        unsaved = self.session.has_unsaved_results()
        self.setWindowModified(unsaved)
        self.setWindowTitle(f"{self.session.name}[*] — NeuroLab")

    def recent_projects(self: MainWindow) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if p]

    def update_recent_menu(self: MainWindow) -> None:
        menu = self.acts.recent
        menu.clear()
        for path in self.recent_projects():
            menu.addAction(Path(path).name, lambda p=path: self.open_project(p)).setToolTip(path)
        menu.setEnabled(not menu.isEmpty())

    def _remember_recent(self: MainWindow, path: Path) -> None:
        text = str(path.resolve())
        items = [text, *(p for p in self.recent_projects() if p != text)][:RECENT_MAX]
        self.settings.setValue(RECENT_KEY, items)
        self.update_recent_menu()

    def _forget_recent(self: MainWindow, path: Path) -> None:
        text = str(path.resolve())
        self.settings.setValue(RECENT_KEY, [p for p in self.recent_projects() if p != text])
        self.update_recent_menu()
