"""Gradient-free neuroevolution: the weights are the chromosome (mode "neuroevolution").

An individual is a flat vector of a network's weights (`build_model`'s linear layers in order,
each weight matrix row by row, then its bias) beside the genome that shapes it. Proposals carry
those weights as safetensors bytes; the Runner scores a whole generation in one batched forward
pass (`PopulationEvaluator`) and tells back the negated training loss as fitness (smooth,
unlike accuracy), so no gradient is ever taken.

- `algorithm` "ga": DEAP real-valued GA: elites, tournament selection, blend (`cxBlend`) or
  simulated binary (`cxSimulatedBinary`) crossover, Gaussian mutation (`mutGaussian`). With
  `topology` "evolving" a mutation may also change the structure (add or remove a layer, resize
  one, switch its activation), carrying the weights across it (`neurolab.inherit`); crossover
  then pairs only networks of the same shape.
- `algorithm` "cmaes": `deap.cma.Strategy` over one fixed topology; its population is the
  engine's population.
Both draw from the engine's own `random` / numpy states (`engine_random`).
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from deap import base, cma, creator, tools
from safetensors.torch import save as safetensors_save

from neurolab.genome import STRUCTURAL, Genome, LayerGene, SearchSpace, mean_distance, mutate
from neurolab.inherit import carry_weights, linear_names
from neurolab.lineage import after_mutation, own_sources
from neurolab.model import build_model
from neurolab.search import evolution  # noqa: F401  (creates creator.NeuroLabFitness)
from neurolab.search.base import (
    Evaluation,
    Proposal,
    engine_random,
    np_rng_from_json,
    np_rng_to_json,
    rng_from_json,
    rng_to_json,
)
from neurolab.spec import NeuroevolutionSpec

if not hasattr(creator, "NeuroLabWeights"):  # one fitness, to maximise, as the GA's
    creator.create("NeuroLabWeights", list, fitness=creator.NeuroLabFitness)

STRUCTURE_PROB = 0.3  # evolving topology: chance that a mutated child also changes shape
SBX_ETA = 15.0  # simulated binary crossover: children close to their parents
BLEND_ALPHA = 0.5
# What CMA-ES learns; its eigen-decomposition is recomputed from C on restore.
_CMA_STATE = ("centroid", "sigma", "pc", "ps", "C", "update_count")
_blas = None


def _one_blas_thread():
    """CMA-ES's small matrix algebra on one BLAS thread: with busy cores, OpenBLAS's threads
    made a 42×42 `eigh` ~10× slower on this machine."""
    global _blas
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - comes with scikit-learn
        return contextlib.nullcontext()
    if _blas is None:
        _blas = ThreadpoolController()
    return _blas.limit(limits=1)


def _shapes(genome: Genome, n_inputs: int, n_outputs: int) -> list[tuple[int, int]]:
    sizes = [n_inputs, *(layer.width for layer in genome.layers), n_outputs]
    return list(zip(sizes[1:], sizes, strict=False))  # (out, in) per linear layer


def weights_to_state(
    genome: Genome, vector, n_inputs: int, n_outputs: int
) -> dict[str, torch.Tensor]:
    """A flat weight vector as `build_model`'s state_dict (float32)."""
    flat = torch.as_tensor(np.asarray(vector, dtype=np.float32))
    state, offset = {}, 0
    for (w_name, b_name), (out, fan_in) in zip(
        linear_names(genome), _shapes(genome, n_inputs, n_outputs), strict=True
    ):
        state[w_name] = flat[offset : offset + out * fan_in].view(out, fan_in).clone()
        offset += out * fan_in
        state[b_name] = flat[offset : offset + out].clone()
        offset += out
    return state


def state_to_weights(genome: Genome, state) -> list[float]:
    parts = []
    for w_name, b_name in linear_names(genome):
        parts += [state[w_name].reshape(-1), state[b_name].reshape(-1)]
    return torch.cat(parts).double().tolist()


class Neuroevolution:
    """Evolves weights (and, with an evolving topology, shapes) with no gradient step.

    Lifecycle as every `SearchEngine`: `ask` proposes a generation (each proposal's `weights`
    are what to score), `tell` takes their fitness (higher is better), `state`/`restore`
    checkpoint everything, CMA-ES's covariance included, as JSON.
    """

    def __init__(
        self,
        space: SearchSpace,
        settings: NeuroevolutionSpec,
        *,
        population: int,
        generations: int,
        seed: int,
        n_inputs: int,
        n_outputs: int,
        tournament_size: int = 3,
        crossover_prob: float = 0.5,
        elites: int = 2,
    ) -> None:
        self.space, self.settings = space, settings
        self.population_size, self.generations = population, generations
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        self.tournament_size, self.crossover_prob, self.elites = (
            tournament_size,
            crossover_prob,
            elites,
        )
        self.generation = 0
        self._rng_state = random.Random(seed).getstate()
        self._np_state = np.random.RandomState(seed).get_state()
        self.population: list = []
        self.strategy: cma.Strategy | None = None
        self._genome: Genome | None = None  # CMA-ES: the one topology it evolves
        self._pending: list = []

    # --- individuals --------------------------------------------------------------------
    def _individual(self, weights, genome: Genome, parents=(), origin="random"):
        ind = creator.NeuroLabWeights(float(w) for w in weights)
        ind.genome, ind.candidate_id = genome.to_dict(), None
        ind.parents, ind.origin = tuple(parents), origin
        return ind

    def _first_genome(self) -> Genome:
        if self.settings.topology == "evolving":
            genome = self.space.random_genome(random)
        else:
            activation = self.settings.activation
            genome = Genome(layers=tuple(LayerGene(w, activation) for w in self.settings.layers))
        return _untrained(genome)

    def _initial_weights(self, genome: Genome) -> list[float]:
        """`build_model`'s initialisation, seeded from the engine's generator."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(random.randrange(2**31))
            return state_to_weights(
                genome, build_model(genome, self.n_inputs, self.n_outputs).state_dict()
            )

    # --- ask / tell ---------------------------------------------------------------------
    def ask(self) -> list[Proposal]:
        with engine_random(self, numpy_too=True), _one_blas_thread():
            if self.settings.algorithm == "cmaes":
                self.population = self._cma_generation()
            elif self.generation == 0:
                genomes = [self._first_genome() for _ in range(self.population_size)]
                if self.settings.topology == "fixed":
                    genomes = [genomes[0]] * self.population_size
                self.population = [self._individual(self._initial_weights(g), g) for g in genomes]
            else:
                self.population = self._next_population()
        self._pending = [ind for ind in self.population if not ind.fitness.valid]
        proposals = []
        for ind in self._pending:
            genome = Genome.from_dict(ind.genome)
            state = weights_to_state(genome, ind, self.n_inputs, self.n_outputs)
            parents = tuple(p for p in ind.parents if p is not None)
            proposals.append(Proposal(genome, parents, ind.origin, weights=safetensors_save(state)))
        return proposals

    def _cma_generation(self) -> list:
        if self.strategy is None:
            self._genome = self._first_genome()
            centroid = self._initial_weights(self._genome)
            self.strategy = cma.Strategy(
                centroid, self.settings.sigma, lambda_=self.population_size
            )
        genome = self._genome
        parents = tuple(ind.candidate_id for ind in self.population[: self.strategy.mu])
        origin = "cmaes" if self.generation else "random"
        return [
            self._individual(v, genome, parents if self.generation else (), origin)
            for v in self.strategy.generate(list)
        ]

    def _next_population(self) -> list:
        toolbox = base.Toolbox()
        elites = [toolbox.clone(ind) for ind in tools.selBest(self.population, self.elites)]
        chosen = tools.selTournament(
            self.population, self.population_size - len(elites), self.tournament_size
        )
        offspring = [toolbox.clone(ind) for ind in chosen]
        for ind in offspring:
            ind.parents, ind.origin = (ind.candidate_id,), "copy"
        for a, b in zip(offspring[::2], offspring[1::2], strict=False):
            if random.random() < self.crossover_prob and a.genome == b.genome:
                if self.settings.crossover == "sbx":
                    tools.cxSimulatedBinary(a, b, eta=SBX_ETA)
                else:
                    tools.cxBlend(a, b, alpha=BLEND_ALPHA)
                for ind in (a, b):
                    ind.parents, ind.origin = (a.candidate_id, b.candidate_id), "crossover"
                    del ind.fitness.values
        for i, ind in enumerate(offspring):
            if self.settings.topology == "evolving" and random.random() < STRUCTURE_PROB:
                ind = offspring[i] = self._reshape(ind)
            tools.mutGaussian(
                ind, mu=0.0, sigma=self.settings.sigma, indpb=self.settings.weight_mutation_prob
            )
            origin = ind.origin if ind.origin != "copy" else "mutation"
            ind.origin = origin if "weights" in origin else f"{origin}+weights"
            del ind.fitness.values
        return elites + offspring

    def _reshape(self, ind):
        """A structural mutation with the weights carried across it."""
        before = Genome.from_dict(ind.genome)
        after, name = mutate(before, self.space, random, STRUCTURAL)
        after = _untrained(after)
        if after == before:
            return ind
        state = weights_to_state(before, ind, self.n_inputs, self.n_outputs)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(random.randrange(2**31))
            fresh = build_model(after, self.n_inputs, self.n_outputs).state_dict()
        sources = after_mutation(before, after, own_sources(0, before))
        carried = carry_weights(after, sources, {0: (before, state)}, fresh, random)
        child = self._individual(state_to_weights(after, carried), after, ind.parents)
        child.origin = f"mutation:{name}"
        return child

    def tell(self, results: list[Evaluation]) -> None:
        if len(results) != len(self._pending):
            raise ValueError(f"expected {len(self._pending)} results, got {len(results)}")
        for ind, result in zip(self._pending, results, strict=True):
            # CMA-ES ranks by fitness; a failed network (-inf) must still sort below all.
            ind.fitness.values = (max(result.fitness, -1e300),)
            ind.candidate_id = result.candidate_id
        if self.strategy is not None:
            with engine_random(self, numpy_too=True), _one_blas_thread():
                self.strategy.update(self.population)
        self._pending = []
        self.generation += 1

    def done(self) -> bool:
        return self.generation >= self.generations

    def diversity(self) -> float:
        """Fixed topology: the root-mean-square distance between weight vectors, averaged over
        pairs; evolving: the mean `genome_distance` (weights of different shapes don't align)."""
        if self.settings.topology == "evolving":
            return mean_distance([Genome.from_dict(ind.genome) for ind in self.population])
        if len(self.population) < 2:
            return 0.0
        vectors = torch.tensor([list(ind) for ind in self.population], dtype=torch.float64)
        distances = torch.pdist(vectors) / vectors.shape[1] ** 0.5
        return float(distances.mean())

    # --- checkpoints --------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        strategy = None
        if self.strategy is not None:
            strategy = {key: np.asarray(getattr(self.strategy, key)).tolist() for key in _CMA_STATE}
            strategy["genome"] = self._genome.to_dict()
        return {
            "generation": self.generation,
            "rng": rng_to_json(self._rng_state),
            "np_rng": np_rng_to_json(self._np_state),
            "population": [_ind_to_json(ind) for ind in self.population],
            "cma": strategy,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.generation = int(state["generation"])
        self._rng_state = rng_from_json(state["rng"])
        self._np_state = np_rng_from_json(state["np_rng"])
        self.population = [self._ind_from_json(d) for d in state["population"]]
        saved = state.get("cma")
        if saved is not None:
            self._genome = Genome.from_dict(saved["genome"])
            self.strategy = cma.Strategy(
                saved["centroid"], saved["sigma"], lambda_=self.population_size
            )
            strategy = self.strategy
            for key in _CMA_STATE:
                value = saved[key]
                setattr(strategy, key, np.array(value) if isinstance(value, list) else value)
            # As the end of `Strategy.update` derives them from C.
            with _one_blas_thread():
                strategy.diagD, strategy.B = np.linalg.eigh(strategy.C)
            order = np.argsort(strategy.diagD)
            strategy.cond = strategy.diagD[order[-1]] / strategy.diagD[order[0]]
            strategy.diagD = strategy.diagD[order] ** 0.5
            strategy.B = strategy.B[:, order]
            strategy.BD = strategy.B * strategy.diagD

    def _ind_from_json(self, data: dict[str, Any]):
        ind = self._individual(
            data["weights"], Genome.from_dict(data["genome"]), data["parents"], data["origin"]
        )
        ind.candidate_id = data["candidate_id"]
        if data["fitness"] is not None:
            ind.fitness.values = tuple(data["fitness"])
        return ind


def _untrained(genome: Genome) -> Genome:
    """Nothing trains (epochs 0) and nothing drops out: the weights are what evolves."""
    layers = tuple(replace(layer, dropout=0.0) for layer in genome.layers)
    return replace(genome, layers=layers, epochs=0)


def _ind_to_json(ind) -> dict[str, Any]:
    return {
        "weights": [float(w) for w in ind],
        "genome": ind.genome,
        "candidate_id": ind.candidate_id,
        "parents": list(ind.parents),
        "origin": ind.origin,
        "fitness": list(ind.fitness.values) if ind.fitness.valid else None,
    }
