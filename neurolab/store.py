"""`ProjectStore`: the `.nlab` project file, one SQLite database.

Lifecycle: `ProjectStore(path)` opens (or creates) the file and checks its schema version; the
Runner calls `create_run`, then `add_candidate` once per finished candidate (one transaction
each, so a crash loses only candidates in flight), `add_generation` after each generation and
`finish_run` at the end. Front ends read with `runs`, `candidates`, `generations`, `best`,
`preprocessing` and `load_weights`. Everything is JSON text, numbers or safetensors bytes:
nothing is unpickled.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neurolab.errors import ProjectFileError
from neurolab.events import CandidateRecord, GenerationFinished
from neurolab.store_checks import (
    check_header,
    disk_problem,
    json_cell,
    open_error,
    remove_sidecars,
    text_cell,
)
from neurolab.store_schema import (
    CANDIDATE_COLUMNS,
    CROSS_VALIDATION_TABLE,
    PREPROCESSING_TABLE,
    SCHEMA,
    SCHEMA_VERSION,
    connect_read_only,
    migrate,
    record,
)

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    spec: dict[str, Any]
    status: str  # "running" | "finished" | "stopped" | "interrupted" | "failed"
    metric: str
    device: str
    data_notes: tuple[str, ...]
    started: float
    seconds: float


class ProjectStore:
    """One open `.nlab` file. Use as a context manager, or call `close()`.

    `read_only=True` opens an existing file only to read it (`show`, the app's Open), so a
    project on a read-only disk or share can still be looked at; writes then fail cleanly.
    """

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._version = SCHEMA_VERSION  # of the open file, once checked
        exists = self.path.exists() and self.path.stat().st_size > 0
        if not exists and (read_only or not create):
            raise ProjectFileError(f"{self.path}: no such project file")
        if exists:
            check_header(self.path)
        try:
            if read_only:
                self._db = connect_read_only(self.path)
            else:
                self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        except sqlite3.DatabaseError as exc:
            raise open_error(self.path, exc) from None
        try:
            if not read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA foreign_keys=ON")
            if exists:
                self._check_version()
            else:
                self._create()
        except (sqlite3.DatabaseError, ProjectFileError) as exc:
            self._db.close()  # a refused file is not held open...
            if not exists:  # ... and one we could not set up is not left behind
                with contextlib.suppress(OSError):
                    self.path.unlink(missing_ok=True)
                    remove_sidecars(self.path)
            if isinstance(exc, ProjectFileError):
                raise
            raise open_error(self.path, exc) from None

    # --- opening ------------------------------------------------------------------------
    def _create(self) -> None:
        with self._db:
            self._db.executescript(SCHEMA)
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('application', 'neurolab')")

    def _check_version(self) -> None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None:
            raise ProjectFileError(f"{self.path}: an SQLite file, but not a NeuroLab project")
        with self._reading():
            version = int(text_cell(row[0]))
        if version > SCHEMA_VERSION:
            raise ProjectFileError(
                f"{self.path}: written by a newer NeuroLab (project format {version}, this "
                f"version reads up to {SCHEMA_VERSION}); update NeuroLab to open it"
            )
        self._version = version
        if version < SCHEMA_VERSION and not self.read_only:
            self._migrate(version)
            self._version = SCHEMA_VERSION

    def _migrate(self, version: int) -> None:
        """Bring an older project file up to this schema, in one transaction."""
        with self._transaction() as db:
            migrate(db, version)

    def close(self) -> None:
        if not self.read_only:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction; a failed write becomes a message for the user.

        SQLite rolls a failed transaction back whole, so what was committed before (every
        finished candidate) stays intact and readable.
        """
        try:
            with self._db:
                yield self._db
        except sqlite3.DatabaseError as exc:
            reason = disk_problem(exc) or str(exc)
            raise ProjectFileError(
                f"{self.path}: cannot write: {reason}; everything saved before is kept"
            ) from None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Rows that are not what NeuroLab writes (bytes where text belongs, text that is not
        JSON of the right shape: a damaged or hostile file) are refused, never interpreted."""
        try:
            yield
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ProjectFileError(
                f"{self.path}: damaged or not written by NeuroLab ({type(exc).__name__}: "
                f"{str(exc)[:80]}); refused"
            ) from None

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._transaction() as db:
            return db.execute(sql, args)

    # --- writing (the Runner only) ------------------------------------------------------
    def create_run(
        self,
        spec: dict[str, Any],
        metric: str,
        device: str,
        data_notes: list[str],
        preprocessing: dict[str, Any] | None = None,
    ) -> int:
        """A new run, with (optionally) how it turns raw feature columns into network inputs
        (fill values, categories, scaling, class names, target scaling) as JSON, so that a
        model can be exported later without the original data file. One transaction."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (spec, status, metric, device, data_notes, started)"
                " VALUES (?, 'running', ?, ?, ?, ?)",
                (json.dumps(spec), metric, device, json.dumps(data_notes), time.time()),
            )
            run_id = int(cursor.lastrowid)
            if preprocessing:
                db.execute(PREPROCESSING_TABLE)
                db.execute(
                    "INSERT OR REPLACE INTO preprocessing VALUES (?, ?)",
                    (run_id, json.dumps(preprocessing)),
                )
        return run_id

    def add_candidate(
        self, run_id: int, record: CandidateRecord, weights: bytes | None = None
    ) -> None:
        """Store a finished candidate (and optionally its weights) in one transaction."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO candidates VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    record.candidate_id,
                    record.generation,
                    json.dumps(record.genome),
                    json.dumps(list(record.parents)),
                    record.origin,
                    record.status,
                    record.val_metric,
                    record.test_metric,
                    record.train_metric,
                    record.params,
                    record.epochs,
                    record.seconds,
                    json.dumps(list(record.train_losses)),
                    json.dumps(list(record.val_losses)),
                    record.error,
                ),
            )
            if weights is not None:
                db.execute(
                    "INSERT OR REPLACE INTO weights VALUES (?, ?, 'safetensors', ?)",
                    (run_id, record.candidate_id, weights),
                )

    def keep_weights(self, run_id: int, candidate_ids: set[int]) -> None:
        """Drop stored weights of every candidate not in `candidate_ids` (the elites)."""
        ids = sorted(candidate_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        self._write(
            f"DELETE FROM weights WHERE run_id=? AND candidate_id NOT IN ({marks})",
            (run_id, *ids),
        )

    def add_generation(
        self, run_id: int, stats: GenerationFinished, engine_state: dict[str, Any] | None = None
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO generations (run_id, generation, best, mean, worst,"
            " evaluated, failed, best_so_far, best_candidate_id, seconds, engine_state,"
            " diversity, front) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                stats.generation,
                stats.best,
                stats.mean,
                stats.worst,
                stats.evaluated,
                stats.failed,
                stats.best_so_far,
                stats.best_candidate_id,
                stats.seconds,
                json.dumps(engine_state) if engine_state is not None else None,
                stats.diversity,
                json.dumps(list(stats.front)),
            ),
        )

    def reopen_run(self, run_id: int) -> None:
        """Mark an interrupted run as running again (it is being resumed)."""
        self._write("UPDATE runs SET status='running' WHERE id=?", (run_id,))

    def finish_run(self, run_id: int, status: str, seconds: float) -> None:
        self._write("UPDATE runs SET status=?, seconds=? WHERE id=?", (status, seconds, run_id))

    # --- reading ------------------------------------------------------------------------
    def runs(self) -> list[RunInfo]:
        rows = self._db.execute(
            "SELECT id, spec, status, metric, device, data_notes, started, seconds FROM runs"
            " ORDER BY id"
        ).fetchall()
        with self._reading():
            return [
                RunInfo(
                    r[0],
                    json_cell(r[1], dict),
                    text_cell(r[2]),
                    text_cell(r[3]),
                    text_cell(r[4]),
                    tuple(json_cell(r[5], list)),
                    r[6],
                    r[7],
                )
                for r in rows
            ]

    def latest_run(self) -> RunInfo | None:
        runs = self.runs()
        return runs[-1] if runs else None

    def candidates(self, run_id: int) -> list[CandidateRecord]:
        cv, joined = self._candidates_with_cv()
        rows = self._db.execute(
            f"SELECT {CANDIDATE_COLUMNS}, {cv} FROM {joined} WHERE c.run_id=? ORDER BY c.id",
            (run_id,),
        ).fetchall()
        with self._reading():
            return [record(row) for row in rows]

    def _has_cross_validation(self) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='cross_validation'"
        ).fetchone()
        return row is not None

    def _candidates_with_cv(self) -> tuple[str, str]:
        """(the cross-validated metric's column, the table to select from): the candidates,
        joined to their cross-validation where the file has that table (files before it
        do not)."""
        if not self._has_cross_validation():
            return "NULL", "candidates c"
        return "cv.metric", (
            "candidates c LEFT JOIN cross_validation cv"
            " ON cv.run_id = c.run_id AND cv.candidate_id = c.id"
        )

    def set_cross_validation(self, run_id: int, metrics: dict[int, float], folds: int) -> None:
        """The finalists' cross-validated metrics (replacing any earlier ones of the run)."""
        with self._transaction() as db:
            db.execute(CROSS_VALIDATION_TABLE)
            db.execute("DELETE FROM cross_validation WHERE run_id=?", (run_id,))
            db.executemany(
                "INSERT INTO cross_validation VALUES (?, ?, ?, ?)",
                [(run_id, cid, metric, folds) for cid, metric in metrics.items()],
            )

    def _front_columns(self) -> str:
        # A format-1 file opened read-only cannot be migrated: it has no fronts or diversity.
        return "diversity, front" if self._version >= 2 else "NULL, '[]'"

    def generations(self, run_id: int) -> list[GenerationFinished]:
        rows = self._db.execute(
            "SELECT generation, best, mean, worst, evaluated, failed, best_so_far,"
            f" best_candidate_id, seconds, {self._front_columns()} FROM generations"
            " WHERE run_id=? ORDER BY generation",
            (run_id,),
        ).fetchall()
        with self._reading():
            return [GenerationFinished(*row[:-1], tuple(json_cell(row[-1], list))) for row in rows]

    def front(self, run_id: int) -> list[CandidateRecord]:
        """The last generation's Pareto front (NSGA-II), fewest parameters first; else []."""
        row = self._db.execute(
            f"SELECT {self._front_columns()} FROM generations WHERE run_id=?"
            " ORDER BY generation DESC LIMIT 1",
            (run_id,),
        ).fetchone()
        with self._reading():
            ids = json_cell(row[1], list) if row else []
        by_id = {r.candidate_id: r for r in self.candidates(run_id)} if ids else {}
        return [by_id[i] for i in ids if i in by_id]

    def engine_state(self, run_id: int) -> tuple[int, dict[str, Any]] | None:
        """The engine checkpoint of the last finished generation, for resuming."""
        row = self._db.execute(
            "SELECT generation, engine_state FROM generations WHERE run_id=? AND engine_state"
            " IS NOT NULL ORDER BY generation DESC LIMIT 1",
            (run_id,),
        ).fetchone()
        with self._reading():
            return (row[0], json_cell(row[1], dict)) if row else None

    def best(self, run_id: int) -> CandidateRecord | None:
        """The cross-validated finalist with the highest metric, if the run has finalists;
        else the finished candidate with the highest validation metric. Ties go to the fewest
        parameters, then the earliest (`neurolab.ranking.rank`, by which the runner decides live).

        Pruned candidates do not compete (as in Optuna: only complete trials are best)."""
        cv, joined = self._candidates_with_cv()
        row = self._db.execute(
            f"SELECT {CANDIDATE_COLUMNS}, {cv} FROM {joined}"
            " WHERE c.run_id=? AND c.val_metric IS NOT NULL"
            " AND c.status NOT IN ('failed', 'pruned')"
            f" ORDER BY {cv} IS NULL, {cv} DESC, c.val_metric DESC, c.params ASC, c.id ASC"
            " LIMIT 1",
            (run_id,),
        ).fetchone()
        with self._reading():
            return record(row) if row else None

    def preprocessing(self, run_id: int) -> dict[str, Any] | None:
        """The run's stored preprocessing, or None (a file written before it was stored)."""
        try:
            row = self._db.execute(
                "SELECT data FROM preprocessing WHERE run_id=?", (run_id,)
            ).fetchone()
        except sqlite3.OperationalError:  # no such table: an older file
            return None
        with self._reading():
            return json_cell(row[0], dict) if row else None

    def load_weights(self, run_id: int, candidate_id: int) -> dict[str, torch.Tensor] | None:
        row = self._db.execute(
            "SELECT format, data FROM weights WHERE run_id=? AND candidate_id=?",
            (run_id, candidate_id),
        ).fetchone()
        if row is None:
            return None
        from safetensors.torch import load as safetensors_load  # torch only when needed

        if row[0] != "safetensors":
            shown = repr(row[0])[:40] if isinstance(row[0], str) else "(not text)"
            raise ProjectFileError(f"{self.path}: weights in unknown format {shown} refused")
        try:
            return safetensors_load(bytes(row[1]))
        except Exception as exc:  # malformed bytes from a damaged or hostile file
            raise ProjectFileError(f"{self.path}: stored weights are damaged ({exc})") from None
