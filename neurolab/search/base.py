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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from neurolab.genome import Genome

WORST_FITNESS = float("-inf")


@dataclass(frozen=True)
class Proposal:
    genome: Genome
    parents: tuple[int, ...] = ()
    origin: str = (
        "random"  # "random" | "crossover" | "mutation:<name>" | "crossover+mutation:<name>"
    )


@dataclass(frozen=True)
class Evaluation:
    proposal: Proposal
    candidate_id: int
    fitness: float
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


def rng_to_json(rng_state: tuple) -> list:
    """A `random.getstate()` tuple as JSON-friendly lists (for engine checkpoints)."""
    version, internal, gauss = rng_state
    return [version, list(internal), gauss]


def rng_from_json(data: list) -> tuple:
    return (data[0], tuple(data[1]), data[2])
