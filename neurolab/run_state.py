"""A run's running totals: candidates done and failed, the best so far, the few candidates
whose weights stay in the project file, and the time budget."""

from __future__ import annotations

import time
from statistics import fmean

from neurolab.events import CandidateRecord, GenerationFinished, RunProgress
from neurolab.execution import CandidateTask
from neurolab.ranking import WORST_FITNESS, fitness, rank

KEEP_WEIGHTS = 3  # weights of this many best candidates stay in the project file
RESERVE_MARGIN = 1.5  # over the finalists' expected folds time: other stacks, the pool's close


class RunState:
    """Running totals of one run: counts, the best so far, the elites whose weights are kept."""

    def __init__(
        self,
        start: float,
        generations: int,
        seconds: float | None,
        *,
        keep: int = KEEP_WEIGHTS,
        finalists: int = 0,
        fold_cost: float = 0.0,
    ) -> None:
        self.start, self.generations, self.seconds = start, generations, seconds
        self.keep = keep  # weights of this many best candidates stay in the project file
        # A time budget keeps time at its end to cross-validate this many finalists, whose
        # folds take `fold_cost` times their own training (`finalists.fold_cost`).
        self.finalists, self.fold_cost = finalists, fold_cost
        self.next_id = 0
        self.done = self.failed = 0
        self.generations_done = 0
        self.generation_progress = 0.0
        self.best: CandidateRecord | None = None
        self.top: list[CandidateRecord] = []
        self.reusable: dict[int, CandidateRecord] = {}  # finished before a resume
        self.genomes: dict[int, dict] = {}  # every candidate's genome, for weight inheritance
        self.ask_seconds = 0.0  # the engine's last ask: a generation starts only if it fits

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

    def out_of_time(self, ahead: float = 0.0) -> bool:
        """The search's part of the time budget is used up (or will be, `ahead` seconds on)."""
        if self.seconds is None:
            return False
        return self.elapsed() + ahead >= self.seconds - self.reserved()

    def room_for_a_generation(self) -> bool:
        """Time is left to ask the engine for one more (Optuna's ask of 64 takes seconds,
        and it cannot be cut short)."""
        return not self.out_of_time(ahead=self.ask_seconds)

    def reserved(self) -> float:
        """Seconds at the end of a time budget kept for the finalists: the time their folds
        are expected to take (what the top few took to train, times `fold_cost`), with a
        margin. Nothing where that is over a third of the budget: the search has the time,
        and the folds train only if the budget's end allows."""
        finalists = self.top[: self.finalists]
        if self.seconds is None or len(finalists) < 2:
            return 0.0
        expected = RESERVE_MARGIN * self.fold_cost * sum(r.seconds for r in finalists)
        return 0.0 if expected > self.seconds / 3 else expected

    def budget_left(self) -> bool:
        return self.seconds is None or self.elapsed() < self.seconds

    def offer(self, record: CandidateRecord) -> bool:
        self.genomes[record.candidate_id] = record.genome
        self.done += 1
        self.failed += record.status == "failed"
        if fitness(record) == WORST_FITNESS:
            return False
        if self.best is None or rank(record) < rank(self.best):
            self.best = record
            return True
        return False

    def worth_keeping(self, record: CandidateRecord) -> bool:
        """Keep weights of a candidate that enters the top few; prune the rest per generation."""
        if fitness(record) == WORST_FITNESS:
            return False
        self.top = sorted([*self.top, record], key=rank)
        self.top = self.top[: self.keep]
        return record in self.top

    def kept_ids(self) -> set[int]:
        return {r.candidate_id for r in self.top}

    def progress(self, generation: int) -> RunProgress:
        elapsed = self.elapsed()
        fraction = (self.generations_done + self.generation_progress) / self.generations
        if self.seconds is not None:
            fraction = max(fraction, elapsed / self.seconds)
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        best = fitness(self.best) if self.best else None
        return RunProgress(generation, self.generations, self.done, self.failed, elapsed, eta, best)

    def generation_ended(self) -> None:
        """A generation is complete."""
        self.generations_done += 1
        self.generation_progress = 0.0

    def generation_stats(
        self, generation: int, records: list[CandidateRecord], seconds: float
    ) -> GenerationFinished:
        """A complete generation's event."""
        scores = [fitness(r) for r in records if fitness(r) != WORST_FITNESS]
        return GenerationFinished(
            generation=generation,
            best=max(scores) if scores else None,
            mean=fmean(scores) if scores else None,
            worst=min(scores) if scores else None,
            evaluated=len(records),
            failed=sum(r.status == "failed" for r in records),
            best_so_far=fitness(self.best) if self.best else None,
            best_candidate_id=self.best.candidate_id if self.best else None,
            seconds=seconds,
        )
