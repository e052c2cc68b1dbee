"""Everything a front end shows, as frozen dataclasses the Runner emits.

The CLI prints them; the GUI's run controller turns them into queued Qt signals. An `EventSink`
is any callable taking one event; sinks are called on the Runner's thread and must be quick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    project: str
    spec: dict[str, Any]
    metric: str  # "accuracy" | "r2"
    generations: int
    population: int
    device: str
    data_notes: tuple[str, ...] = ()
    resumed: bool = False


@dataclass(frozen=True)
class GenerationStarted:
    generation: int
    candidates: int


@dataclass(frozen=True)
class CandidateStarted:
    candidate_id: int
    generation: int
    genome: dict[str, Any]


@dataclass(frozen=True)
class EpochReport:
    """Streamed while a candidate trains (throttled by the executor).

    `recent_val_losses` holds the validation loss of every epoch since this candidate's
    previous report, ending with `epoch`'s, so throttling loses nothing a pruner needs.
    """

    candidate_id: int
    epoch: int
    train_loss: float
    val_loss: float
    val_metric: float
    recent_val_losses: tuple[float, ...] = ()


@dataclass(frozen=True)
class BoundarySnapshot:
    """Class probabilities (or predictions) of a training candidate on the data's plot grid.

    `values` has shape (resolution, resolution, n_classes) for classification over a 2-D
    grid, or (resolution,) for 1-D regression curves.
    """

    candidate_id: int
    epoch: int
    values: np.ndarray = field(compare=False)


@dataclass(frozen=True)
class CandidateRecord:
    """A finished candidate as stored in the project file."""

    candidate_id: int
    generation: int
    genome: dict[str, Any]
    status: str  # "ok" | "failed" | "cancelled" | "pruned" (final: the pruner stopped it)
    val_metric: float | None
    test_metric: float | None
    train_metric: float | None
    params: int
    epochs: int
    seconds: float
    train_losses: tuple[float, ...] = ()
    val_losses: tuple[float, ...] = ()
    parents: tuple[int, ...] = ()
    origin: str = "random"
    error: str | None = None
    # A finalist's mean metric over the folds of train + validation (`neurolab.finalists`).
    cv_metric: float | None = None


@dataclass(frozen=True)
class CandidateFinished:
    record: CandidateRecord
    is_best: bool  # a new best of the run


@dataclass(frozen=True)
class GenerationFinished:
    generation: int
    best: float | None
    mean: float | None
    worst: float | None
    evaluated: int
    failed: int
    best_so_far: float | None
    best_candidate_id: int | None
    seconds: float
    diversity: float | None = None  # the engine's diversity figure (mean genome distance)
    front: tuple[int, ...] = ()  # NSGA-II: the non-dominated candidates, fewest params first


@dataclass(frozen=True)
class RunProgress:
    """A heartbeat with totals, emitted after each finished candidate."""

    generation: int
    generations: int
    candidates_done: int
    candidates_failed: int
    elapsed: float
    eta: float | None
    best_so_far: float | None


@dataclass(frozen=True)
class RunFinished:
    run_id: int
    status: str  # "finished" | "stopped" | "interrupted"
    best: CandidateRecord | None
    candidates: int
    failed: int
    seconds: float
    project: str


@dataclass(frozen=True)
class RunFailed:
    message: str


@dataclass(frozen=True)
class StateChanged:
    state: str  # "running" | "paused" | "stopping" | "cross-validating" (`neurolab.finalists`)


@dataclass(frozen=True)
class FinalistsScored:
    """The run's finalists, cross-validated after the search (`neurolab.finalists`): their
    mean metric over `folds` folds of train + validation, best first; the first is the run's
    best from now on."""

    scores: tuple[tuple[int, float], ...]  # (candidate id, cross-validated metric)
    folds: int
    note: str = ""  # why there are no scores, when there are none


Event = (
    RunStarted
    | GenerationStarted
    | CandidateStarted
    | EpochReport
    | BoundarySnapshot
    | CandidateFinished
    | GenerationFinished
    | RunProgress
    | FinalistsScored
    | RunFinished
    | RunFailed
    | StateChanged
)
EventSink = Callable[[Event], None]
