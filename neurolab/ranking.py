"""What "the best candidate" means, in one place for the runner, the project file and the GUI."""

from __future__ import annotations

import math

from neurolab.events import CandidateRecord

WORST_FITNESS = float("-inf")


def fitness(record: CandidateRecord) -> float:
    """What the best is chosen by: the validation metric; failed and pruned never compete."""
    value = record.val_metric
    if record.status in ("failed", "pruned") or value is None or not math.isfinite(value):
        return WORST_FITNESS
    return value


def rank(record: CandidateRecord) -> tuple[bool, float, float, int, int]:
    """Sort key of "the best" (smallest first). Cross-validated finalists come first, by their
    cross-validated metric (`neurolab.finalists`); then the highest validation metric. Among
    equal ones the smaller network, then the earlier: with 100 validation rows many networks
    tie, and the smallest of them is the one to keep (and what a score-and-size search is
    after). `ProjectStore.best` orders by the same key in SQL; the GUI's `best_record` uses
    this one."""
    cv = record.cv_metric
    return (
        cv is None,
        -cv if cv is not None else 0.0,
        -fitness(record),
        record.params,
        record.candidate_id,
    )
