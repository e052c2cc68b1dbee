"""The DEAP genetic algorithm over genomes: tournament selection, crossover, mutation, elites.

DEAP's `creator` classes are made and used only inside this module; the Runner and the
workers see `Genome` values. DEAP's operators draw from the global `random` module, so the
engine swaps its own generator state in around each call: runs are reproducible from the seed
and resumable from a checkpoint, whatever else uses `random`.
"""

from __future__ import annotations

import random
from typing import Any

from deap import base, creator, tools

from neurolab.genome import (
    Genome,
    SearchSpace,
    crossover_with_cuts,
    genome_distance,
    mean_distance,
    mutate,
)
from neurolab.lineage import (
    after_crossover,
    after_mutation,
    own_sources,
    sources_from_json,
    sources_to_json,
)
from neurolab.search.base import (
    Evaluation,
    Proposal,
    engine_random,
    front_ids,
    rng_from_json,
    rng_to_json,
)

if not hasattr(creator, "NeuroLabFitness"):
    creator.create("NeuroLabFitness", base.Fitness, weights=(1.0,))
    creator.create("NeuroLabIndividual", dict, fitness=creator.NeuroLabFitness)
if not hasattr(creator, "NeuroLabParetoFitness"):
    # NSGA-II: maximise the validation metric, minimise the parameter count.
    creator.create("NeuroLabParetoFitness", base.Fitness, weights=(1.0, -1.0))
    creator.create("NeuroLabParetoIndividual", dict, fitness=creator.NeuroLabParetoFitness)

FAILED_METRIC = -1e9  # NSGA-II's crowding distance needs finite values; -inf would give NaN


def _individual(
    genome: Genome,
    candidate_id: int | None = None,
    parents=(),
    origin="random",
    sources=(),
    pareto: bool = False,
):
    kind = creator.NeuroLabParetoIndividual if pareto else creator.NeuroLabIndividual
    ind = kind(genome.to_dict())
    ind.candidate_id, ind.parents, ind.origin = candidate_id, tuple(parents), origin
    ind.sources = tuple(sources)  # where each layer's weights come from (`neurolab.lineage`)
    return ind


class GeneticSearch:
    """A generational GA with elitism (DEAP `selTournament`, `selBest`, `HallOfFame`).

    Generation 0 is the `seeds` (origin "seeded"), then random genomes. Each later generation keeps the `elites` best unchanged, fills the
    rest by tournament selection, then crossover (probability `crossover_prob` per pair) and
    mutation (`mutation_prob` per child). Children left unchanged keep their parent's fitness
    and are not trained again, as in DEAP's `varAnd`.

    With `sharing_radius`, tournaments compare shared fitness: an individual's rank divided by
    how many genomes crowd it (`genome_distance` below the radius, weighted by closeness), so a
    family of near-copies loses to a lone, different candidate of similar quality.

    With `objectives` 2 it is NSGA-II: parents are drawn by `selTournamentDCD` (Pareto rank,
    then crowding distance), all offspring are varied as above, and `tell` keeps the best
    `population` of parents and offspring together by `selNSGA2`; `front()` is the current
    non-dominated set (validation metric up, parameter count down).
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
        objectives: int = 1,
        sharing_radius: float | None = None,
        seeds: list[Genome] | tuple[Genome, ...] = (),
    ) -> None:
        self.space = space
        self.pareto = objectives > 1
        self.sharing_radius = sharing_radius
        self._parents: list = []  # NSGA-II: the population the pending offspring came from
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

    def _random(self):
        """DEAP's operators on this engine's own generator state (`engine_random`).

        Inside, the operators are handed the `random` module itself as their generator.
        """
        return engine_random(self)

    # --- operators on DEAP individuals --------------------------------------------------
    def _mate(self, a, b):
        genome_a, genome_b = Genome.from_dict(a), Genome.from_dict(b)
        child_a, child_b, cut_a, cut_b = crossover_with_cuts(genome_a, genome_b, self.space, random)
        sources = after_crossover(
            _sources(a, genome_a), _sources(b, genome_b), cut_a, cut_b, child_a, child_b
        )
        parents = (a.candidate_id, b.candidate_id)
        for ind, child, carried in ((a, child_a, sources[0]), (b, child_b, sources[1])):
            ind.clear()
            ind.update(child.to_dict())
            ind.parents, ind.origin, ind.sources = parents, "crossover", carried
        return a, b

    def _mutate(self, ind):
        before = Genome.from_dict(ind)
        child, name = mutate(before, self.space, random)
        ind.clear()
        ind.update(child.to_dict())
        ind.sources = after_mutation(before, child, _sources(ind, before))
        if ind.origin == "crossover":
            ind.origin = f"crossover+mutation:{name}"
        else:
            ind.parents, ind.origin = (ind.candidate_id,), f"mutation:{name}"
        return (ind,)

    # --- ask / tell ---------------------------------------------------------------------
    def ask(self) -> list[Proposal]:
        with self._random():
            if self.generation == 0:
                self.population = [
                    _individual(g, origin="seeded", pareto=self.pareto) for g in self.seeds
                ] + [
                    _individual(self.space.random_genome(random), pareto=self.pareto)
                    for _ in range(self.population_size - len(self.seeds))
                ]
            else:
                self.population = self._next_population()
        self._pending = [ind for ind in self.population if not ind.fitness.valid]
        return [
            Proposal(
                Genome.from_dict(ind),
                tuple(p for p in ind.parents if p is not None),
                ind.origin,
                ind.sources,
            )
            for ind in self._pending
        ]

    def _next_population(self) -> list:
        if self.pareto:
            # selNSGA2 also gives each individual its crowding distance, which DCD reads.
            ranked = tools.selNSGA2(self.population, len(self.population))
            self._parents, elites = ranked, []
            if len(ranked) == self.population_size and len(ranked) % 4 == 0:
                chosen = tools.selTournamentDCD(ranked, self.population_size)
            else:  # DCD needs a multiple of four; a thinned-out population draws at random
                chosen = tools.selRandom(ranked, self.population_size)
        else:
            elites = [
                self.toolbox.clone(ind) for ind in tools.selBest(self.population, self.elites)
            ]
            k = self.population_size - len(elites)
            if self.sharing_radius is not None:
                self._share_fitness()
                chosen = tools.selTournament(
                    self.population, k, self.tournament_size, fit_attr="shared"
                )
            else:
                chosen = self.toolbox.select(self.population, k)
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

    def _share_fitness(self) -> None:
        """Fitness sharing: rank (1 = worst) over the niche count, as each `ind.shared`."""
        population, radius = self.population, self.sharing_radius
        genomes = [Genome.from_dict(ind) for ind in population]
        order = sorted(range(len(population)), key=lambda i: population[i].fitness.values[0])
        for rank, i in enumerate(order, start=1):
            niche = sum(
                max(0.0, 1.0 - genome_distance(genomes[i], other) / radius) for other in genomes
            )
            population[i].shared = creator.NeuroLabFitness((rank / niche,))

    def tell(self, results: list[Evaluation]) -> None:
        if len(results) != len(self._pending):
            raise ValueError(f"expected {len(self._pending)} results, got {len(results)}")
        for ind, result in zip(self._pending, results, strict=True):
            if self.pareto:
                metric, params = result.objectives
                ind.fitness.values = (max(metric, FAILED_METRIC), params)
            else:
                ind.fitness.values = (result.fitness,)
            ind.candidate_id = result.candidate_id
            ind.sources = own_sources(result.candidate_id, Genome.from_dict(ind))
        if self.pareto:
            # Parents and offspring compete; a candidate copied unchanged counts once.
            pool, seen = [], set()
            for ind in self._parents + self.population:
                if ind.candidate_id not in seen:
                    seen.add(ind.candidate_id)
                    pool.append(ind)
            self.population = tools.selNSGA2(pool, min(self.population_size, len(pool)))
            self._parents = []
        self.hall_of_fame.update(self.population)
        self._pending = []
        self.generation += 1

    def done(self) -> bool:
        return self.generation >= self.generations

    def front(self) -> list[int]:
        """NSGA-II: candidate ids of the non-dominated networks, fewest parameters first."""
        if not self.pareto or not self.population:
            return []
        first = tools.sortNondominated(self.population, len(self.population), True)[0]
        return front_ids([(ind.fitness.values, ind.candidate_id) for ind in first])

    def diversity(self) -> float:
        """Mean `genome_distance` between the population's genomes."""
        return mean_distance([Genome.from_dict(ind) for ind in self.population])

    def population_ids(self) -> set[int]:
        """Candidates the next generation may inherit weights from."""
        return {ind.candidate_id for ind in self.population if ind.candidate_id is not None}

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
        self.population = [_ind_from_json(d, self.pareto) for d in state["population"]]
        self.hall_of_fame.clear()
        self.hall_of_fame.update([_ind_from_json(d, self.pareto) for d in state["hall_of_fame"]])


def _ind_to_json(ind) -> dict[str, Any]:
    return {
        "genome": dict(ind),
        "candidate_id": ind.candidate_id,
        "parents": list(ind.parents),
        "origin": ind.origin,
        "fitness": list(ind.fitness.values) if ind.fitness.valid else None,
        "sources": sources_to_json(ind.sources),
    }


def _ind_from_json(data: dict[str, Any], pareto: bool = False):
    ind = _individual(
        Genome.from_dict(data["genome"]),
        data["candidate_id"],
        data["parents"],
        data["origin"],
        sources_from_json(data.get("sources")),
        pareto,
    )
    if data["fitness"] is not None:
        ind.fitness.values = tuple(data["fitness"])
    return ind


def _sources(ind, genome: Genome):
    """The individual's sources; every layer new when it has none (never trained)."""
    if ind.sources:
        return ind.sources
    if ind.candidate_id is not None:
        return own_sources(ind.candidate_id, genome)
    return (None,) * (len(genome.layers) + 1)
