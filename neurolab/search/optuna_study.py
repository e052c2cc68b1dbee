"""Where an Optuna study lives and how it prunes: the pruners and storages a spec can name.

Pruners see the *negated validation loss* of each epoch as the trial's intermediate value (the
study maximises, and the loss is a smoother signal than accuracy on a small validation split;
it is also what the project file stores per epoch, so a resumed run reports the same values).

Storage: none keeps the study in memory, checkpointed into the `.nlab` file; a URL with
"://" is an Optuna RDB storage (`sqlite:///study.db`, `postgresql://user:pw@host/db`); any
other text is a journal file (`optuna.storages.JournalStorage`), which several processes on
one machine or a shared file system can append to safely.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
from optuna.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    SuccessiveHalvingPruner,
)
from optuna.study import StudyDirection
from optuna.trial import TrialState

from neurolab.errors import SpecError

try:  # private: where a later Optuna moves or renames them, the median pruner runs as it ships
    from optuna.pruners import _percentile

    _HELPERS = (
        "_is_first_in_interval_step",
        "_get_best_intermediate_result_over_steps",
        "_get_percentile_intermediate_result_over_trials",
    )
    if not all(hasattr(_percentile, name) for name in _HELPERS):
        _percentile = None  # pragma: no cover
except ImportError:  # pragma: no cover
    _percentile = None
from neurolab.genome import SearchSpace

PRUNERS = ("none", "median", "halving", "hyperband")


@contextmanager
def quiet() -> Iterator[None]:
    """Keep Optuna's per-study INFO lines and experimental-feature warnings off the console."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(level)


def make_pruner(name: str, space: SearchSpace) -> BasePruner:
    """The named pruner, set for epochs as the resource (min_epochs .. max_epochs).

    Each waits a quarter of the shortest training (`min_epochs`) before its first decision:
    the first few epochs' losses say more about the learning rate than about the network.
    """
    warm_up = max(1, space.min_epochs // 4)
    if name == "none":
        return NopPruner()
    if name == "median":
        # Compares with the median of the trials that completed: in NeuroLab those of earlier
        # generations, so its decisions do not depend on the order epochs arrive in.
        return GenerationMedianPruner(n_startup_trials=5, n_warmup_steps=warm_up)
    if name == "halving":
        return SuccessiveHalvingPruner(min_resource=warm_up)
    if name == "hyperband":
        return HyperbandPruner(min_resource=warm_up, max_resource=space.max_epochs)
    raise SpecError(f"engine.pruner: {name!r} is not one of {', '.join(PRUNERS)}")


class GenerationMedianPruner(MedianPruner):
    """`MedianPruner` that reads the completed trials, and each epoch's median over them, once
    per generation instead of once per report: every running candidate reports every epoch,
    and Optuna's own re-reads the whole study each time (O(trials) in Python, in the process
    that feeds the workers). In NeuroLab no trial completes during a generation (they are told
    at its end), so the decisions are the same; `new_generation()` drops what it kept. (A shared
    study's other processes do complete trials meanwhile: those count from the next generation.)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._completed: list[optuna.trial.FrozenTrial] | None = None
        self._medians: dict[int, float] = {}  # epoch -> median over the completed trials

    def new_generation(self) -> None:
        self._completed = None
        self._medians.clear()

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        if _percentile is None:  # pragma: no cover - a later Optuna moved it: prune as it ships
            return super().prune(study, trial)
        if self._completed is None:
            self._completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        # PercentilePruner.prune (Optuna 3.6 - 5.1), with the completed trials and medians kept.
        completed, step = self._completed, trial.last_step
        if not completed or len(completed) < self._n_startup_trials or step is None:
            return False
        if step < self._n_warmup_steps:
            return False
        if not _percentile._is_first_in_interval_step(
            step, trial.intermediate_values.keys(), self._n_warmup_steps, self._interval_steps
        ):
            return False
        direction = study.direction
        best = _percentile._get_best_intermediate_result_over_steps(trial, direction)
        if math.isnan(best):
            return True
        if step not in self._medians:
            self._medians[step] = _percentile._get_percentile_intermediate_result_over_trials(
                completed, direction, step, self._percentile, self._n_min_trials
            )
        median = self._medians[step]
        if math.isnan(median):
            return False
        return best < median if direction == StudyDirection.MAXIMIZE else best > median


def make_storage(text: str | None) -> optuna.storages.BaseStorage | None:
    """None (in memory), an RDB URL, or a journal file path; a bad one is a `SpecError`."""
    if not text:
        return None
    try:
        if "://" in text:
            return optuna.storages.RDBStorage(text)
        from optuna.storages.journal import JournalFileBackend

        path = Path(text).expanduser()
        if not path.parent.is_dir():
            raise SpecError(f"engine.storage: folder {path.parent} does not exist")
        return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    except SpecError:
        raise
    except ImportError as exc:  # e.g. a PostgreSQL URL without its driver installed
        raise SpecError(
            f"engine.storage: {text!r} needs a package that is missing ({exc})"
        ) from None
    except Exception as exc:  # bad URL, unreachable server, unreadable journal
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"engine.storage: cannot open {text!r} ({detail})") from None
