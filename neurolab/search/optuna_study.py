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

from neurolab.errors import SpecError

try:  # private: where a later Optuna moves it, the median pruner runs as it ships
    from optuna.pruners import _percentile
except ImportError:  # pragma: no cover
    _percentile = None
from neurolab.genome import SearchSpace

PRUNERS = ("none", "median", "halving", "hyperband")


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
    """`MedianPruner` that computes each epoch's median over the completed trials once, not
    once per report: they only change between generations, while every running candidate
    reports every epoch (Optuna's own recomputes it from every trial each time). The same
    decisions: the median is keyed by the epoch and how many trials have completed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._medians: dict[tuple[int, int], float] = {}

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        original = getattr(_percentile, "_get_percentile_intermediate_result_over_trials", None)
        if original is None:  # pragma: no cover - a later Optuna moved it: prune as it ships
            return super().prune(study, trial)

        def cached(completed, direction, step, percentile, n_min_trials):
            key = (len(completed), step)
            if key not in self._medians:
                if self._medians and next(iter(self._medians))[0] != key[0]:
                    self._medians.clear()  # a generation was told: older medians are stale
                args = (completed, direction, step, percentile, n_min_trials)
                self._medians[key] = original(*args)
            return self._medians[key]

        _percentile._get_percentile_intermediate_result_over_trials = cached
        try:
            return super().prune(study, trial)
        finally:
            _percentile._get_percentile_intermediate_result_over_trials = original


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
