"""Datasets: built-in toys and real ones, CSV import, and preparation for training.

The public surface used by the runner, the CLI and the GUI; everything raises `DataError` with a
message meant for the user.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolab.data.builtin import DatasetInfo, builtin_points, dataset_info, list_datasets
    from neurolab.data.columns import column_kinds, infer_task
    from neurolab.data.csv_import import read_csv
    from neurolab.data.dataset import PreparedData
    from neurolab.data.prepare import load_data
    from neurolab.data.preprocessing import apply_preprocessing

# Imported on first use: a worker process needs only `PreparedData`, and pandas (for CSVs and
# column kinds) would add ~0.6 s to every worker's start-up.
_HOMES = {
    "DatasetInfo": "builtin",
    "builtin_points": "builtin",
    "dataset_info": "builtin",
    "list_datasets": "builtin",
    "column_kinds": "columns",
    "infer_task": "columns",
    "read_csv": "csv_import",
    "PreparedData": "dataset",
    "load_data": "prepare",
    "apply_preprocessing": "preprocessing",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"neurolab.data.{_HOMES[name]}"), name)


__all__ = [
    "DatasetInfo",
    "PreparedData",
    "apply_preprocessing",
    "builtin_points",
    "column_kinds",
    "dataset_info",
    "infer_task",
    "list_datasets",
    "load_data",
    "read_csv",
]
