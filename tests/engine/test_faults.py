"""Faults inside real worker processes during a real run: the run goes on, nothing is lost."""

import os
import subprocess
import sys
from pathlib import Path

from neurolab.runner import candidate_seed
from neurolab.store import ProjectStore

HOOKS = Path(__file__).parent / "fault_hooks"

SPEC = """
name = "faults"
seed = 4
[data]
name = "moons"
params = { n_samples = 300 }
[search_space]
max_layers = 2
max_width = 16
min_epochs = 10
max_epochs = 20
[engine]
population = 6
[budget]
generations = 2
[execution]
workers = 2
batching = "off"
"""


def test_a_raising_and_an_exiting_worker_leave_the_run_alive(tmp_path):
    spec = tmp_path / "faults.toml"
    spec.write_text(SPEC)
    out = tmp_path / "faults.nlab"
    faults = {2: "exit", 4: "raise"}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HOOKS), os.environ.get("PYTHONPATH", "")]),
        "NEUROLAB_TEST_FAULTS": ",".join(f"{candidate_seed(4, c)}:{f}" for c, f in faults.items()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "neurolab.cli", "run", str(spec), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with ProjectStore(out, create=False) as store:
        records = {r.candidate_id: r for r in store.candidates(1)}
        assert store.latest_run().status == "finished"
    assert "exited unexpectedly (exit code 1)" in records[2].error
    assert "RuntimeError: injected fault" in records[4].error
    others = [r for cid, r in records.items() if cid not in faults]
    assert len(others) >= 6 and all(r.status == "ok" for r in others)
    assert "candidate 2 failed" in result.stderr
