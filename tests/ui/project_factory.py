"""Project files of any size, written with the engine's own `ProjectStore` (no training needed)."""

from __future__ import annotations

import math
import random
from pathlib import Path

from neurolab.events import CandidateRecord, GenerationFinished
from neurolab.genome import SearchSpace
from neurolab.model import build_model, parameter_count
from neurolab.spec import ExperimentSpec
from neurolab.store import ProjectStore

POPULATION = 50
EPOCHS = 40


def write_project(path: Path, candidates: int, status: str = "finished") -> Path:
    """A moons run of `candidates` plausible candidates; the last one is the best and keeps its
    (untrained) weights, so a reopened window can draw its boundary."""
    from safetensors.torch import save as safetensors_save

    generations = max(1, math.ceil(candidates / POPULATION))
    spec = ExperimentSpec.from_dict(
        {
            "name": "moons",
            "data": {"name": "moons"},
            "task": "classification",
            "engine": {"population": POPULATION},
            "budget": {"generations": generations},
        }
    )
    space = SearchSpace.from_spec(spec.search_space)
    rng = random.Random(0)
    with ProjectStore(path) as store:
        run_id = store.create_run(spec.to_dict(), "accuracy", "cpu", ["written by a test"])
        by_generation: dict[int, list[float]] = {}
        for cid in range(1, candidates + 1):
            genome = space.random_genome(rng)
            generation = (cid - 1) // POPULATION
            best = cid == candidates
            score = 0.97 if best else 0.6 + 0.3 * rng.random() * (generation + 1) / generations
            losses = tuple(0.7 * math.exp(-e / 10) + 0.1 * rng.random() for e in range(EPOCHS))
            record = CandidateRecord(
                candidate_id=cid,
                generation=generation,
                genome=genome.to_dict(),
                status="ok",
                val_metric=score,
                test_metric=score - 0.01,
                train_metric=score + 0.01,
                params=parameter_count(genome, 2, 2),
                epochs=EPOCHS,
                seconds=0.3,
                train_losses=losses,
                val_losses=tuple(v + 0.05 for v in losses),
            )
            weights = None
            if best:
                weights = safetensors_save(build_model(genome, 2, 2).state_dict())
            store.add_candidate(run_id, record, weights)
            by_generation.setdefault(generation, []).append(score)
        best_so_far = 0.0
        for generation, scores in sorted(by_generation.items()):
            best_so_far = max(best_so_far, *scores)
            store.add_generation(
                run_id,
                GenerationFinished(
                    generation,
                    max(scores),
                    sum(scores) / len(scores),
                    min(scores),
                    len(scores),
                    0,
                    best_so_far,
                    None,
                    1.0,
                ),
            )
        store.finish_run(run_id, status, 60.0)
    return path
