import os
import signal
import sys
import threading
from pathlib import Path

import pytest
import torch

from neurolab.data import load_data
from neurolab.execution import CandidateTask, ProcessPoolExecutor
from neurolab.genome import Genome, LayerGene

from .conftest import tiny_spec


def _task(cid: int, epochs: int = 10, activation: str = "tanh", depth: int = 1) -> CandidateTask:
    genome = Genome(layers=(LayerGene(8, activation),) * depth, epochs=epochs)
    return CandidateTask(cid, 0, genome.to_dict(), seed=cid, patience=100_000)


def test_a_raising_and_a_killed_worker_fail_only_their_candidates():
    data = load_data(tiny_spec().data, None, 0)
    started = []
    pool = ProcessPoolExecutor(data, "cpu", started.append, workers=2, batching=False)
    processes = [w.process for w in pool._workers]
    try:
        # Candidate 1 raises inside training (unknown activation), candidate 2 trains for a
        # long time and its worker is killed; the rest must finish normally.
        pool.submit(
            [_task(1, activation="bogus"), _task(2, epochs=100_000)]
            + [_task(i) for i in range(3, 7)]
        )
        results = {}
        killed = False
        for task, result in pool.results():
            results[task.candidate_id] = result
            if not killed:
                victim = next(w for w in pool._workers if any(t.candidate_id == 2 for t in w.tasks))
                os.kill(victim.process.pid, signal.SIGKILL)
                killed = True
        assert results[1].status == "failed" and "bogus" in results[1].error
        assert results[2].status == "failed" and "SIGKILL" in results[2].error
        assert all(results[i].status == "ok" for i in range(3, 7))
        # The replaced worker takes new work.
        pool.submit([_task(7), _task(8)])
        assert {t.candidate_id: r.status for t, r in pool.results()} == {7: "ok", 8: "ok"}
    finally:
        pool.close()
    assert not any(p.is_alive() for p in processes)


def test_a_killed_worker_fails_only_its_own_batch():
    data = load_data(tiny_spec().data, None, 0)
    pool = ProcessPoolExecutor(data, "cpu", lambda event: None, workers=2, batching=True)
    try:
        # Two stacked groups (different depths): a quick one, and a long one whose worker dies.
        tasks = [_task(i, epochs=5) for i in range(1, 9)] + [
            _task(100 + i, epochs=100_000, depth=2) for i in range(4)
        ]
        pool.submit(tasks)
        results = {}
        killed: set[int] = set()
        for task, result in pool.results():
            results[task.candidate_id] = result
            if not killed:
                victim = next(
                    w for w in pool._workers if any(t.candidate_id >= 100 for t in w.tasks)
                )
                killed = {t.candidate_id for t in victim.tasks}
                os.kill(victim.process.pid, signal.SIGKILL)
        assert len(results) == len(tasks)
        assert all(results[c].status == "failed" and "SIGKILL" in results[c].error for c in killed)
        survivors = [c for c in results if c not in killed and c < 100]
        assert survivors and all(results[c].status == "ok" for c in survivors)
    finally:
        pool.close()


def test_workers_get_devices():
    from neurolab.execution.process_pool import worker_device

    assert worker_device("cpu", 3) == "cpu"
    assert worker_device("cuda:1", 5) == "cuda:1"


def test_pool_size_counts_slots_per_gpu():
    from neurolab.execution import pool_size

    assert pool_size("cpu", 3, 4) == 3  # on CPU `workers` decides
    assert pool_size("cuda", 1, 4, gpu_count=2) == 8  # every GPU gets its slots
    assert pool_size("cuda:1", 3, 2) == 2  # one named GPU
    assert pool_size("cuda", 1, 1, gpu_count=1) == 1  # one slot: trains inline


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_several_candidates_share_a_gpu(tmp_path):
    from neurolab.runner import Runner

    spec = tiny_spec().with_overrides(
        {"execution.device": "cuda:0", "execution.candidates_per_gpu": 2}
    )
    summary = Runner(spec, tmp_path / "gpu.nlab").run()
    assert summary.status == "finished" and summary.failed == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_workers_spread_over_gpus_and_train_there():
    from neurolab.execution.process_pool import worker_device

    count = torch.cuda.device_count()
    assert {worker_device("cuda", i) for i in range(2 * count)} == {
        f"cuda:{i}" for i in range(count)
    }
    data = load_data(tiny_spec().data, None, 0)
    pool = ProcessPoolExecutor(data, "cuda", lambda event: None, workers=2)
    try:
        pool.submit([_task(i) for i in range(1, 9)])
        assert all(result.status == "ok" for _, result in pool.results())
    finally:
        pool.close()


@pytest.mark.parametrize("batching", [False, True])
def test_cancel_one_candidate_leaves_the_others(batching):
    data = load_data(tiny_spec().data, None, 0)
    pool = ProcessPoolExecutor(data, "cpu", lambda event: None, workers=2, batching=batching)
    try:
        long = [_task(i, epochs=100_000) for i in (1, 2)]
        pool.submit(long + [_task(i, epochs=5) for i in range(3, 7)])
        pool.cancel(1)
        pool.cancel(6)  # may still be queued: it never starts
        results = {}
        for task, result in pool.results():
            results[task.candidate_id] = result
            if task.candidate_id not in (1, 2) and 2 not in results:
                pool.cancel(2)
        assert results[1].status == results[2].status == "cancelled"
        assert results[6].status == "cancelled"
        assert all(results[i].status == "ok" for i in (3, 4, 5))
    finally:
        pool.close()


def test_cancelling_on_every_epoch_report_never_deadlocks():
    """Past a time budget the runner cancels on every epoch report. Told again on each report of
    two 256-network stacks, a worker that stopped at the first cancel and sends its results no
    longer reads: its pipe filled with repeats while its results filled ours, both sides
    blocked in `send` (seen at population 256). A worker is told once per task."""
    from neurolab.events import EpochReport

    data = load_data(tiny_spec().data, None, 0)
    pool = ProcessPoolExecutor(
        data, "cpu", lambda event: isinstance(event, EpochReport) and pool.cancel(), workers=2
    )
    finished = []

    def collect() -> None:
        finished.extend(result for _, result in pool.results())

    collector = threading.Thread(target=collect, daemon=True)
    try:
        pool.submit([_task(i, epochs=100_000) for i in range(1, 513)])  # a stack per worker
        collector.start()
        collector.join(timeout=60)
        assert not collector.is_alive(), "deadlocked: worker and parent both blocked in send"
        assert len(finished) == 512 and {r.status for r in finished} == {"cancelled"}
    finally:
        if collector.is_alive():  # deadlocked: a killed worker's pipe breaks both sends
            for worker in pool._workers:
                worker.process.kill()
        pool.close()


def test_inline_cancel_of_one_candidate():
    from neurolab.execution import InlineExecutor

    data = load_data(tiny_spec().data, None, 0)
    inline = InlineExecutor(data, "cpu", lambda event: None, batching=False)
    inline.submit([_task(i, epochs=5) for i in range(1, 4)])
    inline.cancel(2)
    statuses = {task.candidate_id: result.status for task, result in inline.results()}
    assert statuses == {1: "ok", 2: "cancelled", 3: "ok"}


@pytest.mark.parametrize("batching", [True, False])
def test_a_lone_candidate_trains_stacked_unless_batching_is_off(batching):
    """A candidate alone in its group still trains in `train_population` (a group of one:
    ~2x faster than `train_candidate`'s loop); with batching off it trains alone."""
    from neurolab.execution import InlineExecutor
    from neurolab.train.batched import train_population
    from neurolab.train.trainer import train_candidate

    data = load_data(tiny_spec().data, None, 0)
    task = _task(1, epochs=8)
    inline = InlineExecutor(data, "cpu", lambda event: None, batching=batching)
    inline.submit([task])
    [(_, result)] = list(inline.results())
    genome = task.training_genome()
    stacked = train_population([genome], data, seeds=[1], patience=task.patience)[0]
    alone = train_candidate(genome, data, seed=1, patience=task.patience)
    assert result.status == "ok" and result.epochs == 8
    assert stacked.train_losses != alone.train_losses  # (else this test could not tell)
    expected = stacked if batching else alone
    assert result.train_losses == expected.train_losses  # bit for bit: that code path
    assert result.train_losses == pytest.approx(alone.train_losses, rel=1e-5)  # either way
    assert inline._context.trains_stacked([_task(2, activation="bogus")]) is False


def test_a_stacked_group_past_its_timeout_is_stopped_and_fails_with_the_reason():
    from neurolab.execution import WorkerLimits

    data = load_data(tiny_spec().data, None, 0)
    limits = WorkerLimits(candidate_timeout=1.0)
    pool = ProcessPoolExecutor(data, "cpu", lambda event: None, 1, True, limits)
    try:
        # A quick group finishes inside its 4 × 1 s; a 100,000-epoch group is asked to stop
        # after 3 × 1 s, stops after its current epoch (no kill), and fails with the reason.
        pool.submit([_task(i, epochs=5) for i in range(1, 5)])
        assert {r.status for _, r in pool.results()} == {"ok"}
        pool.submit([_task(10 + i, epochs=100_000, depth=2) for i in range(3)])
        results = [r for _, r in pool.results()]
        assert [r.status for r in results] == ["failed"] * 3
        assert all(
            "3 × the candidate timeout of 1 s (a stacked group of 3)" in r.error for r in results
        )
        assert all(r.error.endswith("epochs") and 0 < r.epochs < 100_000 for r in results)
        assert pool._workers[0].process.is_alive()  # stopped by asking: not killed
    finally:
        pool.close()


def _parent_pid(pid: int) -> int:
    # /proc/PID/stat: "pid (name) state ppid ..."; the name may hold spaces, so split after it.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_fork_from_one_server_that_outlives_a_pool_and_run_below_the_parent():
    # Workers come from a fork server that imported torch once, not from an interpreter of
    # their own each: a replaced worker, and the next run's pool, start without that import.
    # They train at a lower priority than the window's process.
    data = load_data(tiny_spec().data, None, 0)
    parents, niceness = [], []
    for _ in range(2):
        pool = ProcessPoolExecutor(data, "cpu", lambda event: None, workers=2, batching=False)
        try:
            pool.submit([_task(1, epochs=2), _task(2, epochs=2)])
            assert {r.status for _, r in pool.results()} == {"ok"}
            parents += [_parent_pid(w.process.pid) for w in pool._workers]
            niceness += [os.getpriority(os.PRIO_PROCESS, w.process.pid) for w in pool._workers]
        finally:
            pool.close()
    assert len(set(parents)) == 1 and parents[0] != os.getpid()
    assert all(n > os.getpriority(os.PRIO_PROCESS, 0) or n == 19 for n in niceness)
