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
