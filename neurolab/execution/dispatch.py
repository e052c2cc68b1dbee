"""How an executor queues candidates and hands them to free workers; shared by the process
pool and Ray.

With batching, the candidates of one submission (a generation) are planned into stacked groups
once (`plan_groups`), and each free worker gets one whole group, the costliest first. A worker
that finishes early takes the next group, so the workers stay busy although the cost of a group
is only an estimate (early stopping ends most networks well before their epoch count). Groups
are planned per submission, not per free worker, so a run's candidates train in the same
stacks (and get the same floats) however the timing of the workers turns out, on every backend.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from neurolab.data.dataset import PreparedData
from neurolab.execution.worker import CandidateTask, batchable
from neurolab.train.trainer import TrainResult


class WorkQueue:
    """The candidates submitted but not yet with a worker: `tasks` not yet planned, `groups`
    planned; and those cancelled before they started (`cancel_all`, or `drop` one), which
    `not_started()` gives back as cancelled."""

    def __init__(self) -> None:
        self.tasks: deque[CandidateTask] = deque()
        self.groups: deque[list[CandidateTask]] = deque()
        self.cancelled = False
        self._dropped: list[CandidateTask] = []

    def __bool__(self) -> bool:
        return bool(self.tasks or self.groups)

    def submit(self, tasks: list[CandidateTask]) -> None:
        self.cancelled = False
        self.tasks.extend(tasks)

    def requeue(self, tasks: list[CandidateTask]) -> None:
        """Tasks back from a lost worker: first in line, as one share."""
        if tasks:
            self.groups.appendleft(list(tasks))

    def cancel_all(self) -> None:
        self.cancelled = True

    def drop(self, candidate_id: int) -> None:
        for task in list(self.tasks):
            if task.candidate_id == candidate_id:
                self.tasks.remove(task)
                self._dropped.append(task)
        for group in list(self.groups):
            for task in [t for t in group if t.candidate_id == candidate_id]:
                group.remove(task)
                self._dropped.append(task)
            if not group:
                self.groups.remove(group)

    def not_started(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        while self._dropped or (self.cancelled and self):
            if self._dropped:
                task = self._dropped.pop()
            elif self.groups:
                group = self.groups[0]
                task = group.pop(0)
                if not group:
                    self.groups.popleft()
            else:
                task = self.tasks.popleft()
            yield task, TrainResult("cancelled", error="stopped before it started")

    def take(
        self, free: int, data: PreparedData, device: str, batching: bool
    ) -> list[list[CandidateTask]]:
        """Work for up to `free` workers: with `batching`, one planned group each (the unplanned
        tasks are planned first); otherwise one candidate each. No empty shares."""
        if free < 1 or not self:
            return []
        queued = list(self.tasks)
        if batching and queued and batchable(queued):
            from neurolab.train.batched import plan_groups

            genomes = [task.training_genome() for task in queued]  # with its epochs
            groups = plan_groups(
                genomes, data.n_features, data.n_outputs, len(data.y_train), device
            )
            self.tasks.clear()
            self.groups.extend([queued[i] for i in group] for group in groups)
        shares = []
        while len(shares) < free and self.groups:
            shares.append(self.groups.popleft())
        while len(shares) < free and self.tasks:
            shares.append([self.tasks.popleft()])
        return shares
