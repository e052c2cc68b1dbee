"""Scoring a generation of given weights in one batched forward pass (mode "neuroevolution").

Lifecycle as every `Executor`: `submit(tasks)` for a generation, then `results()`, which runs
one stacked forward pass over all submitted tasks (`evaluate_population`) and yields them in
order. Each task's `initial_weights` are the weights to score; nothing trains. A pass takes
milliseconds, so `cancel` and `pause` act between generations: a paused evaluator holds the
next pass until `resume` (or `cancel`). Queueing, cancelling and pausing are the inline
executor's; only `results` differs.
"""

from __future__ import annotations

from collections.abc import Iterator

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateStarted, EventSink
from neurolab.execution.inline import InlineExecutor
from neurolab.execution.worker import CandidateTask
from neurolab.genome import Genome
from neurolab.train.trainer import TrainResult


class PopulationEvaluator(InlineExecutor):
    def __init__(self, data: PreparedData, device: str, emit: EventSink) -> None:
        super().__init__(data, device, emit, batching=False)
        self.data = data

    def results(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        from neurolab.train.evaluate import evaluate_population

        tasks = list(self._queue)
        self._queue.clear()
        if not self._flags.keep_going():  # waits while paused; False once cancelled
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
