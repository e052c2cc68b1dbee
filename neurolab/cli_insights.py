"""`neurolab-run show`'s study view: parameter importances, optimisation history, trials."""

from __future__ import annotations

from typing import Any

from neurolab.events import CandidateRecord
from neurolab.insights import optimisation_history, param_importances, trials_table

TOP_TRIALS = 10  # rows of the trials table unless --trials asks for all
BAR = 30  # characters of the longest importance bar


def insights(records: list[CandidateRecord], seed: int) -> dict[str, Any]:
    """The study view as data (also what `show --json` prints under "study")."""
    return {
        "importances": param_importances(records, seed),
        "history": optimisation_history(records),
        "trials": trials_table(records),
    }


def format_insights(data: dict[str, Any], metric: str, all_trials: bool = False) -> list[str]:
    lines: list[str] = []
    importances = data["importances"]
    if importances:
        lines.append("Parameter importances (fANOVA over the finished candidates)")
        width = max(len(name) for name in importances)
        top = max(importances.values()) or 1.0
        for name, value in importances.items():
            bar = "█" * max(1, round(BAR * value / top))
            lines.append(f"  {name:<{width}}  {value:5.3f}  {bar}")
    improvements = [
        (row, prev)
        for row, prev in zip(data["history"], [None, *data["history"]], strict=False)
        if row["best"] is not None and (prev is None or row["best"] != prev["best"])
    ]
    if improvements:
        lines.append(f"Optimisation history (each new best validation {metric})")
        by_id = {row["candidate_id"]: row for row in data["trials"]}
        for row, _ in improvements:
            generation = by_id[row["candidate_id"]]["generation"]
            lines.append(
                f"  after candidate {row['candidate_id']:>4} (generation {generation:>3})"
                f"  {row['best']:.4f}"
            )
    rows = data["trials"]
    if rows:
        shown = sorted(rows, key=lambda r: (r["state"] != "ok", -(r["value"] or 0.0)))
        if not all_trials:
            shown = shown[:TOP_TRIALS]
        counts = ", ".join(
            f"{n} {state}"
            for state in ("ok", "pruned", "failed", "cancelled")
            if (n := sum(r["state"] == state for r in rows))
        )
        scope = "all" if all_trials or len(rows) <= TOP_TRIALS else f"top {len(shown)} of"
        lines.append(f"Trials ({scope} {len(rows)}: {counts}; by validation {metric})")
        lines.append("     id  gen  state       val    test  epochs       lr  batch  network")
        lines += [_trial_line(row) for row in shown]
    return lines


def _trial_line(row: dict[str, Any]) -> str:
    params = row["params"]
    layers = [
        f"{params[f'width_{k}']} {params[f'activation_{k}']}" for k in range(params["n_layers"])
    ]
    value = "-" if row["value"] is None else f"{row['value']:.4f}"
    test = "-" if row["test"] is None else f"{row['test']:.4f}"
    return (
        f"  {row['candidate_id']:>5} {row['generation']:>4}  {row['state']:<9}"
        f" {value:>7} {test:>7} {row['epochs']:>7}  {params['learning_rate']:.1e}"
        f" {params['batch_size']:>6}  {' → '.join(layers) or 'linear'}"
    )
