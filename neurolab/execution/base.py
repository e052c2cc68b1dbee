"""The `Executor` protocol: where candidates train.

Lifecycle: an executor is made once per run with the prepared data (sent to each worker once)
and an `emit` callback for streamed events. The Runner calls `submit(tasks)` for a generation,
then iterates `results()`, which yields `(task, TrainResult)` as candidates finish, in any
order, until everything submitted is done. `cancel()` asks every running candidate to stop
after its current epoch (they come back with status "cancelled") and drops queued ones;
`cancel(candidate_id)` does that for one candidate (pruning uses it);
`pause()`/`resume()` hold candidates between epochs. `close()` ends all workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from neurolab.execution.worker import CandidateTask
from neurolab.train.trainer import TrainResult


class Executor(Protocol):
    device: str

    def submit(self, tasks: list[CandidateTask]) -> None: ...

    def results(self) -> Iterator[tuple[CandidateTask, TrainResult]]: ...

    def cancel(self, candidate_id: int | None = None) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class WorkerLimits:
    """Bounds a worker process enforces on each candidate (None = unbounded).

    `candidate_timeout`: wall seconds a candidate may train, counted from when its worker is
    ready; a stacked group of n candidates gets n times that (stacking is never slower than one
    after another). Past it the candidate is asked to stop after its epoch; if it has not
    stopped `kill_grace` seconds later its worker is killed and replaced. Either way it is
    stored as failed with the reason. `memory_limit_mb`: address space a worker may add to what
    it holds when ready (RLIMIT_AS, Linux, CPU only); an allocation past it fails the candidate
    as "out of memory" and the worker is replaced. An in-process trainer can enforce neither (a
    hang inside an epoch cannot be interrupted, a limit would bound the whole app), so any limit
    makes the run use worker processes, one even when `workers` = 1.
    """

    candidate_timeout: float | None = None
    memory_limit_mb: int | None = None
    kill_grace: float = 3.0

    @property
    def any(self) -> bool:
        return self.candidate_timeout is not None or self.memory_limit_mb is not None
