"""What Optuna users expect to see of a search, computed from the stored candidates alone.

No engine is needed, so the GUI and `neurolab-run show` can show them for any saved project
(GA, random or Optuna runs alike): the per-trial table, the optimisation history (best so far
after each candidate) and parameter importances (Optuna's fANOVA over the candidates that
finished). Parameters are named as the Optuna engine names them: `n_layers`, `width_k`,
`activation_k`, `dropout_k`, `optimizer`, `learning_rate`, `weight_decay`, `batch_size`,
`epochs`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from neurolab.events import CandidateRecord

if TYPE_CHECKING:
    import optuna

MIN_TRIALS_FOR_IMPORTANCE = 4  # fANOVA on fewer finished trials says nothing useful
LOG_SCALE = ("learning_rate",)  # also every width_k


def trial_params(genome: dict[str, Any]) -> dict[str, Any]:
    """A stored genome as flat, Optuna-style parameters."""
    params: dict[str, Any] = {"n_layers": len(genome["layers"])}
    for k, layer in enumerate(genome["layers"]):
        params[f"width_{k}"] = int(layer["width"])
        params[f"activation_{k}"] = layer["activation"]
        params[f"dropout_{k}"] = float(layer.get("dropout", 0.0))
    for name in ("optimizer", "learning_rate", "weight_decay", "batch_size", "epochs"):
        params[name] = genome[name]
    return params


def _scored(record: CandidateRecord) -> bool:
    value = record.val_metric
    return record.status == "ok" and value is not None and math.isfinite(value)


def trials_table(records: list[CandidateRecord]) -> list[dict[str, Any]]:
    """One row per candidate, in id order: its numbers and its parameters."""
    return [
        {
            "candidate_id": r.candidate_id,
            "generation": r.generation,
            "state": r.status,
            "value": r.val_metric if r.status != "failed" else None,
            "test": r.test_metric,
            "epochs": r.epochs,
            "seconds": r.seconds,
            "params": trial_params(r.genome),
        }
        for r in sorted(records, key=lambda r: r.candidate_id)
    ]


def optimisation_history(records: list[CandidateRecord]) -> list[dict[str, Any]]:
    """Per candidate in id order: its value (None unless it finished) and the best so far."""
    best: float | None = None
    rows = []
    for record in sorted(records, key=lambda r: r.candidate_id):
        value = record.val_metric if _scored(record) else None
        if value is not None and (best is None or value > best):
            best = value
        rows.append({"candidate_id": record.candidate_id, "value": value, "best": best})
    return rows


def param_importances(records: list[CandidateRecord], seed: int = 0) -> dict[str, float]:
    """fANOVA importance of each parameter every finished candidate has ({} while too few)."""
    scored = [r for r in records if _scored(r)]
    if len(scored) < MIN_TRIALS_FOR_IMPORTANCE:
        return {}
    return fanova_importances(_study(scored), seed)


def fanova_importances(
    study: optuna.Study,
    seed: int,
    target: Callable[[optuna.trial.FrozenTrial], float] | None = None,
) -> dict[str, float]:
    """Optuna's fANOVA importances of a study's complete trials ({} where it cannot tell),
    for the study's objective or `target` (which a multi-objective study needs).

    Conditional parameters (a layer's width when depths vary) are left out by Optuna, since
    not every trial has them.
    """
    from optuna.trial import TrialState

    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(finished) < MIN_TRIALS_FOR_IMPORTANCE:
        return {}
    # Imported here: optuna.importance pulls in scikit-learn (over a second).
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances

    from neurolab.search.optuna_study import quiet

    try:
        with quiet():
            importances = get_param_importances(
                study, evaluator=FanovaImportanceEvaluator(seed=seed), target=target
            )
    except (ValueError, RuntimeError):  # e.g. no parameter shared by every trial
        return {}
    return {name: float(v) for name, v in importances.items() if math.isfinite(v)}


def _study(records: list[CandidateRecord]) -> optuna.Study:
    """An in-memory study of finished candidates; distributions span the values seen."""
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    from neurolab.search.optuna_study import quiet

    params = [trial_params(r.genome) for r in records]
    seen: dict[str, list[Any]] = {}
    for row in params:
        for name, value in row.items():
            seen.setdefault(name, []).append(value)
    distributions: dict[str, Any] = {}
    for name, values in seen.items():
        if all(isinstance(v, int | float) for v in values) and not name.startswith("batch"):
            low, high = float(min(values)), float(max(values))
            log = (name in LOG_SCALE or name.startswith("width_")) and low > 0
            distributions[name] = FloatDistribution(low, max(high, low + 1e-12), log=log)
        else:
            distributions[name] = CategoricalDistribution(sorted(set(values), key=str))
    with quiet():
        study = optuna.create_study(direction="maximize")
    for record, row in zip(records, params, strict=True):
        study.add_trial(
            optuna.trial.create_trial(
                params={k: _internal(v, distributions[k]) for k, v in row.items()},
                distributions={name: distributions[name] for name in row},
                value=record.val_metric,
            )
        )
    return study


def _internal(value: Any, distribution: Any) -> Any:
    from optuna.distributions import FloatDistribution

    return float(value) if isinstance(distribution, FloatDistribution) else value
