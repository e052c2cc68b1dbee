"""Gradient-free neuroevolution against baselines measured in the same run.

1. The classic 4-row XOR truth table, solved when 4 - sum((p - y)^2) >= 3.9 (the threshold of
   NEAT-Python's own XOR example; p = the network's probability of class 1): NeuroLab's
   CMA-ES and GA (engine + one batched forward pass per generation, the Runner's engine and
   evaluator without the project file) against NEAT-Python with its example configuration,
   wall time to a solution over several seeds, medians. Needs `pip install neat-python`.
2. The built-in xor (500 noisy points) and moons (noise 0.25, Bayes accuracy ~0.944) through
   the Runner with mode "neuroevolution" (no gradient step at all): test accuracy of the run's
   best (by validation), against an RBF `SVC` on the same split, and time per generation.

    PYTHONPATH=$PWD python3 benchmarks/neuroevolution.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load

from neurolab.data import load_data
from neurolab.data.dataset import PreparedData
from neurolab.genome import Genome, SearchSpace
from neurolab.model import build_model
from neurolab.runner import Runner
from neurolab.search.base import Evaluation
from neurolab.search.neuroevolution import Neuroevolution
from neurolab.spec import ExperimentSpec, NeuroevolutionSpec, SearchSpaceSpec
from neurolab.store import ProjectStore
from neurolab.train.evaluate import evaluate_population

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.int64)
SOLVED = 3.9
MAX_GENERATIONS = 300

NEAT_CONFIG = """
[NEAT]
fitness_criterion     = max
fitness_threshold     = 3.9
pop_size              = 150
reset_on_extinction   = False
no_fitness_termination = False

[DefaultGenome]
activation_default      = sigmoid
activation_mutate_rate  = 0.0
activation_options      = sigmoid
aggregation_default     = sum
aggregation_mutate_rate = 0.0
aggregation_options     = sum
bias_init_mean          = 0.0
bias_init_stdev         = 1.0
bias_max_value          = 30.0
bias_min_value          = -30.0
bias_mutate_power       = 0.5
bias_mutate_rate        = 0.7
bias_replace_rate       = 0.1
compatibility_disjoint_coefficient = 1.0
compatibility_weight_coefficient   = 0.5
conn_add_prob           = 0.5
conn_delete_prob        = 0.5
enabled_default         = True
enabled_mutate_rate     = 0.01
feed_forward            = True
initial_connection      = full
node_add_prob           = 0.2
node_delete_prob        = 0.2
num_hidden              = 0
num_inputs              = 2
num_outputs             = 1
response_init_mean      = 1.0
response_init_stdev     = 0.0
response_max_value      = 30.0
response_min_value      = -30.0
response_mutate_power   = 0.0
response_mutate_rate    = 0.0
response_replace_rate   = 0.0
weight_init_mean        = 0.0
weight_init_stdev       = 1.0
weight_max_value        = 30
weight_min_value        = -30
weight_mutate_power     = 0.5
weight_mutate_rate      = 0.8
weight_replace_rate     = 0.1

[DefaultSpeciesSet]
compatibility_threshold = 3.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation       = 20
species_elitism      = 2

[DefaultReproduction]
elitism            = 2
survival_threshold = 0.2
"""


def truth_table() -> PreparedData:
    return PreparedData(
        "classification", XOR_X, XOR_Y, XOR_X, XOR_Y, XOR_X, XOR_Y, ["a", "b"], ["0", "1"]
    )


def neurolab_xor(algorithm: str, seed: int) -> tuple[float, int, bool]:
    """Seconds and generations until the best network of a generation solves the table."""
    data = truth_table()
    settings = NeuroevolutionSpec(algorithm=algorithm, layers=[4], sigma=1.0)
    space = SearchSpace.from_spec(SearchSpaceSpec())
    start = time.perf_counter()
    engine = Neuroevolution(
        space,
        settings,
        population=16,
        generations=MAX_GENERATIONS,
        seed=seed,
        n_inputs=2,
        n_outputs=2,
    )
    x, next_id = torch.as_tensor(XOR_X), 0
    while not engine.done():
        proposals = engine.ask()
        states = [load(p.weights) for p in proposals]
        results = evaluate_population([p.genome for p in proposals], states, data)
        evaluations = []
        for proposal, result in zip(proposals, results, strict=True):
            next_id += 1
            fitness = -result.train_losses[0] if result.status == "ok" else float("-inf")
            evaluations.append(Evaluation(proposal, next_id, fitness))
        engine.tell(evaluations)
        best = max(range(len(results)), key=lambda i: evaluations[i].fitness)
        if _xor_score(proposals[best].genome, states[best], x) >= SOLVED:
            return time.perf_counter() - start, engine.generation, True
    return time.perf_counter() - start, engine.generation, False


def _xor_score(genome: Genome, state, x: torch.Tensor) -> float:
    model = build_model(genome, 2, 2)
    model.load_state_dict(state)
    with torch.no_grad():
        p = torch.softmax(model(x), dim=1)[:, 1].numpy()
    return 4.0 - float(((p - XOR_Y) ** 2).sum())


def neat_xor(seed: int, config_path: Path) -> tuple[float, int, bool]:
    import neat

    random.seed(seed)
    config = neat.Config(
        neat.DefaultGenome,
        neat.DefaultReproduction,
        neat.DefaultSpeciesSet,
        neat.DefaultStagnation,
        str(config_path),
    )

    def eval_genomes(genomes, config):
        for _, genome in genomes:
            net = neat.nn.FeedForwardNetwork.create(genome, config)
            genome.fitness = 4.0 - sum(
                (net.activate(tuple(row))[0] - y) ** 2 for row, y in zip(XOR_X, XOR_Y, strict=True)
            )

    start = time.perf_counter()
    population = neat.Population(config)
    winner = population.run(eval_genomes, MAX_GENERATIONS)
    seconds = time.perf_counter() - start
    return seconds, population.generation, winner is not None and winner.fitness >= SOLVED


def xor_race(seeds: int) -> None:
    print(f"XOR truth table, solved = 4 - sum((p - y)^2) >= {SOLVED}, {seeds} seeds:")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "neat.cfg"
        config.write_text(NEAT_CONFIG)
        runs = {
            "neurolab cmaes": lambda s: neurolab_xor("cmaes", s),
            "neurolab ga": lambda s: neurolab_xor("ga", s),
            "neat-python": lambda s: neat_xor(s, config),
        }
        for name, run in runs.items():
            outcomes = [run(seed) for seed in range(seeds)]
            seconds = statistics.median(o[0] for o in outcomes)
            generations = statistics.median(o[1] for o in outcomes)
            solved = sum(o[2] for o in outcomes)
            rows[name] = seconds
            print(
                f"  {name:<15} median {seconds * 1000:8.1f} ms, {generations:5.0f} generations,"
                f" solved {solved}/{seeds}"
            )
    for name in ("neurolab cmaes", "neurolab ga"):
        print(f"  {name}: {rows['neat-python'] / rows[name]:.1f}x faster than neat-python")


def runner_accuracy(name: str, params: dict, generations: int, algorithm: str) -> None:
    from sklearn.svm import SVC

    spec = ExperimentSpec.from_dict(
        {
            "name": name,
            "data": {"name": name, "params": params},
            "mode": "neuroevolution",
            "engine": {"population": 16, "elites": 2},
            "budget": {"generations": generations},
            "neuroevolution": {"algorithm": algorithm, "layers": [8], "sigma": 0.5},
            "seed": 0,
        }
    )
    data = load_data(spec.data, spec.task, spec.seed)
    svc = SVC(kernel="rbf").fit(data.x_train, data.y_train).score(data.x_test, data.y_test)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "ne.nlab"
        summary = Runner(spec, project, data=data).run()
        with ProjectStore(project, create=False) as store:
            per_generation = statistics.median(g.seconds for g in store.generations(1))
    print(
        f"  {name} {params}: {algorithm} test accuracy {summary.best.test_metric:.4f}"
        f" vs RBF SVC {svc:.4f} ({(summary.best.test_metric - svc) * 100:+.1f} points),"
        f" {generations} generations, median {per_generation * 1000:.1f} ms per generation"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and generations")
    args = parser.parse_args()
    torch.set_num_threads(1)
    xor_race(3 if args.quick else 10)
    generations = 60 if args.quick else 150
    print("Through the Runner (mode neuroevolution, population 16, a 2-8-2 tanh network):")
    for algorithm in ("cmaes", "ga"):
        runner_accuracy("xor", {"n_samples": 500, "seed": 0}, generations, algorithm)
        runner_accuracy(
            "moons", {"n_samples": 1000, "noise": 0.25, "seed": 0}, generations, algorithm
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
