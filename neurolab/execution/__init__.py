"""Executors: where candidates train (see `base.Executor`)."""

from __future__ import annotations

from neurolab.data.dataset import PreparedData
from neurolab.events import EventSink
from neurolab.execution.base import Executor, WorkerLimits
from neurolab.execution.inline import InlineExecutor
from neurolab.execution.process_pool import ProcessPoolExecutor, start_server
from neurolab.execution.worker import CandidateTask
from neurolab.spec import ExecutionSpec

__all__ = [
    "CandidateTask",
    "Executor",
    "InlineExecutor",
    "ProcessPoolExecutor",
    "WorkerLimits",
    "make_executor",
    "pool_size",
    "start_workers_early",
]


def pool_size(
    device: str, workers: int, candidates_per_gpu: int, gpu_count: int | None = None
) -> int:
    """How many workers train at once: `workers` on CPU; on CUDA, `candidates_per_gpu` slots
    on each GPU used (plain "cuda" uses them all, "cuda:N" just that one)."""
    if not device.startswith("cuda"):
        return workers
    if device != "cuda":
        return candidates_per_gpu
    if gpu_count is None:
        import torch

        gpu_count = torch.cuda.device_count()
    return max(1, gpu_count) * candidates_per_gpu


def _local_pool(device: str, execution: ExecutionSpec) -> tuple[int, WorkerLimits] | None:
    """(workers, limits) of the local process pool for these settings, or None where the run
    trains inline or on Ray."""
    if execution.backend == "ray":
        return None
    limits = WorkerLimits(execution.candidate_timeout, execution.memory_limit_mb)
    workers = pool_size(device, execution.workers, execution.candidates_per_gpu)
    return (workers, limits) if workers > 1 or limits.any else None


def start_workers_early(device: str, execution: ExecutionSpec, *, evaluate_only: bool) -> None:
    """Start now what `make_executor`'s pool will fork its workers from (its imports take
    seconds), so that it overlaps with loading the data; nothing where there is no pool."""
    if not evaluate_only and _local_pool(device, execution) is not None:
        start_server()


def make_executor(
    data: PreparedData,
    device: str,
    execution: ExecutionSpec,
    emit: EventSink,
    *,
    evaluate_only: bool = False,
) -> Executor:
    """Where a run's candidates train, from its `execution` settings.

    `evaluate_only` (neuroevolution) scores given weights in one forward pass, in-process.
    Backend "ray": actors on the connected cluster (`ray_cluster.prepare` first). Locally,
    one worker trains inline (no start-up cost); more get a pool of spawned processes, and so
    do limits (only a separate process can be stopped mid-epoch or bounded in memory). On CUDA
    the pool has `candidates_per_gpu` slots per GPU (`pool_size`).

    With `batching` on, candidates that allow it train as stacked groups (`train_population`).
    """
    batching = execution.batching == "auto"
    if evaluate_only:
        from neurolab.execution.population import PopulationEvaluator

        return PopulationEvaluator(data, device, emit)
    if execution.backend == "ray":
        from neurolab.execution.ray_executor import RayExecutor  # Ray is an optional extra

        return RayExecutor(
            data, device, emit, execution.workers, batching, execution.gpus_per_candidate
        )
    pool = _local_pool(device, execution)
    if pool is None:
        return InlineExecutor(data, device, emit, batching)
    workers, limits = pool
    return ProcessPoolExecutor(data, device, emit, workers, batching, limits)
