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


def rank(record: CandidateRecord) -> tuple[float, int, int]:
    """Sort key of "the best" (smallest first): the highest validation metric; among equal
    ones the smaller network, then the earlier. With 100 validation rows many networks tie, and
    the smallest of them is the one to keep (and what a score-and-size search is after).
    `ProjectStore.best` orders by the same key in SQL; the GUI's `best_record` uses this one."""
    return (-fitness(record), record.params, record.candidate_id)
