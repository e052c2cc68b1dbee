"""The run loop: spec -> search engine -> executor -> project store -> events.

Lifecycle: `Runner(spec, project_path, sinks)` then `run()` on the thread that owns the run
(the CLI's main thread, or a QThread in the GUI — never the GUI thread). `pause()`, `resume()`
and `stop()` may be called from any other thread; they take effect between epochs. The Runner
is the only writer of the project file and the only owner of the engine: every finished
candidate is committed as it finishes, so a crash loses only the candidates in flight.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from statistics import fmean

from neurolab.data import load_data
from neurolab.data.dataset import PreparedData
from neurolab.errors import ProjectFileError
from neurolab.events import (
    CandidateFinished,
    CandidateRecord,
    Event,
    EventSink,
    GenerationFinished,
    GenerationStarted,
    RunFailed,
    RunFinished,
    RunProgress,
    RunStarted,
    StateChanged,
)
from neurolab.execution import CandidateTask, Executor, make_executor
from neurolab.model import parameter_count, resolve_device
from neurolab.search import WORST_FITNESS, Evaluation, Proposal, SearchEngine, make_engine
from neurolab.spec import ExperimentSpec
from neurolab.store import ProjectStore
from neurolab.train.trainer import TrainResult

KEEP_WEIGHTS = 3  # weights of this many best candidates stay in the project file


def metric_name(task: str) -> str:
    return "accuracy" if task == "classification" else "r2"


def candidate_seed(run_seed: int, candidate_id: int) -> int:
    """Each candidate's own seed: reproducible, different per candidate."""
    return (run_seed * 1_000_003 + candidate_id * 7_919) % (2**31 - 1)


class Runner:
    """Runs one experiment into one project file, emitting events to its sinks."""

    def __init__(
        self,
        spec: ExperimentSpec,
        project: str | Path,
        sinks: list[EventSink] | tuple[EventSink, ...] = (),
        *,
        snapshots: bool = False,
        data: PreparedData | None = None,
        resume_run: int | None = None,
    ) -> None:
        self.spec, self.project = spec, Path(project)
        self.resume_run = resume_run  # continue this run of the project instead of a new one
        self.sinks = list(sinks)
        self.snapshots = snapshots  # stream decision-boundary snapshots (the GUI wants them)
        self.data = data
        self._stop = threading.Event()
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self._paused = False

    @classmethod
    def resuming(
        cls, project: str | Path, sinks: list[EventSink] | tuple[EventSink, ...] = (), **kwargs
    ) -> Runner:
        """A Runner that continues the project's latest run from its last complete step."""
        with ProjectStore(project, create=False) as store:
            run = store.latest_run()
        if run is None:
            raise ProjectFileError(f"{project}: the project holds no run to continue")
        spec = ExperimentSpec.from_dict(run.spec)
        return cls(spec, project, sinks, resume_run=run.run_id, **kwargs)

    # --- control from other threads -----------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._executor is not None:
                self._executor.cancel()
        self._emit(StateChanged("stopping"))

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._executor is not None:
                self._executor.pause()
        self._emit(StateChanged("paused"))

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._executor is not None:
                self._executor.resume()
        self._emit(StateChanged("running"))

    def _emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink(event)

    # --- the run ------------------------------------------------------------------------
    def run(self) -> RunFinished:
        """Run to the end of the budget (or `stop()`); returns the summary.

        Raises `NeuroLabError` for bad input before the project file is touched, and
        `ProjectFileError` when the file cannot be opened or written.
        """
        spec = self.spec
        if self.data is None:
            self.data = load_data(spec.data, spec.task, spec.seed)
        data = self.data
        device = str(resolve_device(spec.execution.device))
        if spec.execution.backend == "ray":
            from neurolab.execution.ray_cluster import prepare

            prepare(spec.execution)  # a wrong address fails before the file is touched
        store = ProjectStore(self.project)
        try:
            return self._run(store, data, device)
        except BaseException as exc:
            if not isinstance(exc, KeyboardInterrupt):
                self._emit(RunFailed(str(exc) or type(exc).__name__))
            raise
        finally:
            store.close()

    def _run(self, store: ProjectStore, data: PreparedData, device: str) -> RunFinished:
        spec = self.spec
        metric = metric_name(data.task)
        spec_dict = spec.model_copy(update={"task": data.task}).to_dict()
        engine = make_engine(spec)
        state = _RunState(time.monotonic(), spec.budget.generations, spec.budget.seconds)
        if self.resume_run is None:
            run_id = store.create_run(spec_dict, metric, device, data.notes)
        else:
            run_id = self.resume_run
            self._restore(store, run_id, engine, state)
        self._emit(
            RunStarted(
                run_id,
                str(self.project),
                spec_dict,
                metric,
                spec.budget.generations,
                spec.engine.population,
                device,
                tuple(data.notes),
                resumed=self.resume_run is not None,
            )
        )
        status = "interrupted"
        executor = make_executor(data, device, spec.execution, self._emit)
        with self._lock:
            self._executor = executor
            if self._paused:
                executor.pause()
        try:
            while not engine.done() and not self._stop.is_set() and not state.out_of_time():
                if not self._generation(store, run_id, engine, executor, state):
                    break
            status = "stopped" if self._stop.is_set() or state.out_of_time() else "finished"
        finally:
            with self._lock:
                self._executor = None
            executor.close()
            store.finish_run(run_id, status, state.elapsed())
        best = store.best(run_id)
        summary = RunFinished(
            run_id, status, best, state.done, state.failed, state.elapsed(), str(self.project)
        )
        self._emit(summary)
        return summary

    def _restore(
        self, store: ProjectStore, run_id: int, engine: SearchEngine, state: _RunState
    ) -> None:
        """Put engine and totals back at the run's last complete generation.

        Candidates that finished in the generation after it are kept and not trained again:
        the engine proposes the same genomes in the same order, and ids follow that order.
        """
        run = next(r for r in store.runs() if r.run_id == run_id)
        store.reopen_run(run_id)
        checkpoint = store.engine_state(run_id)
        if checkpoint is not None:
            engine.restore(checkpoint[1])
        records = store.candidates(run_id)
        state.start -= run.seconds
        state.generations_done = engine.generation
        for record in records:
            if record.generation < engine.generation:
                state.offer(record)
                state.worth_keeping(record)
                state.next_id = max(state.next_id, record.candidate_id)
            elif record.status != "cancelled":  # a cut-short candidate trains again
                state.reusable[record.candidate_id] = record

    def _generation(
        self,
        store: ProjectStore,
        run_id: int,
        engine: SearchEngine,
        executor: Executor,
        state: _RunState,
    ) -> bool:
        """Evaluate one generation; False when it was cut short (stop or time budget)."""
        generation = engine.generation
        started = time.monotonic()
        proposals = engine.ask()
        tasks = []
        for proposal in proposals:
            state.next_id += 1
            tasks.append(
                CandidateTask(
                    state.next_id,
                    generation,
                    proposal.genome.to_dict(),
                    candidate_seed(self.spec.seed, state.next_id),
                    self.spec.training.patience,
                    self.snapshots,
                )
            )
        by_id = dict(zip((t.candidate_id for t in tasks), proposals, strict=True))
        self._emit(GenerationStarted(generation, len(tasks)))
        finished = state.take_reusable(tasks)
        executor.submit([t for t in tasks if t.candidate_id not in finished])
        for task, result in executor.results():
            genome = by_id[task.candidate_id].genome
            params = parameter_count(genome, self.data.n_features, self.data.n_outputs)
            record = _record(task, by_id[task.candidate_id], result, params)
            finished[task.candidate_id] = record
            is_best = state.offer(record)
            keep = result.weights if state.worth_keeping(record) else None
            store.add_candidate(run_id, record, keep)
            self._emit(CandidateFinished(record, is_best))
            state.generation_progress = len(finished) / max(1, len(tasks))
            self._emit(state.progress(generation))
            if state.out_of_time() and not self._stop.is_set():
                executor.cancel()
        if len(finished) < len(tasks) or any(r.status == "cancelled" for r in finished.values()):
            return False  # an incomplete generation is not told to the engine
        evaluations = [
            Evaluation(by_id[t.candidate_id], t.candidate_id, _fitness(finished[t.candidate_id]))
            for t in tasks
        ]
        engine.tell(evaluations)
        stats = state.generation_stats(
            generation, list(finished.values()), time.monotonic() - started
        )
        store.add_generation(run_id, stats, engine.state())
        store.keep_weights(run_id, state.kept_ids())
        state.generation_progress = 0.0
        state.generations_done += 1
        self._emit(stats)
        return True


class _RunState:
    """Running totals of one run: counts, the best so far, the elites whose weights are kept."""

    def __init__(self, start: float, generations: int, seconds: float | None) -> None:
        self.start, self.generations, self.seconds = start, generations, seconds
        self.next_id = 0
        self.done = self.failed = 0
        self.generations_done = 0
        self.generation_progress = 0.0
        self.best: CandidateRecord | None = None
        self.top: list[CandidateRecord] = []
        self.reusable: dict[int, CandidateRecord] = {}  # finished before a resume

    def take_reusable(self, tasks: list[CandidateTask]) -> dict[int, CandidateRecord]:
        """Records of this generation that finished before the run was interrupted."""
        kept = {}
        for task in tasks:
            record = self.reusable.pop(task.candidate_id, None)
            if record is not None and record.genome == task.genome:
                self.offer(record)
                self.worth_keeping(record)
                kept[task.candidate_id] = record
        return kept

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def out_of_time(self) -> bool:
        return self.seconds is not None and self.elapsed() >= self.seconds

    def offer(self, record: CandidateRecord) -> bool:
        self.done += 1
        self.failed += record.status == "failed"
        if _fitness(record) == WORST_FITNESS:
            return False
        if self.best is None or _fitness(record) > _fitness(self.best):
            self.best = record
            return True
        return False

    def worth_keeping(self, record: CandidateRecord) -> bool:
        """Keep weights of a candidate that enters the top few; prune the rest per generation."""
        if _fitness(record) == WORST_FITNESS:
            return False
        self.top = sorted([*self.top, record], key=lambda r: (-_fitness(r), r.candidate_id))
        self.top = self.top[:KEEP_WEIGHTS]
        return record in self.top

    def kept_ids(self) -> set[int]:
        return {r.candidate_id for r in self.top}

    def progress(self, generation: int) -> RunProgress:
        elapsed = self.elapsed()
        fraction = (self.generations_done + self.generation_progress) / self.generations
        if self.seconds is not None:
            fraction = max(fraction, elapsed / self.seconds)
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        best = _fitness(self.best) if self.best else None
        return RunProgress(generation, self.generations, self.done, self.failed, elapsed, eta, best)

    def generation_stats(
        self, generation: int, records: list[CandidateRecord], seconds: float
    ) -> GenerationFinished:
        scores = [_fitness(r) for r in records if _fitness(r) != WORST_FITNESS]
        return GenerationFinished(
            generation=generation,
            best=max(scores) if scores else None,
            mean=fmean(scores) if scores else None,
            worst=min(scores) if scores else None,
            evaluated=len(records),
            failed=sum(r.status == "failed" for r in records),
            best_so_far=_fitness(self.best) if self.best else None,
            best_candidate_id=self.best.candidate_id if self.best else None,
            seconds=seconds,
        )


def _fitness(record: CandidateRecord) -> float:
    value = record.val_metric
    if record.status == "failed" or value is None or not math.isfinite(value):
        return WORST_FITNESS
    return value


def _record(
    task: CandidateTask, proposal: Proposal, result: TrainResult, params: int
) -> CandidateRecord:
    return CandidateRecord(
        candidate_id=task.candidate_id,
        generation=task.generation,
        genome=task.genome,
        status=result.status,
        val_metric=result.val_metric,
        test_metric=result.test_metric,
        train_metric=result.train_metric,
        params=params,
        epochs=result.epochs,
        seconds=result.seconds,
        train_losses=tuple(result.train_losses),
        val_losses=tuple(result.val_losses),
        parents=proposal.parents,
        origin=proposal.origin,
        error=result.error,
    )
