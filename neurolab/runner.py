"""The run loop: spec -> search engine -> executor -> project store -> events.

Lifecycle: `Runner(spec, project_path, sinks)` then `run()` on the thread that owns the run
(the CLI's main thread, or a QThread in the GUI — never the GUI thread). `pause()`, `resume()`
and `stop()` may be called from any other thread; they take effect between epochs. The Runner
is the only writer of the project file and the only owner of the engine: every finished
candidate is committed as it finishes, so a crash loses only the candidates in flight.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from neurolab import finalists
from neurolab.data import load_data
from neurolab.data.dataset import PreparedData
from neurolab.errors import ProjectFileError
from neurolab.events import (
    CandidateFinished,
    CandidateRecord,
    EpochReport,
    Event,
    EventSink,
    FinalistsScored,
    GenerationStarted,
    RunFailed,
    RunFinished,
    RunStarted,
    StateChanged,
)
from neurolab.execution import CandidateTask, Executor, make_executor, start_workers_early
from neurolab.genome import Genome
from neurolab.model import parameter_count, resolve_device
from neurolab.pruning import GenerationPruning
from neurolab.run_state import KEEP_WEIGHTS, RunState, fitness
from neurolab.search import WORST_FITNESS, Evaluation, Proposal, SearchEngine, make_engine
from neurolab.spec import ExperimentSpec
from neurolab.store import ProjectStore
from neurolab.train.trainer import TrainResult


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
        self._pruning: GenerationPruning | None = None  # the generation in flight, if it prunes
        self._state: RunState | None = None

    @classmethod
    def resuming(
        cls, project: str | Path, sinks: list[EventSink] | tuple[EventSink, ...] = (), **kwargs
    ) -> Runner:
        """A Runner that continues the project's latest run from its last complete step."""
        with ProjectStore(project, create=False) as store:
            run = store.latest_run()
            if run is None:
                raise ProjectFileError(f"{project}: the project holds no run to continue")
            # Read what resuming needs now: a damaged file is refused before any work starts.
            store.engine_state(run.run_id)
            store.candidates(run.run_id)
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

    def _on_executor_event(self, event: Event) -> None:
        """Streamed by the executor on the Runner's thread: epoch reports feed the pruner, and
        end the time budget even while a stacked group (one long result) is still training."""
        if isinstance(event, EpochReport):
            if self._pruning is not None:
                self._pruning.on_report(event)
            state, executor = self._state, self._executor
            if state is not None and executor is not None and state.out_of_time():
                executor.cancel()
        self._emit(event)

    # --- the run ------------------------------------------------------------------------
    def run(self) -> RunFinished:
        """Run to the end of the budget (or `stop()`); returns the summary.

        Raises `NeuroLabError` for bad input before the project file is touched, and
        `ProjectFileError` when the file cannot be opened or written.
        """
        spec = self.spec
        device = str(resolve_device(spec.execution.device))
        # The workers' imports overlap with loading the data.
        start_workers_early(device, spec.execution, evaluate_only=spec.mode == "neuroevolution")
        if self.data is None:
            self.data = load_data(spec.data, spec.task, spec.seed)
        data = self.data
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
        engine = make_engine(spec, data.n_features, data.n_outputs)
        finals = finalists.wanted(data, spec.mode, spec.training.finalists)
        n_finalists = spec.training.finalists if finals else 0
        state = RunState(
            time.monotonic(),
            spec.budget.generations,
            spec.budget.seconds,
            keep=max(KEEP_WEIGHTS, n_finalists),
            finalists=n_finalists,
            fold_cost=finalists.fold_cost(data, spec.training.cv_folds),
        )
        self._state = state
        if self.resume_run is None:
            run_id = store.create_run(spec_dict, metric, device, data.notes, data.preprocessing)
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
        executor = make_executor(
            data,
            device,
            spec.execution,
            self._on_executor_event,
            evaluate_only=spec.mode == "neuroevolution",
        )
        with self._lock:
            self._executor = executor
            if self._paused:
                executor.pause()
        ended = False
        try:
            while not engine.done() and not self._stop.is_set() and state.room_for_a_generation():
                if not self._generation(store, run_id, engine, executor, state):
                    break
            status = "finished" if engine.done() and not self._stop.is_set() else "stopped"
            ended = True
        finally:
            with self._lock:
                self._executor = None
            executor.close()
            try:
                if ended and finals and not self._stop.is_set():
                    self._cross_validate(store, run_id, data, device, state)
                store.finish_run(run_id, status, state.elapsed())
            except ProjectFileError:
                if ended:  # else the file's first error (a full disk, say) is the one to show
                    raise
        best = store.best(run_id)
        summary = RunFinished(
            run_id, status, best, state.done, state.failed, state.elapsed(), str(self.project)
        )
        self._emit(summary)
        return summary

    def _cross_validate(
        self, store: ProjectStore, run_id: int, data: PreparedData, device: str, state: RunState
    ) -> None:
        """Choose the run's best among its finalists by cross-validation (`neurolab.finalists`),
        within what is left of the time budget; the validation metric stands where it fails."""
        spec = self.spec
        top = state.top[: spec.training.finalists]
        if len(top) < 2:
            return
        seeds = [candidate_seed(spec.seed, r.candidate_id) for r in top]
        self._emit(StateChanged("cross-validating"))

        def keep_going() -> bool:  # asked between epochs: where a pause holds, as in training
            while self._paused and not self._stop.is_set():
                time.sleep(0.05)
            return not self._stop.is_set() and state.budget_left()

        try:
            scores, folds = finalists.cross_validate(
                top,
                seeds,
                data,
                folds=spec.training.cv_folds,
                seed=spec.seed,
                patience=spec.training.patience,
                device=device,
                keep_going=keep_going,
            )
        except Exception as exc:  # a finished search must not be lost to its last step
            self._emit(FinalistsScored((), 0, f"cross-validation failed: {exc}"))
            return
        if not folds:
            why = "stopped" if self._stop.is_set() else "no time was left to cross-validate"
            self._emit(FinalistsScored((), 0, why))
            return
        if not scores:
            self._emit(FinalistsScored((), 0, "every finalist failed on its folds"))
            return
        store.set_cross_validation(run_id, scores, folds)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        self._emit(FinalistsScored(tuple(ranked), folds))

    def _restore(
        self, store: ProjectStore, run_id: int, engine: SearchEngine, state: RunState
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
        state: RunState,
    ) -> bool:
        """Evaluate one generation; False when it was cut short (stop or time budget)."""
        generation = engine.generation
        started = time.monotonic()
        proposals = engine.ask()
        state.ask_seconds = time.monotonic() - started
        tasks = []
        for proposal in proposals:
            state.next_id += 1
            seed = candidate_seed(self.spec.seed, state.next_id)
            start = self._inherited(store, run_id, state, proposal, seed)
            tasks.append(
                CandidateTask(
                    state.next_id,
                    generation,
                    proposal.genome.to_dict(),
                    seed,
                    self.spec.training.patience,
                    self.snapshots,
                    initial_weights=start or proposal.weights,
                    epochs=self.spec.training.inherit_epochs if start is not None else None,
                )
            )
        by_id = dict(zip((t.candidate_id for t in tasks), proposals, strict=True))
        self._emit(GenerationStarted(generation, len(tasks)))
        pruning = None
        if getattr(engine, "prunes", lambda: False)():
            positions = {t.candidate_id: i for i, t in enumerate(tasks)}
            pruning = GenerationPruning(engine, executor, positions)  # type: ignore[arg-type]
        finished = state.take_reusable(tasks)
        if pruning is not None:  # candidates kept from before a resume: the engine sees them again
            for record in finished.values():
                pruning.on_curve(record.candidate_id, record.val_losses)
        self._pruning = pruning
        executor.submit([t for t in tasks if t.candidate_id not in finished])
        try:
            self._collect(store, run_id, executor, state, generation, tasks, by_id, finished)
        finally:
            self._pruning = None
        if len(finished) < len(tasks) or any(r.status == "cancelled" for r in finished.values()):
            return False  # an incomplete generation is not told to the engine
        evaluations = [
            _evaluation(by_id[t.candidate_id], finished[t.candidate_id], self.spec) for t in tasks
        ]
        engine.tell(evaluations)
        seconds = time.monotonic() - started
        stats = state.generation_stats(generation, list(finished.values()), seconds)
        diversity = engine.diversity() if hasattr(engine, "diversity") else None
        front = tuple(engine.front()) if hasattr(engine, "front") else ()
        stats = replace(stats, diversity=diversity, front=front)
        store.add_generation(run_id, stats, engine.state())
        keep = state.kept_ids()
        if self.spec.mode == "inherit" and hasattr(engine, "population_ids"):
            keep |= engine.population_ids()
        store.keep_weights(run_id, keep)
        state.generation_ended()
        self._emit(stats)
        return True

    def _inherited(
        self, store: ProjectStore, run_id: int, state: RunState, proposal: Proposal, seed: int
    ) -> bytes | None:
        """Mode "inherit": the child's starting weights carried from its parents, or None."""
        if self.spec.mode != "inherit" or not any(s is not None for s in proposal.sources):
            return None
        from neurolab.inherit import starting_weights

        def load_parent(candidate_id: int):
            genome = state.genomes.get(candidate_id)
            weights = store.load_weights(run_id, candidate_id) if genome else None
            return (Genome.from_dict(genome), weights) if weights else None

        data = self.data
        return starting_weights(
            proposal.genome, proposal.sources, load_parent, data.n_features, data.n_outputs, seed
        )

    def _collect(
        self,
        store: ProjectStore,
        run_id: int,
        executor: Executor,
        state: RunState,
        generation: int,
        tasks: list[CandidateTask],
        by_id: dict[int, Proposal],
        finished: dict[int, CandidateRecord],
    ) -> None:
        """Store each candidate of the generation as it finishes (pruned ones as pruned)."""
        for task, result in executor.results():
            genome = by_id[task.candidate_id].genome
            params = parameter_count(genome, self.data.n_features, self.data.n_outputs)
            record = _record(task, by_id[task.candidate_id], result, params)
            pruned_at = None
            if self._pruning is not None and result.status != "failed":
                pruned_at = self._pruning.on_curve(task.candidate_id, result.val_losses)
            if pruned_at is not None:
                record = replace(record, status="pruned", error=f"pruned at epoch {pruned_at}")
            finished[task.candidate_id] = record
            is_best = state.offer(record)
            # Mode "inherit" keeps everyone's weights until the next generation has drawn on them.
            worth = state.worth_keeping(record)
            keep = result.weights if worth or self.spec.mode == "inherit" else None
            store.add_candidate(run_id, record, keep)
            self._emit(CandidateFinished(record, is_best))
            state.generation_progress = len(finished) / max(1, len(tasks))
            self._emit(state.progress(generation))
            if state.out_of_time() and not self._stop.is_set():
                executor.cancel()


def _evaluation(proposal: Proposal, record: CandidateRecord, spec: ExperimentSpec) -> Evaluation:
    """What the engine is told: its fitness (higher is better) and every objective.

    Neuroevolution selects on the training loss (smooth, where accuracy moves in steps);
    the validation metric still picks the run's best. NSGA-II's second objective is the
    parameter count (to minimise).
    """
    score = fitness(record)
    if spec.mode == "neuroevolution":
        score = -record.train_losses[-1] if score != WORST_FITNESS else WORST_FITNESS
    objectives = (score, float(record.params))[: len(spec.engine.objectives)]
    pruned = record.status == "pruned"
    return Evaluation(proposal, record.candidate_id, score, objectives, pruned)


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
