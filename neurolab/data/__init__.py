"""Datasets: built-in toys and real ones, CSV import, and preparation for training.

The public surface used by the runner, the CLI and the GUI; everything raises `DataError` with a
message meant for the user.
"""

from __future__ import annotations

from neurolab.data.builtin import DatasetInfo, builtin_points, dataset_info, list_datasets
from neurolab.data.columns import column_kinds, infer_task
from neurolab.data.csv_import import read_csv
from neurolab.data.dataset import PreparedData
from neurolab.data.prepare import load_data
from neurolab.data.preprocessing import apply_preprocessing

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
