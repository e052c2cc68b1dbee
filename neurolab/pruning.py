"""Pruning one generation: epoch reports go to the engine, pruned candidates are cancelled.

Lifecycle: the Runner makes a `GenerationPruning` per generation when its engine prunes,
passes it every `EpochReport` the executor streams (`on_report`, live and throttled: it cancels
a candidate through `Executor.cancel(candidate_id)` as soon as the engine prunes it), then each
finished candidate's whole validation curve (`on_curve`). The curve decides: a candidate whose
epochs all came back before any report did is judged on the same epochs, so which candidates
are pruned, and at which epoch, depends on their curves, not on timing. Pruned is final: a
resumed run keeps pruned candidates and does not train them again.
"""

from __future__ import annotations

from collections.abc import Sequence

from neurolab.events import EpochReport
from neurolab.execution import Executor
from neurolab.search import PruningEngine


class GenerationPruning:
    def __init__(
        self, engine: PruningEngine, executor: Executor, positions: dict[int, int]
    ) -> None:
        self.engine, self.executor = engine, executor
        self.positions = positions  # candidate id -> its proposal's position in the generation
        self.pruned: dict[int, int] = {}  # candidate id -> the epoch it was pruned at

    def on_report(self, report: EpochReport) -> None:
        candidate_id = report.candidate_id
        if candidate_id not in self.positions or candidate_id in self.pruned:
            return
        losses = report.recent_val_losses or (report.val_loss,)
        if self._report(candidate_id, report.epoch - len(losses) + 1, losses):
            self.executor.cancel(candidate_id)

    def on_curve(self, candidate_id: int, val_losses: Sequence[float]) -> int | None:
        """The whole curve of a finished (or cut-short) candidate; the epoch it was pruned at."""
        if candidate_id in self.positions:
            self._report(candidate_id, 1, val_losses)
        return self.pruned.get(candidate_id)

    def _report(self, candidate_id: int, first_epoch: int, losses: Sequence[float]) -> bool:
        epoch = self.engine.report(self.positions[candidate_id], first_epoch, losses)
        if epoch is not None:
            self.pruned[candidate_id] = epoch
        return epoch is not None
