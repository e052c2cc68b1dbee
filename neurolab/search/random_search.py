"""Random search over the same space: the baseline every comparison needs."""

from __future__ import annotations

import random
from typing import Any

from neurolab.genome import SearchSpace
from neurolab.search.base import Evaluation, Proposal, rng_from_json, rng_to_json


class RandomSearch:
    """Each generation is `population` independent random genomes."""

    def __init__(self, space: SearchSpace, population: int, generations: int, seed: int) -> None:
        self.space, self.population, self.generations = space, population, generations
        self.rng = random.Random(seed)
        self.generation = 0

    def ask(self) -> list[Proposal]:
        return [Proposal(self.space.random_genome(self.rng)) for _ in range(self.population)]

    def tell(self, results: list[Evaluation]) -> None:
        self.generation += 1

    def done(self) -> bool:
        return self.generation >= self.generations

    def state(self) -> dict[str, Any]:
        return {"generation": self.generation, "rng": rng_to_json(self.rng.getstate())}

    def restore(self, state: dict[str, Any]) -> None:
        self.generation = int(state["generation"])
        self.rng.setstate(rng_from_json(state["rng"]))
