"""A study's finished trials as plain JSON, and back: the checkpoint in the `.nlab` file.

Only plain values are kept (parameters, objective values, state, intermediate values and the
pruners' and NSGA-II's numeric attributes): never a pickle, so a project file from a stranger
restores without running code. CMA-ES keeps its distribution as a pickle in Optuna's trial
attributes; it stays out, and `OptunaSearch.restore` replays the generations instead.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from optuna.trial import FrozenTrial, TrialState

from neurolab.search.optuna_samplers import ResumableNsga2

# 2 added intermediate values (pruning), 3 every objective's value (several objectives); the
# older ones restore as before.
STATE_VERSION = 3


def study_state(study: optuna.Study, sampler: str, generation: int) -> dict[str, Any]:
    """Every finished trial, with each parameter's distribution stored once."""
    trials = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    distributions: dict[str, str] = {}
    for trial in trials:
        for name, dist in trial.distributions.items():
            if name not in distributions:  # (its JSON costs more than the lookup)
                distributions[name] = distribution_to_json(dist)
    return {
        "version": STATE_VERSION,
        "sampler": sampler,
        "generation": generation,
        "distributions": distributions,
        "trials": [
            {
                "generation": trial.user_attrs.get("generation"),
                "candidate_id": trial.user_attrs.get("candidate_id"),
                "params": trial.params,
                "values": trial.values,
                "state": trial.state.name,
                "intermediate": {str(k): v for k, v in trial.intermediate_values.items()},
                "system_attrs": _plain_system_attrs(trial.system_attrs),
            }
            for trial in trials
        ],
    }


def saved_trials(state: dict[str, Any]) -> list[FrozenTrial]:
    """The trials of a `study_state`, ready for `study.add_trial`."""
    distributions = {
        name: json_to_distribution(text) for name, text in state["distributions"].items()
    }
    return [_frozen(saved, distributions) for saved in state["trials"]]


def saved_values(saved: dict[str, Any]) -> list[float] | None:
    """A checkpointed trial's objective values (version ≤ 2 kept only "value")."""
    if saved.get("values") is not None:
        return list(saved["values"])
    return None if saved.get("value") is None else [saved["value"]]


def _plain_system_attrs(system_attrs: dict[str, Any]) -> dict[str, Any]:
    """The system attributes a checkpoint keeps, all plain numbers: successive halving's (and
    Hyperband's) record of the rungs a trial passed, and NSGA-II's generation of the trial.
    (Others, such as CMA-ES's pickled state, stay out of checkpoints.)"""
    return {
        k: v
        for k, v in system_attrs.items()
        if k.startswith("completed_rung_") or k == ResumableNsga2._get_generation_key()
    }


def _frozen(saved: dict[str, Any], distributions: dict[str, BaseDistribution]) -> FrozenTrial:
    user_attrs = {"generation": saved["generation"]}
    if saved.get("candidate_id") is not None:
        user_attrs["candidate_id"] = saved["candidate_id"]
    state = TrialState[saved["state"]]
    values = saved_values(saved) if state in (TrialState.COMPLETE, TrialState.PRUNED) else None
    return optuna.trial.create_trial(
        state=state,
        values=values,
        params=saved["params"],
        distributions={name: distributions[name] for name in saved["params"]},
        user_attrs=user_attrs,
        intermediate_values={int(k): v for k, v in saved.get("intermediate", {}).items()},
        system_attrs=dict(saved.get("system_attrs", saved.get("rungs", {}))),  # v2: "rungs"
    )
