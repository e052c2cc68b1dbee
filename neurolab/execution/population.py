"""Scoring a generation of given weights in one batched forward pass (mode "neuroevolution").

Lifecycle as every `Executor`: `submit(tasks)` for a generation, then `results()`, which runs
one stacked forward pass over all submitted tasks (`evaluate_population`) and yields them in
order. Each task's `initial_weights` are the weights to score; nothing trains. A pass takes
milliseconds, so `cancel` and `pause` act between generations: a paused evaluator holds the
next pass until `resume` (or `cancel`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateStarted, EventSink
from neurolab.execution.worker import CandidateTask
from neurolab.genome import Genome
from neurolab.train.trainer import TrainResult


class PopulationEvaluator:
    def __init__(self, data: PreparedData, device: str, emit: EventSink) -> None:
        import torch

        torch.set_num_threads(1)  # as the inline executor: same numbers as a pool worker's
        self.data, self.device, self._emit = data, device, emit
        self._queue: list[CandidateTask] = []
        self._cancelled = False
        self._running = threading.Event()
        self._running.set()

    def submit(self, tasks: list[CandidateTask]) -> None:
        self._cancelled = False
        self._queue.extend(tasks)

    def results(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        from neurolab.train.evaluate import evaluate_population

        tasks, self._queue = self._queue, []
        while not self._running.wait(0.1) and not self._cancelled:
            pass
        if self._cancelled:
            for task in tasks:
                yield task, TrainResult(status="cancelled", error="stopped before it started")
            return
        for task in tasks:
            self._emit(CandidateStarted(task.candidate_id, task.generation, task.genome))
        genomes = [Genome.from_dict(task.genome) for task in tasks]
        states = [task.initial_state() for task in tasks]
        results = evaluate_population(genomes, states, self.data, self.device)
        for task, result in zip(tasks, results, strict=True):
            if result.status == "ok":
                result.weights = task.initial_weights  # the weights scored are the chromosome
            yield task, result

    def cancel(self, candidate_id: int | None = None) -> None:
        if candidate_id is None:
            self._cancelled = True

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def close(self) -> None:
        self._queue.clear()
