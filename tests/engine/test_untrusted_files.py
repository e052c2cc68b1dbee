"""A hostile `.nlab`: a pickle payload in every text and blob column, one column at a time.

SQLite lets any cell hold bytes, so each TEXT and BLOB column of every table gets a pickle whose
unpickling would write a marker file. Opening the project every way NeuroLab reads one
(`neurolab-run show`, `resume`, the desktop app's reader and its weights loader) must refuse
it with a one-line message or ignore it — and the marker must never appear.
"""

import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from neurolab.cli import main
from neurolab.errors import ProjectFileError

MARKER = "PAYLOAD_RAN"
TINY = ["--dataset", "xor", "--population", "4", "--generations", "2", "--seed", "1"]


class _Payload:
    def __reduce__(self):
        return (exec, (f"import pathlib; pathlib.Path({MARKER!r}).write_text('ran')",))


PAYLOAD = pickle.dumps(_Payload())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "clean.nlab"
    assert main(["run", *TINY, "--out", str(path)]) == 0
    with sqlite3.connect(path) as db:  # resumable, so `resume` reads the engine checkpoint too
        db.execute("UPDATE runs SET status='interrupted'")
    return path


def _columns(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [
            (table, column[1])
            for table in tables
            for column in db.execute(f"PRAGMA table_info({table})")
            if column[2] in ("TEXT", "BLOB") and not column[5]  # (keys name rows, not data)
        ]
    finally:
        db.close()


def _read_everything(path: Path, capsys) -> list[str]:
    """Every way NeuroLab reads a project; returns the messages of those that refused it."""
    from neurolab.ui.project_session import predict_candidate, read_project

    refusals = []
    export = ["export", str(path), "--format", "safetensors", "--out", str(path) + ".export"]
    for command in (
        ["show", str(path)],
        ["show", str(path), "--json"],
        ["resume", str(path)],
        export,
    ):
        capsys.readouterr()
        code = main(command)
        err = capsys.readouterr().err.strip()
        assert "Traceback" not in err
        assert code in (0, 2), (command, err)
        if code == 2:
            if command[0] == "show":
                assert len(err.splitlines()) == 1, err
            # `resume` may finish the run first (it needs no weights), then refuse the summary.
            refusals.append(err.splitlines()[-1])
    try:
        snapshot = read_project(path)
        if snapshot.best is not None:
            predict_candidate(path, snapshot.run, snapshot.best, None)
    except ProjectFileError as exc:
        refusals.append(str(exc))
    return refusals


def test_the_clean_project_reads_everywhere(project, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "p.nlab"
    shutil.copy(project, copy)
    assert _read_everything(copy, capsys) == []


def test_a_pickle_in_any_column_is_refused_and_never_runs(project, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the payload would write its marker
    columns = _columns(project)
    assert ("weights", "data") in columns and ("generations", "engine_state") in columns
    assert len(columns) >= 15
    for table, column in columns:
        copy = tmp_path / f"{table}.{column}.nlab"
        shutil.copy(project, copy)
        with sqlite3.connect(copy) as db:
            db.execute(f"UPDATE {table} SET {column} = ?", (sqlite3.Binary(PAYLOAD),))
        refusals = _read_everything(copy, capsys)
        assert refusals, f"{table}.{column}: a pickle there was read as if it were data"
        words = ("refused", "damaged", "not a NeuroLab project")
        assert any(w in r for r in refusals for w in words), refusals
        assert not (tmp_path / MARKER).exists(), f"{table}.{column}: the payload ran"


@pytest.mark.parametrize(
    "table, column", [("candidates", "val_metric"), ("cross_validation", "metric")]
)
def test_text_in_a_number_column_is_refused(project, tmp_path, capsys, monkeypatch, table, column):
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "p.nlab"
    shutil.copy(project, copy)
    with sqlite3.connect(copy) as db:
        db.execute(f"UPDATE {table} SET {column} = ?", (sqlite3.Binary(PAYLOAD),))
    refusals = _read_everything(copy, capsys)
    assert refusals and all("damaged" in r for r in refusals), refusals
    assert not (tmp_path / MARKER).exists()
