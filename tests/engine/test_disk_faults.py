"""A full disk or a read-only project: a clear error, exit 2, nothing corrupted, nothing lost.

The full disk is SQLite's own SQLITE_FULL, triggered by a tiny `max_page_count` on the run's
connection (works anywhere) and, as root, by a real tmpfs with almost no space left.
Read-only is a read-only mount as root (root ignores file modes), file modes otherwise.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import neurolab.runner
from neurolab.cli import main
from neurolab.errors import ProjectFileError
from neurolab.events import CandidateFinished
from neurolab.runner import Runner
from neurolab.store import ProjectStore
from tests.engine.conftest import tiny_spec

TINY = ["--dataset", "xor", "--population", "4", "--generations", "2", "--seed", "1"]


def intact(path: Path) -> list[int]:
    """Ids of the stored candidates, after SQLite's own integrity check."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    with ProjectStore(path, create=False) as store:
        return [r.candidate_id for r in store.candidates(store.latest_run().run_id)]


class SmallDisk(ProjectStore):
    """The run's store, with room for only a few more pages (4 KiB each) in the file."""

    def __init__(self, path, **kwargs):
        super().__init__(path, **kwargs)
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        self._db.execute(f"PRAGMA max_page_count = {pages + 3}")


def test_a_full_disk_stops_the_run_with_a_clear_error_and_keeps_every_finished_candidate(
    tmp_path, monkeypatch
):
    path = tmp_path / "full.nlab"
    monkeypatch.setattr(neurolab.runner, "ProjectStore", SmallDisk)
    stored = []
    runner = Runner(
        tiny_spec(**{"budget.generations": 50}),
        path,
        [lambda e: stored.append(e.record.candidate_id) if isinstance(e, CandidateFinished) else 0],
    )
    with pytest.raises(ProjectFileError, match="cannot write: the disk is full") as error:
        runner.run()
    assert "everything saved before is kept" in str(error.value)
    assert len(error.value.args[0].splitlines()) == 1
    assert stored, "the disk filled before the first candidate; nothing was tested"
    assert intact(path) == stored  # every candidate reported finished is in the file
    # With room again, the run continues from there and finishes.
    monkeypatch.setattr(neurolab.runner, "ProjectStore", ProjectStore)
    resumed = Runner.resuming(path).run()
    assert resumed.status == "finished" and intact(path)[: len(stored)] == stored


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder holding a finished project, which this process cannot write to."""
    folder = tmp_path / "ro"
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)]
    if os.geteuid() == 0 and subprocess.run(mount).returncode:
        pytest.skip("root, but cannot mount a read-only file system here")
    assert main(["run", *TINY, "--out", str(folder / "p.nlab")]) == 0
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        (folder / "p.nlab").chmod(0o444)
        folder.chmod(0o555)
    yield folder
    if os.geteuid() == 0:
        subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o755)


def test_a_read_only_project_or_folder_is_refused_with_a_clear_line(read_only_folder, capsys):
    project = read_only_folder / "p.nlab"
    before = project.read_bytes()
    capsys.readouterr()
    for args in (
        ["run", *TINY, "--out", str(project)],  # a new run into the read-only file
        ["run", *TINY, "--out", str(read_only_folder / "new.nlab")],  # a new file there
    ):
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert "cannot open it for writing" in err and "read-only" in err, err
    # Reading still works: `show`, `resume` of the finished run (its summary), the app's Open.
    from neurolab.ui.project_session import read_project

    assert main(["show", str(project), "--json"]) == 0
    assert main(["resume", str(project)]) == 0 and "already finished" in capsys.readouterr().err
    assert len(read_project(project).records) == 6
    assert project.read_bytes() == before
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["p.nlab"]


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="mounting a tmpfs needs root"
)
def test_a_really_full_disk_through_the_cli(tmp_path):
    folder = tmp_path / "disk"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        free = shutil.disk_usage(folder).free
        (folder / "filler").write_bytes(b"\0" * (free - 400 * 1024))  # leave ~400 KiB
        out = folder / "p.nlab"
        result = subprocess.run(
            [sys.executable, "-m", "neurolab.cli", "run", *TINY, "--generations", "200",
             "--out", str(out)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("neurolab-run: error: ") and "the disk is full" in last
        (folder / "filler").unlink()
        assert len(intact(out)) >= 4  # at least the first generation is there, readable
    finally:
        subprocess.run(["umount", str(folder)], check=True)
