"""The `SearchEngine` protocol: how the Runner drives any search, one generation at a time.

Lifecycle (ask/tell, as in Optuna):
1. `ask()` returns the proposals of the next generation (genomes plus where they came from).
2. The Runner gives each a candidate id, has the executor train them, and stores the results.
3. `tell(results)` hands back, for every proposal of that generation and in the same order,
   its candidate id and fitness (the validation metric; `-inf` for a failed candidate), and
   whether the engine's pruner stopped it.
4. `done()` says whether the engine's generations are used up; the Runner also stops on time.
`state()` is a JSON-serialisable checkpoint taken after `tell`, and `restore(state)` puts a fresh
engine back there, so an interrupted run can resume. Engines keep library objects (DEAP
individuals, Optuna trials) to themselves: only `Genome` values leave them.

Pruning (optional, `PruningEngine`): while a generation trains, the Runner hands the engine
each candidate's validation losses epoch by epoch (`report`), and cancels the candidate from
the epoch the engine says it is pruned at.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from neurolab.genome import Genome


@dataclass(frozen=True)
class Proposal:
    genome: Genome
    parents: tuple[int, ...] = ()
    # "random" | "seeded" | "crossover" | "mutation:<name>" | "crossover+mutation:<name>"
    origin: str = "random"
    # Per linear layer, the (candidate id, layer) its weights can be carried from (mode
    # "inherit"; `neurolab.lineage`); empty when the engine does not track it.
    sources: tuple = ()
    # Mode "neuroevolution": the weights to score, as safetensors bytes (nothing trains).
    weights: bytes | None = None


@dataclass(frozen=True)
class Evaluation:
    proposal: Proposal
    candidate_id: int
    fitness: float
    # Every objective, first = `fitness` (maximised), then e.g. the parameter count (minimised).
    objectives: tuple[float, ...] = ()
    pruned: bool = False  # the engine's pruner stopped it (a final state, not a failure)


class SearchEngine(Protocol):
    generation: int  # index of the generation the next `ask` returns (0-based)

    def ask(self) -> list[Proposal]: ...

    def tell(self, results: list[Evaluation]) -> None: ...

    def done(self) -> bool: ...

    def state(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...


class PruningEngine(SearchEngine, Protocol):
    def prunes(self) -> bool: ...

    def report(self, position: int, first_epoch: int, val_losses: Sequence[float]) -> int | None:
        """Report proposal `position`'s validation losses from `first_epoch` on (epochs it
        already has are skipped); returns the epoch it is pruned at, or None to go on."""
        ...


def front_ids(points: Sequence[tuple[tuple[float, ...], int]]) -> list[int]:
    """Candidate ids of a Pareto front given as (objective values, candidate id), fewest
    parameters (the second value) first, one network per point (the earliest)."""
    ids: dict[tuple[float, ...], int] = {}
    for values, candidate_id in sorted(points, key=lambda p: (p[0][1], p[1])):
        ids.setdefault(tuple(values), candidate_id)
    return list(ids.values())


def rng_to_json(rng_state: tuple) -> list:
    """A `random.getstate()` tuple as JSON-friendly lists (for engine checkpoints)."""
    version, internal, gauss = rng_state
    return [version, list(internal), gauss]


def rng_from_json(data: list) -> tuple:
    return (data[0], tuple(data[1]), data[2])


@contextmanager
def engine_random(engine: Any, numpy_too: bool = False) -> Iterator[None]:
    """Run library code that draws from the global `random` (DEAP's operators) and, with
    `numpy_too`, numpy's legacy generator (`deap.cma`) on the engine's own states.

    The engine keeps them in `_rng_state` (and `_np_state`); the states outside are put back,
    so runs are reproducible from the seed and resumable, whatever else uses the generators.
    """
    outside = random.getstate()
    random.setstate(engine._rng_state)
    np_outside = np.random.get_state() if numpy_too else None
    if numpy_too:
        np.random.set_state(engine._np_state)
    try:
        yield
    finally:
        engine._rng_state = random.getstate()
        random.setstate(outside)
        if numpy_too:
            engine._np_state = np.random.get_state()
            np.random.set_state(np_outside)


def np_rng_to_json(state: tuple) -> list:
    name, keys, position, has_gauss, cached = state
    return [name, [int(k) for k in keys], int(position), int(has_gauss), float(cached)]


def np_rng_from_json(data: list) -> tuple:
    return (data[0], np.array(data[1], dtype=np.uint32), data[2], data[3], data[4])
