"""Candidates trained in the calling thread: no start-up cost, no isolation.

With batching on, the whole queue trains as stacked groups (`train_population`) where the
genomes allow it; otherwise one candidate after another.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from neurolab.data.dataset import PreparedData
from neurolab.events import EventSink
from neurolab.execution.worker import CandidateTask, StopFlags, WorkerContext, batchable
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
        self._context = WorkerContext(data, device, batching)
        self._emit = emit
        self._queue: deque[CandidateTask] = deque()
        self._flags = StopFlags()

    def submit(self, tasks: list[CandidateTask]) -> None:
        self._flags.reset()
        self._queue.extend(tasks)

    def results(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        if self.batching and batchable(list(self._queue)):
            tasks = list(self._queue)
            self._queue.clear()
            yield from self._train(tasks)
        while self._queue:
            task = self._queue.popleft()
            flags = self._flags
            if flags.stopped() or flags.is_cancelled(task.candidate_id):
                yield task, TrainResult(status="cancelled", error="stopped before it started")
                continue
            yield from self._train([task])

    def _train(self, tasks: list[CandidateTask]) -> Iterator[tuple[CandidateTask, TrainResult]]:
        flags, context = self._flags, self._context
        if not context.trains_stacked(tasks):
            yield (
                tasks[0],
                context.evaluate(tasks[0], self._emit, flags.keep_going, flags.is_cancelled),
            )
            return
        results = context.evaluate_batch(tasks, self._emit, flags.keep_going, flags.is_cancelled)
        for task, result in zip(tasks, results, strict=True):
            context.send_final_boundary(task, result, self._emit)
            yield task, result

    def cancel(self, candidate_id: int | None = None) -> None:
        self._flags.cancel(candidate_id)

    def pause(self) -> None:
        self._flags.pause()

    def resume(self) -> None:
        self._flags.resume()

    def close(self) -> None:
        self._queue.clear()
