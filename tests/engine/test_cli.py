import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neurolab.cli import main
from neurolab.store import ProjectStore

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
BAD = Path(__file__).parents[1] / "data" / "bad"
GOOD = Path(__file__).parents[1] / "data" / "good"
TINY = ["--population", "4", "--generations", "2", "--seed", "1"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def finished_project(tmp_path_factory):
    path = tmp_path_factory.mktemp("kept") / "kept.nlab"
    assert main(["run", "--dataset", "xor", *TINY, "--out", str(path)]) == 0
    return path


@pytest.fixture
def existing_project(finished_project, tmp_path):
    """A project file with one finished run, which bad input must leave untouched."""
    path = tmp_path / "kept.nlab"
    shutil.copy(finished_project, path)
    return path


def test_run_json_and_show(tmp_path, capsys):
    out = tmp_path / "m.nlab"
    assert main(["run", str(EXAMPLES / "moons.toml"), *TINY, "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)  # stdout holds exactly one JSON object
    assert result["metric"] == "accuracy"
    assert result["candidates"] >= 4 and result["failed"] == 0
    assert result["best"]["val"] > 0.8 and result["best"]["params"] > 0
    assert result["project"] == str(out.resolve())
    assert "generation 2/2" in captured.err  # progress on stderr
    assert main(["show", str(out), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown.pop("study")["trials"]  # show adds the study view (tests/engine/test_insights)
    assert shown == result
    assert main(["show", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Best network" in text and "parameters" in text and str(out.resolve()) in text


def test_spec_shorthand_and_datasets(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([str(EXAMPLES / "xor.toml"), *TINY]) == 0
    assert (tmp_path / "xor.nlab").exists()
    assert main(["datasets"]) == 0
    listing = capsys.readouterr().out
    for name in (
        "moons",
        "circles",
        "spirals",
        "xor",
        "iris",
        "breast_cancer",
        "digits",
        "diabetes",
        "sine",
    ):
        assert name in listing


def test_csv_without_spec(tmp_path, capsys):
    out = tmp_path / "c.nlab"
    code = main(
        [
            "run",
            "--data",
            str(EXAMPLES / "customers.csv"),
            "--target",
            "churned",
            *TINY,
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["metric"] == "accuracy"
    assert "data: " in captured.err  # what preparation did, one line each


BAD_RUNS = [
    (["--data", "{bad}/empty.csv", "--target", "y"], "the file is empty"),
    (["--data", "{bad}/header_only.csv", "--target", "label"], "header line but no data rows"),
    (["--data", "{bad}/one_row.csv", "--target", "label"], "only 1 usable data row"),
    (["--data", "{good}/yes_no.csv", "--target", "nope"], "no column 'nope'"),
    (["--data", "{bad}/one_class.csv", "--target", "label"], "only one class"),
    (["--data", "{bad}/target_all_missing.csv", "--target", "label"], "empty in every row"),
    (["--data", "{bad}/no_features.csv", "--target", "label"], "no usable feature column"),
    (["--data", "{bad}/latin1.csv", "--target", "label"], "not UTF-8"),
    (["--data", "{bad}/ragged.csv", "--target", "label"], "has 4 fields but the header has 3"),
    (["--data", "{bad}/binary.csv", "--target", "label"], "not a text file"),
    (["--data", "{bad}/infinite.csv", "--target", "label"], "infinite values"),
    (["--data", "{tmp}/missing.csv", "--target", "y"], "not found"),
    (["--dataset", "no_such_data"], "no_such_data"),
    (["--dataset", "moons", "--population", "1"], "engine.population"),
    (["--dataset", "moons", "--device", "tpu"], "execution.device"),
    (["{tmp}/broken.toml"], "not valid TOML"),
]


@pytest.mark.parametrize(("args", "phrase"), BAD_RUNS, ids=[b[1] for b in BAD_RUNS])
def test_bad_input_exits_2_with_one_line_and_keeps_the_project(
    args, phrase, tmp_path, existing_project, capsys
):
    (tmp_path / "broken.toml").write_text("[data\n")
    before = _digest(existing_project)
    capsys.readouterr()
    args = [a.format(bad=BAD, good=GOOD, tmp=tmp_path) for a in args]
    code = main(["run", *args, "--out", str(existing_project)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert phrase.lower() in err.lower()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert _digest(existing_project) == before


def test_a_non_project_out_file_is_refused_and_kept(tmp_path, capsys):
    victim = tmp_path / "notes.nlab"
    victim.write_text("my precious notes")
    assert main(["run", "--dataset", "xor", *TINY, "--out", str(victim)]) == 2
    assert "not a NeuroLab project" in capsys.readouterr().err
    assert victim.read_text() == "my precious notes"


def test_show_refuses_a_bad_file(tmp_path, capsys):
    junk = tmp_path / "junk.nlab"
    junk.write_bytes(b"\x00\x01garbage")
    assert main(["show", str(junk)]) == 2
    assert main(["show", str(tmp_path / "none.nlab")]) == 2
    assert "no such project file" in capsys.readouterr().err


def test_ctrl_c_exits_130_and_keeps_finished_candidates(tmp_path):
    out = tmp_path / "i.nlab"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "neurolab.cli",
            "run",
            "--dataset",
            "moons",
            "--generations",
            "200",
            "--workers",
            "2",
            "--out",
            str(out),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    # Wait for the first finished generation (its line on stderr), then press Ctrl-C.
    for line in proc.stderr:
        if line.startswith("generation 1/"):
            break
    # The workers, and the fork server they come from (the run's child; they are its).
    descendants = _children(proc.pid)
    descendants += [pid for child in descendants for pid in _children(child)]
    assert len(descendants) >= 3, "the pool should have worker processes"
    proc.send_signal(signal.SIGINT)
    start = time.monotonic()
    assert proc.wait(timeout=30) == 130
    assert time.monotonic() - start < 5
    # None outlives the run for long (the fork server takes a second to exit after it).
    deadline = time.monotonic() + 10
    while [pid for pid in descendants if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in descendants if _alive(pid)]
    with ProjectStore(out, create=False) as store:
        run = store.latest_run()
        assert run.status == "interrupted"
        assert len(store.candidates(run.run_id)) >= 16


def _children(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"
