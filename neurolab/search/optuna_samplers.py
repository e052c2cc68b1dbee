"""The samplers a NeuroLab Optuna study can use, each built for one generation's asks.

NeuroLab rebuilds the sampler at every generation with a seed derived from (run seed,
generation): what it proposes depends only on the study's history and that seed, so a study
restored from a checkpoint proposes exactly what the uninterrupted one would.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, CmaEsSampler, NSGAIISampler, RandomSampler
from optuna.trial import FrozenTrial

from neurolab.genome import SearchSpace
from neurolab.search.optuna_study import quiet
from neurolab.search.optuna_tpe import GenerationTpe

SAMPLERS = ("tpe", "cmaes", "random", "nsga2")


def make_sampler(name: str, space: SearchSpace, population: int, seed: int) -> BaseSampler:
    """Sampler `name` (one of `SAMPLERS`) for one generation of `population` trials."""
    with quiet():
        if name == "random":
            return RandomSampler(seed=seed)
        if name == "nsga2":
            # One NSGA-II generation = one NeuroLab generation (its trials are asked
            # together, so every one of them has the same parents).
            return ResumableNsga2(seed=seed, population_size=population)
        if name == "cmaes":
            return _FixedSpaceCmaEs(
                _always_present(space),
                seed=seed,
                popsize=population,  # one CMA-ES generation = one NeuroLab generation
                independent_sampler=GenerationTpe(seed=seed, multivariate=False),
                warn_independent_sampling=False,  # expected for layers and choices
            )
        # group=True: multivariate TPE over each set of parameters that occur together,
        # which is what a conditional (define-by-run) space needs.
        return GenerationTpe(
            seed=seed,
            multivariate=True,
            group=True,
            constant_liar=True,
            # Model-based from the second generation on (or after Optuna's 10 start-up
            # trials, when generations are larger), not only from the third.
            n_startup_trials=min(10, population),
        )


def _always_present(space: SearchSpace) -> frozenset[str]:
    """The parameters every trial has: the only ones CMA-ES can model (it needs a fixed space)."""
    names = {"n_layers", "learning_rate", "epochs"}
    for k in range(space.min_layers):
        names |= {f"width_{k}", f"dropout_{k}"}
    return frozenset(names)


class _FixedSpaceCmaEs(CmaEsSampler):
    """CMA-ES over the numeric parameters every trial has; the rest go to the independent sampler.

    Plain `CmaEsSampler` models the intersection of the finished trials' spaces, which shrinks
    the first time a shallower network finishes (`width_0` disappears with a 0-layer trial);
    Optuna then gives up on CMA-ES for the rest of the study. Fixing the space avoids that.
    """

    def __init__(self, names: frozenset[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._names = names

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = super().infer_relative_search_space(study, trial)
        return {name: dist for name, dist in space.items() if name in self._names}


class ResumableNsga2(NSGAIISampler):
    """NSGA-II whose parents come in trial order, whether computed now or read from its cache.

    Optuna caches each generation's parents (as trial ids, in trial order) in the study, but
    returns freshly computed ones in rank order, and the order breaks crowding-distance ties
    when the next parents are chosen. A restored study recomputes what the uninterrupted one
    read from its cache, so without this the two would choose different parents.
    """

    def get_parent_population(self, study: optuna.Study, generation: int) -> list[FrozenTrial]:
        return sorted(super().get_parent_population(study, generation), key=lambda t: t.number)
