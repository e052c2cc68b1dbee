"""Search engines behind one ask/tell protocol (see `base.SearchEngine`)."""

from __future__ import annotations

from typing import Any

from neurolab.errors import SpecError
from neurolab.genome import Genome, SearchSpace
from neurolab.ranking import WORST_FITNESS
from neurolab.search.base import (
    Evaluation,
    Proposal,
    PruningEngine,
    SearchEngine,
)
from neurolab.search.evolution import GeneticSearch
from neurolab.search.random_search import RandomSearch
from neurolab.spec import ExperimentSpec

__all__ = [
    "WORST_FITNESS",
    "Evaluation",
    "GeneticSearch",
    "OptunaSearch",
    "Proposal",
    "PruningEngine",
    "RandomSearch",
    "SearchEngine",
    "make_engine",
]


def __getattr__(name: str) -> Any:
    # Optuna loads only when asked for (it adds to every start-up otherwise).
    if name == "OptunaSearch":
        from neurolab.search.optuna_search import OptunaSearch

        return OptunaSearch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_engine(spec: ExperimentSpec, n_inputs: int = 0, n_outputs: int = 0) -> SearchEngine:
    """The engine the spec names, seeded from the spec.

    Mode "neuroevolution" needs the data's input and output widths (its chromosome is weights).
    """
    space = SearchSpace.from_spec(spec.search_space)
    settings, generations = spec.engine, spec.budget.generations
    if spec.mode == "neuroevolution":
        from neurolab.search.neuroevolution import Neuroevolution

        return Neuroevolution(
            space,
            spec.neuroevolution,
            population=settings.population,
            generations=generations,
            seed=spec.seed,
            n_inputs=n_inputs,
            n_outputs=n_outputs,
            tournament_size=settings.tournament_size,
            crossover_prob=settings.crossover_prob,
            elites=settings.elites,
        )
    if settings.kind == "random":
        return RandomSearch(space, settings.population, generations, spec.seed)
    if settings.kind == "optuna":
        from neurolab.search.optuna_search import OptunaSearch

        return OptunaSearch(
            space,
            population=settings.population,
            generations=generations,
            seed=spec.seed,
            sampler=settings.sampler,
            pruner=settings.pruner,
            storage=settings.storage,
            study_name=spec.name,
            objectives=len(settings.objectives),
        )
    return GeneticSearch(
        space,
        population=settings.population,
        generations=generations,
        seed=spec.seed,
        tournament_size=settings.tournament_size,
        crossover_prob=settings.crossover_prob,
        mutation_prob=settings.mutation_prob,
        elites=settings.elites,
        objectives=len(settings.objectives),
        sharing_radius=settings.sharing_radius if settings.diversity == "sharing" else None,
        seeds=[space.clip(seed_genome(raw)) for raw in settings.seeds],
    )


def seed_genome(raw: dict[str, Any]) -> Genome:
    """A seed genome from the spec; a malformed one is a `SpecError` naming what is wrong."""
    try:
        return Genome.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"engine.seeds: not a genome ({type(exc).__name__}: {exc})") from None
