"""The `.nlab` file's layout: its tables, how an older file is brought up to date, and how a
candidate's row is read back (every cell checked, nothing unpickled). `ProjectStore` is the
only user."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from neurolab.events import CandidateRecord
from neurolab.store_checks import json_cell, number_cell, text_cell

SCHEMA_VERSION = 2  # 2: generations.diversity and generations.front

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    metric TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT 'cpu',
    data_notes TEXT NOT NULL DEFAULT '[]',
    started REAL NOT NULL,
    seconds REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS candidates (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    id INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    genome TEXT NOT NULL,
    parents TEXT NOT NULL DEFAULT '[]',
    origin TEXT NOT NULL DEFAULT 'random',
    status TEXT NOT NULL,
    val_metric REAL,
    test_metric REAL,
    train_metric REAL,
    params INTEGER NOT NULL,
    epochs INTEGER NOT NULL,
    seconds REAL NOT NULL,
    train_losses TEXT NOT NULL DEFAULT '[]',
    val_losses TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS generations (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    generation INTEGER NOT NULL,
    best REAL,
    mean REAL,
    worst REAL,
    evaluated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    best_so_far REAL,
    best_candidate_id INTEGER,
    seconds REAL NOT NULL,
    engine_state TEXT,
    diversity REAL,
    front TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, generation)
);
CREATE TABLE IF NOT EXISTS weights (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    candidate_id INTEGER NOT NULL,
    format TEXT NOT NULL DEFAULT 'safetensors',
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, candidate_id)
);
"""
# Added after format 1 shipped, so it is created on first write rather than by a migration
# (older files simply lack it until a run stores its preprocessing).
PREPROCESSING_TABLE = """
CREATE TABLE IF NOT EXISTS preprocessing (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    data TEXT NOT NULL
)
"""
# The finalists' cross-validated metric (`neurolab.finalists`), created on first write like
# the table above; a file without it has no cross-validated candidates.
CROSS_VALIDATION_TABLE = """
CREATE TABLE IF NOT EXISTS cross_validation (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    candidate_id INTEGER NOT NULL,
    metric REAL NOT NULL,
    folds INTEGER NOT NULL,
    PRIMARY KEY (run_id, candidate_id)
)
"""
CANDIDATE_COLUMNS = (
    "c.id, c.generation, c.genome, c.status, c.val_metric, c.test_metric, c.train_metric,"
    " c.params, c.epochs, c.seconds, c.train_losses, c.val_losses, c.parents, c.origin, c.error"
)


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a file of format `version` up to `SCHEMA_VERSION` (inside the caller's transaction)."""
    if version < 2:
        db.execute("ALTER TABLE generations ADD COLUMN diversity REAL")
        db.execute("ALTER TABLE generations ADD COLUMN front TEXT NOT NULL DEFAULT '[]'")
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes. A WAL file in a read-only folder without its `-shm`
    side file cannot be opened even so; then it is read as immutable (nothing can change it)."""
    uri = path.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, check_same_thread=False)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)


def record(row: tuple) -> CandidateRecord:
    return CandidateRecord(
        candidate_id=row[0],
        generation=row[1],
        genome=json_cell(row[2], dict),
        status=text_cell(row[3]),
        val_metric=number_cell(row[4]),
        test_metric=number_cell(row[5]),
        train_metric=number_cell(row[6]),
        params=row[7],
        epochs=row[8],
        seconds=row[9],
        train_losses=tuple(json_cell(row[10], list)),
        val_losses=tuple(json_cell(row[11], list)),
        parents=tuple(json_cell(row[12], list)),
        origin=text_cell(row[13]),
        error=None if row[14] is None else text_cell(row[14]),
        cv_metric=number_cell(row[15]),
    )
