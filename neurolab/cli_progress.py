"""Live progress of a run on stderr: one updating line on a terminal, plain lines in a log."""

from __future__ import annotations

import time
from typing import TextIO

from neurolab.events import (
    CandidateFinished,
    Event,
    FinalistsScored,
    GenerationFinished,
    RunFinished,
    RunProgress,
    RunStarted,
)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return (
        f"{seconds // 60:02d}:{seconds % 60:02d}"
        if seconds < 3600
        else f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    )


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


class ProgressPrinter:
    """An event sink for the CLI."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._last_draw = 0.0
        self._line_open = False
        self.metric = "metric"
        self._progress: RunProgress | None = None
        self._diversity = ""  # the last generation's diversity (and front size)

    def note(self, text: str) -> None:
        self._println(f"data: {text}")

    def _println(self, text: str) -> None:
        if self._line_open:
            self.stream.write("\r\033[K")
            self._line_open = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.metric = event.metric
            self._println(
                f"run {event.run_id}: {event.population} per generation × {event.generations} "
                f"generations on {event.device} -> {event.project}"
            )
        elif isinstance(event, RunProgress):
            self._progress = event
            if not self.live:
                return
            now = time.monotonic()
            if now - self._last_draw >= 0.2:
                self._last_draw = now
                self.stream.write(
                    f"\r\033[Kgeneration {event.generation + 1}/{event.generations}  "
                    f"best {self.metric} {_score(event.best_so_far)}{self._diversity}  "
                    f"candidates {event.candidates_done} ({event.candidates_failed} failed)  "
                    f"elapsed {_clock(event.elapsed)}  ETA {_clock(event.eta)}"
                )
                self.stream.flush()
                self._line_open = True
        elif isinstance(event, CandidateFinished) and event.record.status == "failed":
            self._println(f"candidate {event.record.candidate_id} failed: {event.record.error}")
        elif isinstance(event, GenerationFinished):
            totals = ""
            if self._progress is not None:
                p = self._progress
                totals = (
                    f"  candidates {p.candidates_done} ({p.candidates_failed} failed)"
                    f"  elapsed {_clock(p.elapsed)}  ETA {_clock(p.eta)}"
                )
            extra = ""
            if event.diversity is not None:
                extra += f"  diversity {event.diversity:.3g}"
            if event.front:
                extra += f"  front {len(event.front)}"
            self._diversity = extra
            self._println(
                f"generation {event.generation + 1}/{self._progress.generations if self._progress else '?'}:"
                f" best {_score(event.best)}  mean {_score(event.mean)}"
                f"  best so far {_score(event.best_so_far)}{extra}"
                f"  {event.seconds:.2f} s{totals}"
            )
        elif isinstance(event, FinalistsScored):
            if not event.scores:
                self._println(f"finalists: {event.note}; the validation {self.metric} decides")
                return
            best_id, best_score = event.scores[0]
            self._println(
                f"finalists: {len(event.scores)} cross-validated on {event.folds} folds of train"
                f" + validation; best is candidate {best_id} ({self.metric} {best_score:.4f})"
            )
        elif isinstance(event, RunFinished):
            self._println(f"run {event.status} after {_clock(event.seconds)}")

    def close(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self._line_open = False
        self.stream.flush()
