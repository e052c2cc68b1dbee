"""How an executor hands its queue to free workers; shared by the process pool and Ray.

The same queue and number of free workers give the same shares on every backend, so a run's
candidates train in the same stacked groups (and get the same floats) wherever they run.
"""

from __future__ import annotations

from collections import deque

from neurolab.data.dataset import PreparedData
from neurolab.execution.worker import CandidateTask, batchable
from neurolab.genome import Genome


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

        genomes = [Genome.from_dict(task.genome) for task in queued]
        shares = assign_to_workers(
            genomes, free, data.n_features, data.n_outputs, len(data.y_train), device
        )
        queue.clear()
        return [[queued[i] for i in share] for share in shares if share]
    return [[queue.popleft()] for _ in range(min(free, len(queue)))]
