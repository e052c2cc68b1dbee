"""Which project file the window works on, and reading a finished run back from it.

Lifecycle: a new experiment works in a temporary project file (in its own temp dir) from the
moment a run starts, because the Runner commits every finished candidate as it goes — a crash
loses nothing. "Save As" copies that file with SQLite's backup API (safe while the Runner
writes) and from then on the window works in the saved file; a copy made during a run is
refreshed when the run ends. An opened project is worked in directly: it is never "unsaved".
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the store pulls in numpy; the window shows before it is imported
    from neurolab.data.dataset import PreparedData
    from neurolab.events import CandidateRecord, GenerationFinished
    from neurolab.store import RunInfo

UNTITLED = "untitled.nlab"


class ProjectSession:
    """The user's project file (`path`, None until saved) and the file runs write (`working`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._temp_dir: Path | None = None
        if path is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="neurolab-"))
        self.working = path if path is not None else self._temp_dir / UNTITLED
        self._sync_after_run = False

    @property
    def is_temporary(self) -> bool:
        return self.path is None or self.working != self.path

    @property
    def name(self) -> str:
        return self.path.name if self.path else UNTITLED

    def has_unsaved_results(self) -> bool:
        """Runs exist only in the temporary file (the user has not chosen a file yet)."""
        return self.path is None and self.working.exists()

    def save_as(self, target: Path, running: bool) -> None:
        """Copy the working file to `target` and work there from now on (after a run: now)."""
        target = target.resolve()
        if target != self.working.resolve():
            if self.working.exists():
                copy_project(self.working, target)
            else:
                from neurolab.store import ProjectStore
                from neurolab.store_checks import remove_sidecars

                remove_sidecars(target)
                target.unlink(missing_ok=True)
                ProjectStore(target, create=True).close()  # an empty project, runs follow
        self.path = target
        if running and self.working != target:
            self._sync_after_run = True  # the run goes on writing the temporary file
        else:
            self.working = target

    def run_ended(self) -> None:
        """Bring a copy saved during the run up to date, then work in it."""
        if self._sync_after_run and self.path is not None:
            self._sync_after_run = False
            copy_project(self.working, self.path)
            self.working = self.path

    def discard(self) -> None:
        """Delete the temporary file (the user chose not to save it, or saved it elsewhere)."""
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None


def copy_project(source: Path, target: Path) -> None:
    """A consistent copy of a project that may be open for writing, replacing `target` whole.

    Uses SQLite's online backup (never a plain file copy, which can catch a half-written WAL);
    writes next to the target and renames, so a failed save leaves the old file as it was.
    """
    from neurolab.errors import ProjectFileError
    from neurolab.store_checks import remove_sidecars

    partial = target.with_name(target.name + ".saving")
    try:
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(source)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file on disk
        finally:
            dst.close()
            src.close()
        remove_sidecars(target)  # a stale WAL of the old file must not meet the new one
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise ProjectFileError(f"{target}: cannot save the project here ({exc})") from None


@dataclass
class ProjectSnapshot:
    """The latest run of a project file, as stored: what the window shows after Open."""

    path: Path
    run: RunInfo | None
    records: list[CandidateRecord] = field(default_factory=list)
    generations: list[GenerationFinished] = field(default_factory=list)

    @property
    def best(self) -> CandidateRecord | None:
        """Ranked as the runner and the plots rank (`neurolab.ranking.rank`)."""
        from neurolab.ui.plots.common import best_record

        return best_record(self.records)

    @property
    def interrupted(self) -> bool:
        return self.run is not None and self.run.status in ("running", "interrupted")


def read_project(path: Path) -> ProjectSnapshot:
    """Read the latest run (fast: plain SQLite rows). Raises `ProjectFileError` for bad files."""
    from neurolab.store import ProjectStore

    with ProjectStore(path, read_only=True) as store:
        run = store.latest_run()
        if run is None:
            return ProjectSnapshot(path, None)
        return ProjectSnapshot(
            path, run, store.candidates(run.run_id), store.generations(run.run_id)
        )


@dataclass(frozen=True)
class Prediction:
    data: PreparedData
    candidate_id: int
    values: Any  # np.ndarray, or None when the candidate's weights were not kept


def predict_candidate(
    project: Path, run: RunInfo, record: CandidateRecord, data: PreparedData | None = None
) -> Prediction:
    """A stored candidate's boundary on the plot grid, from its saved weights (off the GUI
    thread: it imports torch and prepares the data again from the run's spec)."""
    from neurolab.data import load_data
    from neurolab.genome import Genome
    from neurolab.model import build_model
    from neurolab.spec import ExperimentSpec
    from neurolab.store import ProjectStore
    from neurolab.train.boundary import BoundaryGrid

    if data is None:
        spec = ExperimentSpec.from_dict(run.spec)
        data = load_data(spec.data, spec.task, spec.seed)
    with ProjectStore(project, read_only=True) as store:
        weights = store.load_weights(run.run_id, record.candidate_id)
    grid = BoundaryGrid.from_data(data)
    if weights is None or grid is None:
        return Prediction(data, record.candidate_id, None)
    model = build_model(Genome.from_dict(record.genome), data.n_features, data.n_outputs)
    model.load_state_dict(weights)
    return Prediction(data, record.candidate_id, grid.predict(model, data.task))
