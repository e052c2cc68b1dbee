"""Faults inside real worker processes during a real run: the run goes on, nothing is lost.

The faults are injected by `fault_hooks/sitecustomize.py` (on PYTHONPATH of the run and of its
spawned workers), keyed by candidate seed; production code has no hooks.
"""

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


def run_with_faults(tmp_path, faults: dict[int, str], *flags: str):
    """Run SPEC through the CLI with `faults` ({candidate id: fault}); return the result and
    the stored candidates of the run by id."""
    spec = tmp_path / "faults.toml"
    spec.write_text(SPEC)
    out = tmp_path / "faults.nlab"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HOOKS), os.environ.get("PYTHONPATH", "")]),
        "NEUROLAB_TEST_FAULTS": ",".join(f"{candidate_seed(4, c)}:{f}" for c, f in faults.items()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "neurolab.cli", "run", str(spec), "--out", str(out), *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with ProjectStore(out, create=False) as store:
        assert store.latest_run().status == "finished"
        records = {r.candidate_id: r for r in store.candidates(1)}
    others = [r for cid, r in records.items() if cid not in faults]
    assert len(others) >= 6 and all(r.status == "ok" for r in others)
    return result, records


def test_a_raising_an_exiting_and_a_memory_hungry_worker_leave_the_run_alive(tmp_path):
    result, records = run_with_faults(
        tmp_path, {2: "exit", 3: "alloc", 4: "raise"}, "--memory-limit", "300"
    )
    assert "exited unexpectedly (exit code 1)" in records[2].error
    assert "RuntimeError: injected fault" in records[4].error
    # The hoarder's allocation failed at the limit (not the machine's OOM killer).
    hoarder = records[3]
    assert hoarder.error.startswith("out of memory: it needed more than the memory limit of 300")
    assert "its worker was replaced" in hoarder.error
    assert "candidate 2 failed" in result.stderr and "candidate 3 failed" in result.stderr


def test_candidates_past_the_timeout_fail_and_a_hung_worker_is_replaced(tmp_path):
    # workers = 1: a timeout still trains in a worker process (a hang cannot be cut inline).
    result, records = run_with_faults(
        tmp_path, {2: "hang", 3: "slow"}, "--workers", "1", "--candidate-timeout", "10"
    )
    hung, slow = records[2], records[3]
    assert hung.status == slow.status == "failed"
    assert "ran past the candidate timeout of 10 s and did not stop" in hung.error
    assert "killed and replaced" in hung.error
    # The slow one stopped by itself when asked, after its current epoch, keeping its curve.
    assert "ran past the candidate timeout of 10 s; stopped after" in slow.error
    assert 1 <= slow.epochs <= 6 and len(slow.train_losses) == slow.epochs
