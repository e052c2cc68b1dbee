"""The NeuroLab main window: Data and Search panels, live plots in docks, Run controls.

Lifecycle: the constructor builds only Qt-light parts (menus, toolbar, status bar, the Search
panel, empty docks) so the window shows at once; after the first paint `EngineLoader` imports the
data layer and plots off the GUI thread (`ui_ready`: the Data panel and plots fill their docks),
then torch (`engine_ready`: devices known). A run goes through `RunController` (a QThread); its
events are handed to every plot's `handle`, and a ~15 Hz timer calls their `redraw`.
Project files (New / Open / Save …) live in `ProjectFilesMixin`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QCloseEvent, QPaintEvent
from PySide6.QtWidgets import QMainWindow, QWidget

from neurolab.ui.background import (
    BackgroundCall,
    collect_garbage_on_gui_thread,
    wait_for_background,
)
from neurolab.ui.dialogs import prompts
from neurolab.ui.dialogs.about import show_about
from neurolab.ui.dialogs.errors import show_error, show_exception
from neurolab.ui.export_actions import connect_exports
from neurolab.ui.layout import (
    DOCKS,
    LAYOUT_VERSION,
    arrange_docks,
    make_docks,
    place_insight,
    reset_layout,
    restore_layout,
    save_layout,
)
from neurolab.ui.loader import EngineLoader
from neurolab.ui.menus import build_actions, build_menus, build_toolbar
from neurolab.ui.panels.search_panel import SearchPanel
from neurolab.ui.panels.status_bar import RunStatusBar
from neurolab.ui.panels.validation import validate_spec
from neurolab.ui.playground.launch import open_playground
from neurolab.ui.project_files import ProjectFilesMixin
from neurolab.ui.project_session import ProjectSession, read_project
from neurolab.ui.run_controller import RunController

if TYPE_CHECKING:
    from neurolab.data.dataset import PreparedData
    from neurolab.spec import ExperimentSpec
    from neurolab.ui.panels.data_panel import DataPanel

ORGANISATION = APPLICATION = "NeuroLab"
REDRAW_MS = 66  # ~15 Hz: smooth enough to watch, cheap enough to never stall the window
STYLE = Path(__file__).resolve().parents[2] / "resources" / "style.qss"
PLOTS = ("boundary", "fitness", "loss", "candidates", "insight")


class MainWindow(ProjectFilesMixin, QMainWindow):
    """One experiment at a time, in one project file (see the module docstring)."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        collect_garbage_on_gui_thread()
        self.settings = settings if settings is not None else QSettings(ORGANISATION, APPLICATION)
        self.controller = RunController(self)
        self.session = ProjectSession()
        self.snapshot = None  # the ProjectSnapshot on screen after Open (or a finished run)
        self.data_panel: DataPanel | None = None
        self.plots: dict[str, Any] = {}
        self.ui_ready = self.engine_ready = self.warmed_up = False
        self._raw: dict[str, Any] = {}
        self._spec = None
        self._problems: list[str] = []
        self._run_data: PreparedData | None = None
        self._run_failed = self._quit_after_run = False
        self._pending_data: tuple[dict[str, Any], str | None] | None = None
        self._pending_open: Path | None = None
        self._metric = "accuracy"
        self._loading_started = self._closed = False
        self._broken: set[str] = set()  # plots that raised (see call_plots)
        self._stored_data = None  # (snapshot, PreparedData) once a stored run was prepared
        self._previewed: PreparedData | None = None  # the data the idle plots show
        self._resumed_from = None  # the ProjectSnapshot a continued run started from

        self.setWindowTitle("NeuroLab")
        self.search_panel = SearchPanel()
        self.docks = make_docks(self)
        self.docks["search"].setWidget(self.search_panel)
        self.acts = build_actions(self)
        build_menus(self, self.acts, [d.toggleViewAction() for d in self.docks.values()])
        self.toolbar = build_toolbar(self, self.acts)
        self.status = RunStatusBar(self)
        self.setStatusBar(self.status)
        arrange_docks(self, self.docks)
        self._default_state = self.saveState(LAYOUT_VERSION)
        last = restore_layout(self, self.settings)
        if last:
            self.search_panel.set_values(last)
            if last.get("data"):
                self._pending_data = (last["data"], last.get("task"))
        if STYLE.exists():
            self.setStyleSheet(STYLE.read_text(encoding="utf-8"))

        # One plot per tick, in turn: each still redraws at ~15 Hz, but the window never has to
        # paint all four in one go (a ~70 ms stall on a busy 2-core machine).
        self._redraw_timer = QTimer(self, interval=REDRAW_MS // len(PLOTS))
        self._redraw_timer.timeout.connect(self._redraw_next)
        self._redraw_turn = 0
        self.loader = EngineLoader(self)
        self.loader.uiReady.connect(self._on_ui_ready)
        self.loader.engineReady.connect(self._on_engine_ready)
        self.loader.warmedUp.connect(lambda: setattr(self, "warmed_up", True))
        self.loader.failed.connect(lambda exc: show_exception(self, "NeuroLab cannot start", exc))
        self._connect()
        self.update_recent_menu()
        self.update_title()
        self._revalidate()

    # --- construction ---------------------------------------------------------------------
    def _connect(self) -> None:
        a = self.acts
        a.new.triggered.connect(self.new_experiment)
        a.open.triggered.connect(self.open_dialog)
        a.save.triggered.connect(self.save)
        a.save_as.triggered.connect(self.save_as)
        a.export.triggered.connect(self.export_summary)
        a.quit.triggered.connect(self.close)
        a.start.triggered.connect(self.start_run)
        a.pause.triggered.connect(self.toggle_pause)
        a.stop.triggered.connect(self.controller.stop)
        a.reset_layout.triggered.connect(
            lambda: reset_layout(self, self.docks, self._default_state)
        )
        a.about.triggered.connect(lambda: show_about(self, self.status.device_name))
        a.follow_best.triggered.connect(self.follow_best)
        a.continue_run.triggered.connect(self.continue_run)
        a.playground.triggered.connect(lambda: open_playground(self))
        connect_exports(self)
        self.search_panel.changed.connect(self._revalidate)
        self.search_panel.cluster_requested.connect(self.status.show_cluster)
        c = self.controller
        c.dataReady.connect(self._on_data_ready)
        c.event.connect(self._on_event)
        c.stateChanged.connect(self._on_state)
        c.failed.connect(self._on_failed)
        c.finished.connect(self._on_finished)

    # --- loading the engine after the first paint -----------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(event)
        if not self._loading_started:  # after the first paint: the window is on screen
            self._loading_started = True
            place_insight(self, self.docks)
            QTimer.singleShot(0, self._start_loading)

    def _start_loading(self) -> None:
        if not self._closed:  # a window closed within its first moments must not start it
            self.loader.start()

    def _on_ui_ready(self) -> None:
        from neurolab.ui.insight.panel import InsightPanel
        from neurolab.ui.panels.data_panel import DataPanel
        from neurolab.ui.plots import BoundaryPlot, CandidatesTable, FitnessPlot, LossPlot

        self.data_panel = DataPanel()
        self.docks["data"].setWidget(self.data_panel)
        self.plots = {
            "boundary": BoundaryPlot(),
            "fitness": FitnessPlot(),
            "loss": LossPlot(),
            "candidates": CandidatesTable(),
            "insight": InsightPanel(),
        }
        for name, plot in self.plots.items():
            self.docks[name].setWidget(plot)
        self.call_plots("reset", None, self._metric)
        self.plots["candidates"].candidateSelected.connect(self.plots["insight"].inspect)
        self.plots["insight"].candidateInspected.connect(self._on_inspected)
        # A double-click on a row brings the inspector to the front (a click only selects).
        self.plots["candidates"].view.doubleClicked.connect(self.docks["insight"].raise_)
        self.data_panel.changed.connect(self._revalidate)
        self.data_panel.changed.connect(self._preview_data)
        self.ui_ready = True
        self.status.set_state("ready")
        if self._pending_data is not None:
            self.data_panel.set_section(*self._pending_data)
            self._pending_data = None
        if self._pending_open is not None:
            path, self._pending_open = self._pending_open, None
            self.open_project(path)
        else:
            self.status.showMessage(
                "Press Start (F5) to evolve networks on the data shown, or pick other data first.",
                15_000,
            )
        self._revalidate()

    def _on_engine_ready(self, devices: list[str], auto: str) -> None:
        self.engine_ready = True
        self.search_panel.set_devices(devices)
        if not self.controller.is_running():
            self.status.set_device(auto)
        self._preview_data()

    def _preview_data(self) -> None:
        """Before a run, the plots show the chosen data (the boundary plot its points)."""
        if not self.engine_ready or self.controller.is_running() or self.snapshot is not None:
            return  # (the boundary plot imports torch: only once the loader has)
        raw = self._raw
        if raw.get("data") is None:
            return
        data = self.data_panel.prepared(raw["data"], raw.get("task"), raw["seed"])
        if data is not None and data is not self._previewed:
            from neurolab.runner import metric_name

            self._previewed, self._metric = data, metric_name(data.task)
            self.call_plots("reset", data, self._metric)

    def is_settled(self) -> bool:
        """Nothing is loading or computing (for screenshots and tests)."""
        busy = any(call.isRunning() for call in self.findChildren(BackgroundCall))
        data_busy = self.data_panel is not None and self.data_panel.busy()
        return (
            self.ui_ready
            and self.engine_ready
            and self.warmed_up
            and not busy
            and not data_busy
            and self._pending_open is None
        )

    # --- the spec -------------------------------------------------------------------------
    def raw_spec(self) -> dict[str, Any]:
        panel = self.data_panel
        section = panel.section() if panel is not None else None
        raw = {**self.search_panel.values(), "data": section}
        if panel is not None and panel.task() is not None:
            raw["task"] = panel.task()
        if section is not None:
            raw["name"] = section.get("name") or Path(section.get("csv", "experiment")).stem
        return raw

    def _revalidate(self) -> None:
        raw = self.raw_spec()
        if self.data_panel is not None:
            self.data_panel.set_seed(raw["seed"])
        # Without data yet, validate the rest against a stand-in so its errors still show.
        check = raw if raw["data"] is not None else {**raw, "data": {"name": "moons"}}
        spec, errors = validate_spec(check)
        problems = self.search_panel.mark_errors(errors)
        if self.data_panel is None:
            problems.append("the data is still loading")
        elif self.data_panel.problem():
            problems.append(self.data_panel.problem())
        elif raw["data"] is None:
            problems.append("choose the data first")
        self._raw, self._problems = raw, problems
        self._spec = spec if raw["data"] is not None and not problems else None
        self._update_actions()

    def _update_actions(self) -> None:
        running = self.controller.is_running()
        a = self.acts
        a.start.setEnabled(not running and self._spec is not None)
        a.start.setToolTip(
            "Start evolving networks (F5)"
            if self._spec is not None or running
            else "Cannot start yet: " + "; ".join(self._problems or ["…"])
        )
        a.pause.setEnabled(running)
        a.stop.setEnabled(running)
        a.continue_run.setVisible(self.can_continue())
        a.continue_run.setEnabled(self.can_continue())
        for act in (a.new, a.open, a.recent.menuAction()):
            act.setEnabled(not running)
        for panel in (self.data_panel, self.search_panel):
            if panel is not None:
                panel.setEnabled(not running)  # the spec of a running experiment is fixed

    # --- running --------------------------------------------------------------------------
    def start_run(self) -> None:
        if self.controller.is_running() or self._spec is None:
            return
        raw = self._raw
        data = self.data_panel.prepared(raw["data"], raw.get("task"), raw["seed"])
        self._launch(self._spec, data, None)

    def _launch(self, spec: ExperimentSpec, data: PreparedData | None, resume: Any) -> None:
        """Start the run thread: a new run, or `resume` (a ProjectSnapshot) continued."""
        self._run_data, self._run_failed, self._resumed_from = data, False, resume
        self.snapshot = None
        self.status.run_started()
        self.status.showMessage("")
        try:
            self.controller.start(
                spec, self.session.working, data, resume.run.run_id if resume is not None else None
            )
        except RuntimeError as exc:
            show_error(self, "Cannot start", str(exc))
            return
        self._redraw_timer.start()
        self._update_actions()
        self.update_title()

    def follow_best(self) -> None:
        """The boundary plot shows the best so far again (after a row was selected)."""
        if self.plots:
            self.plots["boundary"].watch(None)
            self.plots["candidates"].select_candidate(None)

    def _on_inspected(self, candidate_id: int) -> None:
        """A candidate chosen in any view: its row is selected, its boundary shown."""
        self.plots["candidates"].select_candidate(candidate_id)
        if self.plots["boundary"].watched != candidate_id:
            self.show_candidate(candidate_id)

    def toggle_pause(self) -> None:
        if self.controller.is_paused():
            self.controller.resume()
        else:
            self.controller.pause()

    def redraw_plots(self) -> None:
        self.call_plots("redraw")

    def _redraw_next(self) -> None:
        if self.plots:
            self._redraw_turn = (self._redraw_turn + 1) % len(PLOTS)
            self.call_plots("redraw", only=PLOTS[self._redraw_turn])

    def call_plots(self, method: str, *args: Any, only: str | None = None) -> None:
        """`method(*args)` on every plot. One that raises is reported once and skipped until
        its next good `reset`: a bug in one view must not stop the others, nor show a dialog
        15 times a second."""
        for name, plot in self.plots.items():
            if (only is not None and name != only) or (name in self._broken and method != "reset"):
                continue
            try:
                getattr(plot, method)(*args)
            except Exception as exc:
                if name not in self._broken:
                    self._broken.add(name)
                    show_exception(self, f"The “{DOCKS[name]}” view failed", exc)
            else:
                if method == "reset":
                    self._broken.discard(name)

    def _on_data_ready(self, data: PreparedData) -> None:
        self._run_data = data

    def _on_event(self, event: object) -> None:
        from neurolab.events import RunProgress, RunStarted, StateChanged

        if isinstance(event, RunStarted):
            self._metric = event.metric
            self.call_plots("reset", self._run_data, event.metric)
            resumed = self._resumed_from
            if event.resumed and resumed is not None:  # what the run had done so far
                # (cut-short candidates train again, under the same id: not loaded twice)
                kept = [r for r in resumed.records if r.status != "cancelled"]
                self.call_plots("load", kept, resumed.generations)
            self.status.set_device(event.device)
            execution = event.spec.get("execution", {})
            if execution.get("backend") == "ray":  # the run is connected: show what it has
                self.status.show_cluster(execution.get("address"))
            self._on_state("paused" if self.controller.is_paused() else "running")
        self.call_plots("handle", event)
        if isinstance(event, RunProgress):
            best = (
                "" if event.best_so_far is None else f"best {self._metric} {event.best_so_far:.3f}"
            )
            self.status.update_progress(event, best)
        elif isinstance(event, StateChanged):
            self._on_state(event.state)

    def _on_state(self, state: str) -> None:
        if state == "idle":
            return
        self.status.set_state(state)
        paused = state == "paused"
        self.acts.pause.setText("Resume" if paused else "Pause")
        icon = "SP_MediaPlay" if paused else "SP_MediaPause"
        self.acts.pause.setIcon(
            self.style().standardIcon(getattr(self.style().StandardPixmap, icon))
        )

    def _on_failed(self, message: str, details: str) -> None:
        self._run_failed = True
        show_error(self, "The run failed", message, details)

    def _on_finished(self, summary: Any) -> None:
        self._redraw_timer.stop()
        self.redraw_plots()
        state = (
            summary.status if summary is not None else ("failed" if self._run_failed else "stopped")
        )
        self.status.run_ended(state, summary.seconds if summary is not None else None)
        self._on_state(state)
        try:
            self.session.run_ended()
            # The finished run, as stored: Export and the boundaries of stored candidates.
            if self.session.working.exists():  # (a run that failed early wrote nothing)
                self.snapshot = read_project(self.session.working)
                self._stored_data = (self.snapshot, self._run_data) if self._run_data else None
                self._show_cross_validated(self.snapshot)
        except Exception as exc:  # the run is safe in the working file; say so
            show_exception(self, "Could not read the finished run back", exc)
        if summary is not None and summary.best is not None:
            best = summary.best
            test = f" (test {best.test_metric:.3f})" if best.test_metric is not None else ""
            chosen = (
                f", chosen by cross-validation ({best.cv_metric:.3f}) among the finalists"
                if best.cv_metric is not None
                else ""
            )
            self.status.showMessage(
                f"{state.capitalize()}: {summary.candidates} networks in {summary.seconds:.0f} s;"
                f" best is candidate {best.candidate_id} with validation {self._metric} "
                f"{best.val_metric:.3f}{test}{chosen}"
            )
        self._update_actions()
        self.update_title()
        if self._quit_after_run:
            QTimer.singleShot(0, self.close)

    def _show_cross_validated(self, snapshot) -> None:
        """After the finalists' cross-validation the best may be another network than the one
        the views followed live: show the run as stored, as reopening it would."""
        if any(r.cv_metric is not None for r in snapshot.records):
            self.show_stored_run(snapshot)

    # --- closing --------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        if self.controller.is_running():
            event.ignore()
            if self._quit_after_run or prompts.ask_stop_run(self, "quit"):
                # Stop cleanly first (workers end, the file is finished), close on `finished`.
                self._quit_after_run = True
                self.controller.stop()
            return
        self._quit_after_run = False  # (a cancelled prompt below must not quit after a later run)
        if not self.confirm_discard("quit"):
            event.ignore()
            return
        self._closed = True
        save_layout(self, self.settings, self.raw_spec())
        self._redraw_timer.stop()
        self.loader.wait()  # an import in flight cannot be cancelled; it ends in seconds
        if getattr(self, "playground", None) is not None:
            self.playground.close()  # stops its training thread before the window goes
        wait_for_background(self)
        self.session.discard()
        event.accept()
