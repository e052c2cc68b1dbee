"""The DEAP genetic algorithm over genomes: tournament selection, crossover, mutation, elites.

DEAP's `creator` classes are made and used only inside this module; the Runner and the
workers see `Genome` values. DEAP's operators draw from the global `random` module, so the
engine swaps its own generator state in around each call: runs are reproducible from the seed
and resumable from a checkpoint, whatever else uses `random`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from deap import base, creator, tools

from neurolab.genome import Genome, SearchSpace, crossover, mutate
from neurolab.search.base import Evaluation, Proposal, rng_from_json, rng_to_json

if not hasattr(creator, "NeuroLabFitness"):
    creator.create("NeuroLabFitness", base.Fitness, weights=(1.0,))
    creator.create("NeuroLabIndividual", dict, fitness=creator.NeuroLabFitness)


def _individual(genome: Genome, candidate_id: int | None = None, parents=(), origin="random"):
    ind = creator.NeuroLabIndividual(genome.to_dict())
    ind.candidate_id, ind.parents, ind.origin = candidate_id, tuple(parents), origin
    return ind


class GeneticSearch:
    """A generational GA with elitism (DEAP `selTournament`, `selBest`, `HallOfFame`).

    Generation 0 is the `seeds` (origin "seeded"), then random genomes. Each later generation keeps the `elites` best unchanged, fills the
    rest by tournament selection, then crossover (probability `crossover_prob` per pair) and
    mutation (`mutation_prob` per child). Children left unchanged keep their parent's fitness
    and are not trained again, as in DEAP's `varAnd`.
    """

    def __init__(
        self,
        space: SearchSpace,
        *,
        population: int,
        generations: int,
        seed: int,
        tournament_size: int = 3,
        crossover_prob: float = 0.5,
        mutation_prob: float = 0.8,
        elites: int = 2,
        seeds: list[Genome] | tuple[Genome, ...] = (),
    ) -> None:
        self.space = space
        self.population_size, self.generations = population, generations
        self.tournament_size = tournament_size
        self.crossover_prob, self.mutation_prob = crossover_prob, mutation_prob
        self.elites = elites
        self.seeds = list(seeds)[:population]
        self.generation = 0
        self._rng_state = random.Random(seed).getstate()
        self.toolbox = base.Toolbox()
        self.toolbox.register("select", tools.selTournament, tournsize=tournament_size)
        self.toolbox.register("mate", self._mate)
        self.toolbox.register("mutate", self._mutate)
        self.population: list = []
        self.hall_of_fame = tools.HallOfFame(max(1, elites))
        self._pending: list = []

    @contextmanager
    def _random(self) -> Iterator[None]:
        """Run DEAP (which uses the global `random`) on this engine's own generator state.

        Inside, the operators are handed the `random` module itself as their generator.
        """
        outside = random.getstate()
        random.setstate(self._rng_state)
        try:
            yield
        finally:
            self._rng_state = random.getstate()
            random.setstate(outside)

    # --- operators on DEAP individuals --------------------------------------------------
    def _mate(self, a, b):
        child_a, child_b = crossover(Genome.from_dict(a), Genome.from_dict(b), self.space, random)
        parents = (a.candidate_id, b.candidate_id)
        for ind, child in ((a, child_a), (b, child_b)):
            ind.clear()
            ind.update(child.to_dict())
            ind.parents, ind.origin = parents, "crossover"
        return a, b

    def _mutate(self, ind):
        child, name = mutate(Genome.from_dict(ind), self.space, random)
        ind.clear()
        ind.update(child.to_dict())
        if ind.origin == "crossover":
            ind.origin = f"crossover+mutation:{name}"
        else:
            ind.parents, ind.origin = (ind.candidate_id,), f"mutation:{name}"
        return (ind,)

    # --- ask / tell ---------------------------------------------------------------------
    def ask(self) -> list[Proposal]:
        with self._random():
            if self.generation == 0:
                self.population = [_individual(g, origin="seeded") for g in self.seeds] + [
                    _individual(self.space.random_genome(random))
                    for _ in range(self.population_size - len(self.seeds))
                ]
            else:
                self.population = self._next_population()
        self._pending = [ind for ind in self.population if not ind.fitness.valid]
        return [
            Proposal(
                Genome.from_dict(ind), tuple(p for p in ind.parents if p is not None), ind.origin
            )
            for ind in self._pending
        ]

    def _next_population(self) -> list:
        elites = [self.toolbox.clone(ind) for ind in tools.selBest(self.population, self.elites)]
        chosen = self.toolbox.select(self.population, self.population_size - len(elites))
        offspring = [self.toolbox.clone(ind) for ind in chosen]
        for ind in offspring:
            ind.parents, ind.origin = (ind.candidate_id,), "copy"
        for i in range(1, len(offspring), 2):
            if random.random() < self.crossover_prob:
                self.toolbox.mate(offspring[i - 1], offspring[i])
                del offspring[i - 1].fitness.values, offspring[i].fitness.values
        for ind in offspring:
            if random.random() < self.mutation_prob:
                self.toolbox.mutate(ind)
                del ind.fitness.values
        for ind in offspring:
            if not ind.fitness.valid:
                ind.candidate_id = None
        return elites + offspring

    def tell(self, results: list[Evaluation]) -> None:
        if len(results) != len(self._pending):
            raise ValueError(f"expected {len(self._pending)} results, got {len(results)}")
        for ind, result in zip(self._pending, results, strict=True):
            ind.fitness.values = (result.fitness,)
            ind.candidate_id = result.candidate_id
        self.hall_of_fame.update(self.population)
        self._pending = []
        self.generation += 1

    def done(self) -> bool:
        return self.generation >= self.generations

    # --- checkpoints --------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "rng": rng_to_json(self._rng_state),
            "population": [_ind_to_json(ind) for ind in self.population],
            "hall_of_fame": [_ind_to_json(ind) for ind in self.hall_of_fame],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.generation = int(state["generation"])
        self._rng_state = rng_from_json(state["rng"])
        self.population = [_ind_from_json(d) for d in state["population"]]
        self.hall_of_fame.clear()
        self.hall_of_fame.update([_ind_from_json(d) for d in state["hall_of_fame"]])


def _ind_to_json(ind) -> dict[str, Any]:
    return {
        "genome": dict(ind),
        "candidate_id": ind.candidate_id,
        "parents": list(ind.parents),
        "origin": ind.origin,
        "fitness": list(ind.fitness.values) if ind.fitness.valid else None,
    }


def _ind_from_json(data: dict[str, Any]):
    ind = _individual(
        Genome.from_dict(data["genome"]), data["candidate_id"], data["parents"], data["origin"]
    )
    if data["fitness"] is not None:
        ind.fitness.values = tuple(data["fitness"])
    return ind
