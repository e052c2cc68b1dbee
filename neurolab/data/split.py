"""Train / validation / test split: stratified by class where the class counts allow it.

Fractions are of all rows (0.2 and 0.2 leave 0.6 for training). A stratified split keeps each
class's share the same in every part, which matters for small or unbalanced data; when a class is
too small to appear in every part, the split falls back to a plain random one and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurolab.errors import DataError


@dataclass(frozen=True)
class Split:
    """Sorted row positions of each part, and how the split was made (for the notes)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    how: str  # "stratified by class" | "at random" | "not stratified: ..."

    def note(self, seed: int) -> str:
        return (
            f"split {len(self.train)} / {len(self.val)} / {len(self.test)} rows into "
            f"training / validation / test sets ({self.how}, seed {seed})"
        )


def split_rows(
    n: int,
    labels: np.ndarray | None,
    test_fraction: float,
    val_fraction: float,
    seed: int,
    where: str,
) -> Split:
    """Split `n` rows; `labels` (class indices) asks for stratification, None for regression."""
    n_test = max(1, round(test_fraction * n))
    n_val = max(1, round(val_fraction * n))
    if n - n_test - n_val < 2:
        raise DataError(
            f"{where}: {n} rows with test_fraction {test_fraction} and val_fraction "
            f"{val_fraction} leave too few rows to train on; lower the fractions or add rows"
        )
    rest, test, stratified_test = _split_off(np.arange(n), labels, n_test, seed)
    train, val, stratified_val = _split_off(rest, labels, n_val, seed)
    how = "at random"
    if labels is not None:
        how = (
            "stratified by class"
            if stratified_test and stratified_val
            else ("not stratified: some classes have too few rows to appear in every part")
        )
    return Split(np.sort(train), np.sort(val), np.sort(test), how)


def _split_off(
    positions: np.ndarray, labels: np.ndarray | None, size: int, seed: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(rest, part of `size` rows, whether stratified): stratified when every class allows it."""
    from sklearn.model_selection import train_test_split  # slow to import: only when splitting

    if labels is not None and _can_stratify(labels[positions], size):
        try:
            rest, part = train_test_split(
                positions, test_size=size, random_state=seed, stratify=labels[positions]
            )
            return rest, part, True
        except ValueError:
            pass  # scikit-learn found a case the check missed: fall back to a plain split
    rest, part = train_test_split(positions, test_size=size, random_state=seed)
    return rest, part, False


def _can_stratify(labels: np.ndarray, size: int) -> bool:
    """Every class has 2+ rows, and each side of the cut has room for one row per class."""
    counts = np.bincount(labels)
    counts = counts[counts > 0]
    return counts.min() >= 2 and size >= len(counts) and len(labels) - size >= len(counts)
