"""Executors: where candidates train (see `base.Executor`)."""

from __future__ import annotations

from neurolab.data.dataset import PreparedData
from neurolab.events import EventSink
from neurolab.execution.base import Executor
from neurolab.execution.inline import InlineExecutor
from neurolab.execution.process_pool import ProcessPoolExecutor
from neurolab.execution.worker import CandidateTask
from neurolab.spec import ExecutionSpec

__all__ = ["CandidateTask", "Executor", "InlineExecutor", "ProcessPoolExecutor", "make_executor"]


def make_executor(
    data: PreparedData, device: str, execution: ExecutionSpec, emit: EventSink
) -> Executor:
    """Backend "ray": actors on the connected cluster (`ray_cluster.prepare` first). Locally,
    one worker trains inline (no start-up cost); more get a pool of spawned processes.

    With `batching` on, candidates that allow it train as stacked groups (`train_population`).
    """
    batching = execution.batching == "auto"
    if execution.backend == "ray":
        from neurolab.execution.ray_executor import RayExecutor  # Ray is an optional extra

        return RayExecutor(
            data, device, emit, execution.workers, batching, execution.gpus_per_candidate
        )
    if execution.workers <= 1:
        return InlineExecutor(data, device, emit, batching)
    return ProcessPoolExecutor(data, device, emit, execution.workers, batching)
