"""The Ray backend on a real local Ray instance (2 CPUs): same results as the local pool,
lost workers retried, cancel through `ray.cancel`. Skipped when Ray is not installed."""

from __future__ import annotations

import os
import signal

import pytest

pytest.importorskip("ray")

from neurolab.data import load_data  # noqa: E402
from neurolab.events import CandidateStarted, EpochReport  # noqa: E402
from neurolab.execution import CandidateTask  # noqa: E402
from neurolab.genome import Genome, LayerGene  # noqa: E402
from neurolab.runner import Runner  # noqa: E402
from neurolab.spec import ExperimentSpec  # noqa: E402
from neurolab.store import ProjectStore  # noqa: E402

from .conftest import tiny_spec  # noqa: E402

pytestmark = pytest.mark.usefixtures("ray_instance")
MOONS = "resources/examples/moons.toml"


def _small_moons(**overrides) -> ExperimentSpec:
    """The moons example, cut down to a few seconds of training."""
    return ExperimentSpec.from_toml(MOONS).with_overrides(
        {
            "engine.population": 6,
            "budget.generations": 2,
            "budget.seconds": None,  # a time budget would make the two runs differ
            "search_space.min_epochs": 10,
            "search_space.max_epochs": 20,
            "execution.workers": 2,
            **overrides,
        }
    )


def _candidates(path) -> dict[int, tuple]:
    with ProjectStore(path, create=False) as store:
        run = store.latest_run()
        return {
            r.candidate_id: (r.generation, r.genome, r.status, r.val_metric, r.test_metric)
            for r in store.candidates(run.run_id)
        }


def test_moons_through_ray_gives_the_pools_results(tmp_path):
    local = Runner(_small_moons(), tmp_path / "local.nlab").run()
    ray_run = Runner(_small_moons(**{"execution.backend": "ray"}), tmp_path / "ray.nlab").run()
    assert local.status == ray_run.status == "finished"
    assert ray_run.best.candidate_id == local.best.candidate_id
    assert ray_run.best.genome == local.best.genome
    assert ray_run.best.val_metric == local.best.val_metric
    assert ray_run.best.test_metric == local.best.test_metric
    # Not just the best: every candidate trained the same, in the same stacked groups.
    assert _candidates(tmp_path / "ray.nlab") == _candidates(tmp_path / "local.nlab")


def test_a_killed_ray_worker_loses_no_candidate(tmp_path):
    spec = tiny_spec(
        **{
            "execution.workers": 2,
            "execution.backend": "ray",
            "budget.generations": 2,
            "search_space.max_epochs": 25,
        }
    )
    started: dict[int, int] = {}
    seen: dict[str, object] = {}

    def kill_one_worker(event) -> None:
        if isinstance(event, CandidateStarted):
            started[event.candidate_id] = started.get(event.candidate_id, 0) + 1
        if isinstance(event, EpochReport) and "victim" not in seen:
            executor = runner._executor
            victim = next(a for a in executor._actors if a.tasks)
            seen.update(victim={t.candidate_id for t in victim.tasks}, executor=executor)
            os.kill(victim.pid, signal.SIGKILL)

    runner = Runner(spec, tmp_path / "killed.nlab", [kill_one_worker])
    summary = runner.run()
    assert summary.status == "finished" and summary.failed == 0
    records = _candidates(tmp_path / "killed.nlab")
    assert sorted(records) == list(range(1, summary.candidates + 1))
    assert all(status == "ok" for _, _, status, _, _ in records.values())
    assert {gen for gen, *_ in records.values()} == {0, 1}
    # The killed worker's candidates were trained again (and only those twice).
    assert seen["executor"].lost_workers == 1
    assert {cid for cid, n in started.items() if n > 1} == seen["victim"]


def _task(cid: int, epochs: int) -> CandidateTask:
    genome = Genome(layers=(LayerGene(8, "tanh"),), epochs=epochs)
    return CandidateTask(cid, 0, genome.to_dict(), seed=cid, patience=100_000)


def test_cancel_stops_running_candidates_through_ray():
    from neurolab.execution.ray_executor import RayExecutor

    data = load_data(tiny_spec().data, None, 0)
    holder: dict[str, RayExecutor] = {}
    cancelled: list[int | None] = []

    def emit(event) -> None:
        # One actor, three endless candidates: candidate 1's first report cancels it (running)
        # and candidate 3 (queued); candidate 2's first report then cancels everything.
        if not isinstance(event, EpochReport) or event.candidate_id in cancelled:
            return
        if event.candidate_id == 1:
            holder["executor"].cancel(1)
            holder["executor"].cancel(3)
        elif event.candidate_id == 2:
            holder["executor"].cancel()
        cancelled.append(event.candidate_id)

    executor = holder["executor"] = RayExecutor(data, "cpu", emit, workers=1, batching=False)
    try:
        executor.submit([_task(1, 10**6), _task(2, 10**6), _task(3, 10**6)])
        results = {task.candidate_id: result for task, result in executor.results()}
        assert {cid: r.status for cid, r in results.items()} == {
            1: "cancelled",
            2: "cancelled",
            3: "cancelled",
        }
        assert cancelled[:2] == [1, 2]
        assert results[3].error == "stopped before it started"
        # The actor is still there and trains the next generation.
        executor.submit([_task(4, 3), _task(5, 3)])
        assert {t.candidate_id: r.status for t, r in executor.results()} == {4: "ok", 5: "ok"}
    finally:
        executor.close()
