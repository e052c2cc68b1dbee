"""How an executor queues candidates and hands them to free workers; shared by the process
pool and Ray.

The same queue and number of free workers give the same shares on every backend, so a run's
candidates train in the same stacked groups (and get the same floats) wherever they run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from neurolab.data.dataset import PreparedData
from neurolab.execution.worker import CandidateTask, batchable
from neurolab.train.trainer import TrainResult


def take_shares(
    queue: deque[CandidateTask], free: int, data: PreparedData, device: str, batching: bool
) -> list[list[CandidateTask]]:
    """Work for up to `free` workers, taken off `queue`: with `batching`, the whole queue as
    stacked groups balanced by estimated cost; otherwise one candidate each. No empty shares."""
    if free < 1 or not queue:
        return []
    queued = list(queue)
    if batching and batchable(queued):
        from neurolab.train.batched import assign_to_workers

        genomes = [task.training_genome() for task in queued]  # with its epochs
        shares = assign_to_workers(
            genomes, free, data.n_features, data.n_outputs, len(data.y_train), device
        )
        queue.clear()
        return [[queued[i] for i in share] for share in shares if share]
    return [[queue.popleft()] for _ in range(min(free, len(queue)))]


class WorkQueue:
    """The candidates submitted but not yet with a worker, and those cancelled before they
    started (`cancel_all`, or `drop` one): `not_started()` gives them back as cancelled."""

    def __init__(self) -> None:
        self.tasks: deque[CandidateTask] = deque()
        self.cancelled = False
        self._dropped: list[CandidateTask] = []

    def submit(self, tasks: list[CandidateTask]) -> None:
        self.cancelled = False
        self.tasks.extend(tasks)

    def cancel_all(self) -> None:
        self.cancelled = True

    def drop(self, candidate_id: int) -> None:
        for task in list(self.tasks):
            if task.candidate_id == candidate_id:
                self.tasks.remove(task)
                self._dropped.append(task)

    def not_started(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        while self._dropped or (self.cancelled and self.tasks):
            task = self._dropped.pop() if self._dropped else self.tasks.popleft()
            yield task, TrainResult("cancelled", error="stopped before it started")
