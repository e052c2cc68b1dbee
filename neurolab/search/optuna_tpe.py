"""Optuna's TPE at a fraction of the cost per ask, with the same proposals (up to float rounding).

A NeuroLab generation asks `population` trials at once, and TPE's ask costs O(trials in the
study) in Python: on the small sets the asks of a generation of 64 took longer than training
it (README, "Search quality"), the workers idle meanwhile. Three costs go, none changing what
TPE proposes, all resting on this: no trial finishes while a generation is asked.

- the relative search space is computed once per generation instead of once per trial: it is
  the union of the completed trials' spaces (not with Hyperband, whose brackets give each
  trial a space of its own);
- the finished trials are split into "below" and "above" once per generation and parameter
  group, and below's Parzen estimator is built once: with the constant liar, each ask only
  adds the generation's earlier (running) trials to "above", which is all it recomputes;
- the truncated-normal mass of the Parzen estimators uses `scipy.special.log_ndtr` and
  `scipy.special.erf` instead of Optuna's pure-Python ones called per element (optuna/optuna#5478;
  its `erf` is per element below 2000 values); they agree to 1e-12 absolute. Only inside this
  sampler's calls: other Optuna users in the process are untouched.

`python benchmarks/optuna_ask.py` measures both against stock `TPESampler`."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import scipy.special
from optuna.distributions import BaseDistribution
from optuna.pruners import HyperbandPruner
from optuna.samplers import TPESampler
from optuna.trial import FrozenTrial, TrialState

try:  # private: where a later Optuna moves them, TPE runs as it ships
    from optuna.samplers._tpe import _truncnorm
except ImportError:  # pragma: no cover
    _truncnorm = None
try:
    from optuna.samplers._tpe.sampler import _split_trials, default_gamma

    if len(inspect.signature(_split_trials).parameters) != 3:  # (study, trials, n_below)
        _split_trials = None  # pragma: no cover
except ImportError:  # pragma: no cover
    _split_trials = None

_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


_VECTORISED = {"_log_ndtr": scipy.special.log_ndtr, "erf": scipy.special.erf}


@contextmanager
def _vectorised_log_ndtr() -> Iterator[None]:
    originals = {name: getattr(_truncnorm, name, None) for name in _VECTORISED}
    if None in originals.values():
        yield
        return
    for name, function in _VECTORISED.items():
        setattr(_truncnorm, name, function)
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(_truncnorm, name, function)


@dataclass
class _Split:
    """One parameter group's view of the finished trials, for the asks of one generation."""

    finished: int  # how many trials had finished when it was made (none runs among them)
    below: Any  # the Parzen estimator of the best ones
    above: dict[str, list]  # internal values of the rest, in trial order
    running: dict[int, dict[str, list]] = field(default_factory=dict)  # by trial number


class GenerationTpe(TPESampler):
    """`TPESampler` for one generation's asks (NeuroLab builds one per generation)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._generation_space: dict[str, BaseDistribution] | None = None
        self._splits: dict[tuple, _Split] = {}

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if isinstance(study.pruner, HyperbandPruner):
            return super().infer_relative_search_space(study, trial)
        if self._generation_space is None:  # also keeps the groups `sample_relative` reads
            self._generation_space = super().infer_relative_search_space(study, trial)
        return self._generation_space

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        with _vectorised_log_ndtr():
            return super().sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with _vectorised_log_ndtr():
            return super().sample_independent(study, trial, param_name, param_distribution)

    def _sample(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Stock `TPESampler._sample` with the finished trials' part kept per generation."""
        if not self._constant_liar or _split_trials is None or study._is_multi_objective():
            return super()._sample(study, trial, search_space)
        if self._constraints_func is not None:
            return super()._sample(study, trial, search_space)
        trials = study._get_trials(deepcopy=False, states=_STATES, use_cache=False)
        head = len(trials)  # finished trials, then this generation's running ones
        while head and trials[head - 1].state == TrialState.RUNNING:
            head -= 1
        running = [t for t in trials[head:] if t.number != trial.number]
        if self._gamma is None:
            self._gamma = default_gamma
        key = tuple(search_space.items())  # one study: a sampler lives for one generation
        split = self._splits.get(key)
        if split is None or split.finished != head:  # finished trials never run again
            finished = trials[:head]
            if any(t.state == TrialState.RUNNING for t in finished):
                # A shared study: another process's trial still runs among finished ones, so
                # "above" in trial order is not finished-then-running.
                return super()._sample(study, trial, search_space)
            below, above = _split_trials(study, finished, self._gamma(head))
            mpe_below = self._build_parzen_estimator(study, search_space, below, handle_below=True)
            split = _Split(head, mpe_below, self._values(above, search_space, study))
            self._splits[key] = split
        values = {name: list(column) for name, column in split.above.items()}
        for other in running:
            if other.number not in split.running:
                split.running[other.number] = self._values([other], search_space, study)
            for name, column in split.running[other.number].items():
                values[name] += column
        observations = {name: np.asarray(column) for name, column in values.items()}
        mpe_above = self._parzen_estimator_cls(
            observations, search_space, self._parzen_estimator_parameters
        )
        samples_below = split.below.sample(self._rng.rng, self._n_ei_candidates)
        acq_func_vals = self._compute_acquisition_func(samples_below, split.below, mpe_above)
        ret = TPESampler._compare(samples_below, acq_func_vals)
        for param_name, dist in search_space.items():
            ret[param_name] = dist.to_external_repr(ret[param_name])
        return ret

    def _values(
        self, trials: list[FrozenTrial], search_space: dict[str, BaseDistribution], study
    ) -> dict[str, list]:
        """`_get_internal_repr`'s values as lists: the trials that have every parameter."""
        values: dict[str, list] = {name: [] for name in search_space}
        for trial in trials:
            params = self._get_params(trial, study)
            if search_space.keys() <= params.keys():
                for name, distribution in search_space.items():
                    values[name].append(distribution.to_internal_repr(params[name]))
        return values
