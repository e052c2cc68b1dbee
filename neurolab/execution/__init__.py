"""Executors: where candidates train (see `base.Executor`)."""

from __future__ import annotations

from neurolab.data.dataset import PreparedData
from neurolab.events import EventSink
from neurolab.execution.base import Executor, WorkerLimits
from neurolab.execution.inline import InlineExecutor
from neurolab.execution.process_pool import ProcessPoolExecutor
from neurolab.execution.worker import CandidateTask

__all__ = [
    "CandidateTask",
    "Executor",
    "InlineExecutor",
    "ProcessPoolExecutor",
    "WorkerLimits",
    "make_executor",
]


def make_executor(
    data: PreparedData,
    device: str,
    workers: int,
    emit: EventSink,
    batching: bool = True,
    limits: WorkerLimits | None = None,
) -> Executor:
    """One worker trains inline (no start-up cost); more get a pool of spawned processes, and
    so do `limits` (only a separate process can be stopped mid-epoch or bounded in memory).

    With `batching`, candidates that allow it train as stacked groups (`train_population`).
    """
    if workers <= 1 and not (limits and limits.any):
        return InlineExecutor(data, device, emit, batching)
    return ProcessPoolExecutor(data, device, emit, max(1, workers), batching, limits)
