"""A run killed with SIGKILL at any point and resumed ends exactly like an uninterrupted one.

A generation of 5 trains as one stack, so its candidates land in the file together: the kill
points fall after 1 or 2 finished generations, while the next one trains.
"""

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from neurolab.cli import main
from neurolab.store import ProjectStore

ARGS = ["--dataset", "moons", "--population", "5", "--generations", "5", "--seed", "3"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    path = tmp_path_factory.mktemp("full") / "full.nlab"
    assert main(["run", *ARGS, "--out", str(path)]) == 0
    with ProjectStore(path, create=False) as store:
        records = [
            (r.candidate_id, r.genome, r.val_metric, r.test_metric) for r in store.candidates(1)
        ]
        best = store.best(1)
    return records, (best.candidate_id, best.val_metric, best.cv_metric)


def _finished(path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM candidates").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill_after", [2, 5, 8])
def test_killed_and_resumed_equals_uninterrupted(kill_after, uninterrupted, tmp_path, capsys):
    path = tmp_path / "cut.nlab"
    proc = subprocess.Popen(
        [sys.executable, "-m", "neurolab.cli", "run", *ARGS, "--out", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _finished(path) < kill_after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    uninterrupted, uninterrupted_best = uninterrupted
    assert _finished(path) < len(uninterrupted), "killed too late to test anything"
    capsys.readouterr()
    assert main(["resume", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    with ProjectStore(path, create=False) as store:
        resumed = [
            (r.candidate_id, r.genome, r.val_metric, r.test_metric) for r in store.candidates(1)
        ]
        assert store.latest_run().status == "finished"
    assert resumed == uninterrupted
    # The same finalists, cross-validated alike, choose the same best.
    best = summary["best"]
    assert (best["id"], best["val"], best["cv"]) == uninterrupted_best


def test_resume_of_a_finished_run_prints_its_summary(tmp_path, capsys):
    path = tmp_path / "done.nlab"
    assert main(["run", *ARGS, "--generations", "1", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["resume", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert "already finished" in captured.err
    assert json.loads(captured.out)["candidates"] == 5
