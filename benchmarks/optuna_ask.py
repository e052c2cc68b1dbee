"""The cost of asking Optuna for a generation: stock `TPESampler` vs NeuroLab's `GenerationTpe`
(and, reporting epochs, stock `MedianPruner` vs `GenerationMedianPruner`).

    python benchmarks/optuna_ask.py [--generations 16] [--population 64] [--pruner median]

NeuroLab's Optuna engine (TPE, multivariate, grouped, constant liar) over the default search
space, driven with a toy fitness and toy per-epoch losses (no training: only the search's own
cost), once with Optuna's own `TPESampler` (the baseline) and once with `GenerationTpe`
(`neurolab.search.optuna_tpe`), in the same process. Printed: each generation's ask time for
both, the total and the ratio, whether both proposed the same networks (floats rounded to
1e-9), and the time the pruner's epoch reports took. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from unittest import mock


def drive(stock: bool, generations: int, population: int, pruner: str) -> tuple[list, list, float]:
    """(each generation's proposals as dicts, each generation's ask seconds, report seconds)."""
    from optuna.pruners import MedianPruner
    from optuna.samplers import TPESampler

    from neurolab.genome import SearchSpace
    from neurolab.search import optuna_samplers, optuna_search, optuna_study
    from neurolab.search.base import Evaluation
    from neurolab.spec import SearchSpaceSpec

    sampler = TPESampler if stock else optuna_samplers.GenerationTpe
    median = MedianPruner if stock else optuna_study.GenerationMedianPruner
    with (
        mock.patch.object(optuna_samplers, "GenerationTpe", sampler),
        mock.patch.object(optuna_study, "GenerationMedianPruner", median),
    ):
        space = SearchSpace.from_spec(SearchSpaceSpec())
        engine = optuna_search.OptunaSearch(
            space, population=population, generations=generations, seed=0, pruner=pruner
        )
        rng = random.Random(0)
        proposals, seconds, reporting = [], [], 0.0
        while not engine.done():
            start = time.perf_counter()
            asked = engine.ask()
            seconds.append(time.perf_counter() - start)
            start = time.perf_counter()
            for i in range(len(asked)):  # a few epochs each, for the pruner to judge
                for epoch in range(1, 8):
                    if engine.report(i, epoch, [rng.random() + 1 / epoch]) is not None:
                        break
            reporting += time.perf_counter() - start
            pruned = engine._pruned_at
            engine.tell(
                [Evaluation(p, i, rng.random(), pruned=i in pruned) for i, p in enumerate(asked)]
            )
            proposals.append([p.genome.to_dict() for p in asked])
    return proposals, seconds, reporting


def _rounded(value):
    return json.loads(json.dumps(value), parse_float=lambda x: round(float(x), 9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=16)
    parser.add_argument("--population", type=int, default=64)
    parser.add_argument("--pruner", default="median", choices=["none", "median", "hyperband"])
    args = parser.parse_args()
    stock, stock_s, stock_r = drive(True, args.generations, args.population, args.pruner)
    ours, ours_s, ours_r = drive(False, args.generations, args.population, args.pruner)
    print(f"ask of {args.population} trials per generation, seconds (stock TPE / GenerationTpe):")
    for g, (a, b) in enumerate(zip(stock_s, ours_s, strict=True)):
        print(f"  generation {g:2d} ({g * args.population:5d} trials before): {a:6.2f} / {b:6.2f}")
    same = _rounded(stock) == _rounded(ours)
    ratio = sum(stock_s) / sum(ours_s)
    print(f"total {sum(stock_s):.1f} s / {sum(ours_s):.1f} s: {ratio:.2f}x; same proposals: {same}")
    print(f"pruner reports: {stock_r:.2f} s / {ours_r:.2f} s: {stock_r / max(ours_r, 1e-9):.2f}x")
    print(
        json.dumps(
            {
                "stock_s": stock_s,
                "ours_s": ours_s,
                "ratio": ratio,
                "same": same,
                "report_s": [stock_r, ours_r],
            }
        )
    )


if __name__ == "__main__":
    main()
