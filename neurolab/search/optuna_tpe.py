"""Optuna's TPE at half the cost per ask, with the same proposals (up to float rounding).

A NeuroLab generation asks `population` trials at once, and TPE's ask costs O(trials in the
study): on the small sets the asks of a generation of 64 took as long as training it (README,
"Search quality"). Two costs go, neither changing what TPE proposes:

- the relative search space is computed once per generation instead of once per trial: it is
  the union of the completed trials' spaces, and no trial completes while a generation is
  asked (not with Hyperband, whose brackets give each trial a space of its own);
- the truncated-normal mass of the Parzen estimators uses `scipy.special.log_ndtr` instead of
  Optuna's pure-Python one called per element (optuna/optuna#5478); they agree to 1e-12
  absolute. Only inside this sampler's calls: other Optuna users in the process are untouched.

`python benchmarks/optuna_ask.py` measures both against stock `TPESampler`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import optuna
import scipy.special
from optuna.distributions import BaseDistribution
from optuna.pruners import HyperbandPruner
from optuna.samplers import TPESampler
from optuna.trial import FrozenTrial

try:  # private: where a later Optuna moves it, TPE runs as it ships
    from optuna.samplers._tpe import _truncnorm
except ImportError:  # pragma: no cover
    _truncnorm = None


@contextmanager
def _vectorised_log_ndtr() -> Iterator[None]:
    original = getattr(_truncnorm, "_log_ndtr", None)
    if original is None:
        yield
        return
    _truncnorm._log_ndtr = scipy.special.log_ndtr
    try:
        yield
    finally:
        _truncnorm._log_ndtr = original


class GenerationTpe(TPESampler):
    """`TPESampler` for one generation's asks (NeuroLab builds one per generation)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._generation_space: dict[str, BaseDistribution] | None = None

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
