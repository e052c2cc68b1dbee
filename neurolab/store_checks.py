"""What may be in a project file, and what a failed open or write means, for `ProjectStore`.

SQLite lets any cell hold any value, so every cell NeuroLab reads is checked for the type it
writes; JSON is the only decoder (it builds plain values and never runs code). SQLite's I/O
errors become causes a user can act on (a full disk, a read-only folder).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from neurolab.errors import ProjectFileError

_SQLITE_MAGIC = b"SQLite format 3\x00"


def text_cell(value: Any) -> str:
    """A TEXT cell as written by NeuroLab; SQLite lets any cell hold bytes, so check."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def number_cell(value: Any) -> float | None:
    """A REAL cell as written by NeuroLab (or NULL): SQLite lets it hold text or bytes too."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TypeError(f"expected a number, found {type(value).__name__}")
    return value


def json_cell(value: Any, kind: type) -> Any:
    """A JSON cell (never anything that could run code: json only builds plain values)."""
    decoded = json.loads(text_cell(value))
    if not isinstance(decoded, kind):
        raise TypeError(f"expected a JSON {kind.__name__}, found {type(decoded).__name__}")
    return decoded


def remove_sidecars(path: Path) -> None:
    """Delete SQLite's side files of `path` (a stale WAL must never meet another file)."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def open_error(path: Path, exc: sqlite3.Error) -> ProjectFileError:
    reason = disk_problem(exc)
    if reason is not None:
        return ProjectFileError(f"{path}: cannot open it for writing: {reason}")
    return ProjectFileError(f"{path}: cannot be opened as a project ({exc})")


def disk_problem(exc: sqlite3.Error) -> str | None:
    """What a user can fix, in words, for SQLite's I/O errors; None for anything else."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return "the disk is full (free some space)"
    if name.startswith("SQLITE_READONLY"):
        return "the file or its folder is read-only"
    if name.startswith("SQLITE_CANTOPEN"):
        return "the file or its folder is missing or read-only"
    if name.startswith("SQLITE_IOERR"):
        return f"a disk error ({exc})"
    return None


def check_header(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ProjectFileError(f"{path}: cannot read ({exc.strerror})") from None
    if header != _SQLITE_MAGIC:
        raise ProjectFileError(f"{path}: not a NeuroLab project file (not an SQLite database)")
