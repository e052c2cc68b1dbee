"""What a worker does with one candidate: train it and stream progress as events.

Shared by every executor, so a candidate trains the same way inline, in a process pool or
(later) on a cluster. Only plain data comes in (`CandidateTask`, `PreparedData`) and goes out
(events, `TrainResult`).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from safetensors.torch import load as safetensors_load

from neurolab.data.dataset import PreparedData
from neurolab.events import BoundarySnapshot, CandidateStarted, EpochReport, Event
from neurolab.genome import Genome
from neurolab.model import build_model
from neurolab.train.boundary import BoundaryGrid
from neurolab.train.trainer import TrainResult, train_candidate

# At most this many progress messages per second per worker (the GUI redraws at ~15 Hz anyway).
PROGRESS_INTERVAL = 0.05
SNAPSHOT_INTERVAL = 0.25
OUT_OF_MEMORY = "out of memory"  # how a failed allocation's reason starts


@dataclass(frozen=True)
class CandidateTask:
    candidate_id: int
    generation: int
    genome: dict[str, Any]
    seed: int
    patience: int
    snapshots: bool = False  # stream decision-boundary snapshots while it trains
    # Mode "inherit": safetensors bytes of the starting weights carried from the parents, and
    # the (shorter) number of epochs to train from them instead of the genome's.
    initial_weights: bytes | None = None
    epochs: int | None = None

    def training_genome(self) -> Genome:
        genome = Genome.from_dict(self.genome)
        return genome if self.epochs is None else replace(genome, epochs=self.epochs)

    def initial_state(self):
        return None if self.initial_weights is None else safetensors_load(self.initial_weights)


class StopFlags:
    """Cooperative control of candidates training in this process: `cancel()` stops all after
    their current epoch, `cancel(id)` one, `pause()` holds them between epochs. Thread-safe:
    the training thread reads, another thread (a GUI, a Ray actor call) sets."""

    def __init__(self) -> None:
        self._all = threading.Event()
        self._ids: set[int] = set()
        self._running = threading.Event()
        self._running.set()

    def reset(self) -> None:
        """A new set of candidates (a pause stays)."""
        self._all.clear()
        self._ids.clear()

    def cancel(self, candidate_id: int | None = None) -> None:
        if candidate_id is None:
            self._all.set()
        else:
            self._ids.add(candidate_id)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stopped(self) -> bool:
        return self._all.is_set()

    def is_cancelled(self, candidate_id: int) -> bool:
        return candidate_id in self._ids

    def keep_going(self, stop_also: Callable[[], bool] = lambda: False) -> bool:
        """Between epochs: blocks while paused (cancel releases it); False = stop everything."""
        while not self._running.wait(0.1):
            if self._all.is_set() or stop_also():
                break
        return not (self._all.is_set() or stop_also())


def batchable(tasks: list[CandidateTask]) -> bool:
    """Whether these tasks gain from training as stacked groups (and can: same patience)."""
    if len(tasks) < 2 or len({task.patience for task in tasks}) != 1:
        return False
    from neurolab.train.batched import can_batch

    return can_batch([Genome.from_dict(task.genome) for task in tasks])


class WorkerContext:
    """Per-worker state kept for the whole run: the data and its plot grid, built once.
    `batching` False (the spec's `batching = "off"`) trains every candidate on its own."""

    def __init__(self, data: PreparedData, device: str, batching: bool = True) -> None:
        self.data, self.device, self.batching = data, device, batching
        self._grid: BoundaryGrid | None | bool = False  # False = not computed yet

    def trains_stacked(self, tasks: list[CandidateTask]) -> bool:
        """`evaluate_batch` for a planned group, and for a lone candidate too where batching
        is on: even one network trains ~2x faster there than in `train_candidate`'s loop (no
        autograd, no `torch.optim`, whose first use also imports torch._dynamo: ~1 s)."""
        if len(tasks) > 1:
            return True
        from neurolab.train.batched_plan import supported

        return self.batching and supported(tasks[0].training_genome())

    @property
    def grid(self) -> BoundaryGrid | None:
        if self._grid is False:
            self._grid = BoundaryGrid.from_data(self.data)
        return self._grid  # type: ignore[return-value]

    def evaluate(
        self,
        task: CandidateTask,
        send: Callable[[Event], None],
        keep_going: Callable[[], bool] = lambda: True,
        cancelled: Callable[[int], bool] = lambda candidate_id: False,
    ) -> TrainResult:
        """Train one candidate; exceptions become a failed result with the reason.

        `keep_going()` False stops it (everything stops); `cancelled(id)` True stops just it.
        """
        send(CandidateStarted(task.candidate_id, task.generation, task.genome))
        genome = task.training_genome()
        grid = self.grid if task.snapshots else None
        last = {"progress": 0.0, "snapshot": 0.0}
        unsent: list[float] = []  # validation losses since the last report

        def on_epoch(epoch, train_loss, val_loss, val_metric, model) -> bool:
            now = time.monotonic()
            unsent.append(val_loss)
            if now - last["progress"] >= PROGRESS_INTERVAL:
                last["progress"] = now
                send(
                    EpochReport(
                        task.candidate_id, epoch, train_loss, val_loss, val_metric, tuple(unsent)
                    )
                )
                unsent.clear()
            if grid is not None and now - last["snapshot"] >= SNAPSHOT_INTERVAL:
                last["snapshot"] = now
                send(
                    BoundarySnapshot(task.candidate_id, epoch, grid.predict(model, self.data.task))
                )
                model.train()
            return keep_going() and not cancelled(task.candidate_id)

        try:
            result = train_candidate(
                genome,
                self.data,
                seed=task.seed,
                patience=task.patience,
                device=self.device,
                on_epoch=on_epoch,
                initial_state=task.initial_state(),
            )
        except Exception as exc:  # a candidate must never take the run down
            return failure(exc)
        self.send_final_boundary(task, result, send)
        return result

    def evaluate_batch(
        self,
        tasks: list[CandidateTask],
        send: Callable[[Event], None],
        keep_going: Callable[[], bool] = lambda: True,
        cancelled: Callable[[int], bool] = lambda candidate_id: False,
    ) -> list[TrainResult]:
        """Train many candidates in stacked groups (`train_population`); same results on CPU.

        Unlike `evaluate`, it leaves the final boundaries to the caller
        (`send_final_boundary`), so each arrives right before its candidate's result — a
        front end that keeps only a few snapshots still has the one of a new best.

        Progress is throttled per worker, not per candidate: every `PROGRESS_INTERVAL` the
        latest epoch of each candidate that advanced is sent.
        """
        from neurolab.train.batched import train_population

        for task in tasks:
            send(CandidateStarted(task.candidate_id, task.generation, task.genome))
        genomes = [task.training_genome() for task in tasks]
        grid = self.grid if any(task.snapshots for task in tasks) else None
        pending: dict[int, EpochReport] = {}
        unsent: dict[int, list[float]] = {}  # per candidate: validation losses not yet sent
        last = {"progress": 0.0, "snapshot": 0.0}

        def flush() -> None:
            for report in pending.values():
                send(report)
            pending.clear()
            unsent.clear()

        def on_epoch(i, epoch, train_loss, val_loss, val_metric, model) -> bool:
            task = tasks[i]
            recent = unsent.setdefault(task.candidate_id, [])
            recent.append(val_loss)
            pending[task.candidate_id] = EpochReport(
                task.candidate_id, epoch, train_loss, val_loss, val_metric, tuple(recent)
            )
            now = time.monotonic()
            if now - last["progress"] >= PROGRESS_INTERVAL:
                last["progress"] = now
                flush()
            if grid is not None and task.snapshots and now - last["snapshot"] >= SNAPSHOT_INTERVAL:
                last["snapshot"] = now
                send(
                    BoundarySnapshot(
                        task.candidate_id, epoch, grid.predict(model(), self.data.task)
                    )
                )
            return not cancelled(task.candidate_id)

        try:
            results = train_population(
                genomes,
                self.data,
                seeds=[task.seed for task in tasks],
                patience=tasks[0].patience,
                device=self.device,
                on_epoch=on_epoch,
                keep_going=keep_going,
                initial_states=[task.initial_state() for task in tasks],
            )
        except Exception as exc:  # a batch must never take the run down
            return [failure(exc) for _ in tasks]
        flush()
        return results  # the caller sends each final boundary just before its result

    def send_final_boundary(
        self, task: CandidateTask, result: TrainResult, send: Callable[[Event], None]
    ) -> None:
        """The boundary of the candidate's best weights (epoch -1), if it streams snapshots."""
        if not task.snapshots or self.grid is None or result.weights is None:
            return
        model = build_model(
            Genome.from_dict(task.genome), self.data.n_features, self.data.n_outputs
        )
        model.load_state_dict(safetensors_load(result.weights))
        send(BoundarySnapshot(task.candidate_id, -1, self.grid.predict(model, self.data.task)))


def failure(exc: Exception) -> TrainResult:
    """A failed result with the reason; a failed allocation (Python's or torch's) says so."""
    detail = traceback.format_exception_only(exc)[-1].strip()
    if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc):
        return TrainResult(status="failed", error=f"{OUT_OF_MEMORY} ({detail[:160]})")
    return TrainResult(status="failed", error=f"training raised {detail}")
