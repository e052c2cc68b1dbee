"""Candidates trained in the calling thread: no start-up cost, no isolation.

With batching on, the whole queue trains as stacked groups (`train_population`) where the
genomes allow it; otherwise one candidate after another.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator

from neurolab.data.dataset import PreparedData
from neurolab.events import EventSink
from neurolab.execution.worker import CandidateTask, WorkerContext, batchable
from neurolab.train.trainer import TrainResult


class InlineExecutor:
    def __init__(
        self, data: PreparedData, device: str, emit: EventSink, batching: bool = True
    ) -> None:
        import torch

        # Small networks gain nothing from intra-op threads and lose a lot when the cores are
        # busy; one thread also makes inline results match a pool worker's bit for bit.
        torch.set_num_threads(1)
        self.device = device
        self.batching = batching
        self._context = WorkerContext(data, device)
        self._emit = emit
        self._queue: deque[CandidateTask] = deque()
        self._cancelled = threading.Event()  # everything
        self._cancelled_ids: set[int] = set()  # single candidates
        self._running = threading.Event()
        self._running.set()

    def submit(self, tasks: list[CandidateTask]) -> None:
        self._cancelled.clear()
        self._cancelled_ids.clear()
        self._queue.extend(tasks)

    def _keep_going(self) -> bool:
        # Pausing blocks between epochs; cancel also releases a pause.
        while not self._running.wait(0.1):
            if self._cancelled.is_set():
                break
        return not self._cancelled.is_set()

    def results(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        if self.batching and batchable(list(self._queue)):
            tasks = list(self._queue)
            self._queue.clear()
            results = self._context.evaluate_batch(
                tasks, self._emit, self._keep_going, self._cancelled_ids.__contains__
            )
            for task, result in zip(tasks, results, strict=True):
                self._context.send_final_boundary(task, result, self._emit)
                yield task, result
        while self._queue:
            task = self._queue.popleft()
            if self._cancelled.is_set() or task.candidate_id in self._cancelled_ids:
                yield task, TrainResult(status="cancelled", error="stopped before it started")
                continue
            yield (
                task,
                self._context.evaluate(
                    task, self._emit, self._keep_going, self._cancelled_ids.__contains__
                ),
            )

    def cancel(self, candidate_id: int | None = None) -> None:
        if candidate_id is None:
            self._cancelled.set()
        else:
            self._cancelled_ids.add(candidate_id)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def close(self) -> None:
        self._queue.clear()
