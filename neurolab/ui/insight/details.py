"""What the inspector shows about one stored candidate, computed off the GUI thread (no Qt).

Weights are kept only for the best few candidates of a run; for the others `weights` is None
and the inspector says so instead of drawing made-up numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from neurolab.data.dataset import PreparedData
    from neurolab.events import CandidateRecord


@dataclass
class CandidateDetails:
    """A candidate's stored weights, and what its network predicts on the test split."""

    candidate_id: int
    data: PreparedData
    # Per Linear layer, input to output: (out, in) weight matrices; None when not kept.
    weights: list[np.ndarray] | None = None
    metrics: dict[str, float] = field(default_factory=dict)  # "train" / "val" / "test"
    confusion: np.ndarray | None = None  # (classes, classes): rows true, columns predicted
    predicted: np.ndarray | None = None  # regression: test predictions (original scale)
    actual: np.ndarray | None = None


def layer_sizes(genome: dict, n_inputs: int, n_outputs: int) -> list[int]:
    """Units per column of the network drawing: inputs, each hidden layer, outputs."""
    return [n_inputs, *(int(layer["width"]) for layer in genome.get("layers", [])), n_outputs]


def inspect_candidate(
    project: Path, run_id: int, record: CandidateRecord, data: PreparedData | None = None
) -> CandidateDetails:
    """Load the candidate's weights (if kept) and evaluate them on every split."""
    import torch

    from neurolab.data import load_data
    from neurolab.genome import Genome
    from neurolab.model import build_model
    from neurolab.spec import ExperimentSpec
    from neurolab.store import ProjectStore
    from neurolab.train.trainer import metric

    with ProjectStore(project, create=False) as store:
        if data is None:
            run = next(r for r in store.runs() if r.run_id == run_id)
            spec = ExperimentSpec.from_dict(run.spec)
            data = load_data(spec.data, spec.task, spec.seed)
        state = store.load_weights(run_id, record.candidate_id)
    details = CandidateDetails(record.candidate_id, data)
    if state is None:
        return details
    model = build_model(Genome.from_dict(record.genome), data.n_features, data.n_outputs)
    model.load_state_dict(state)
    model.eval()
    details.weights = [
        m.weight.detach().numpy().copy() for m in model if isinstance(m, torch.nn.Linear)
    ]
    splits = {
        "train": (data.x_train, data.y_train),
        "val": (data.x_val, data.y_val),
        "test": (data.x_test, data.y_test),
    }
    with torch.no_grad():
        outputs = {k: model(torch.as_tensor(x)) for k, (x, _) in splits.items()}
    for name, (_, y) in splits.items():
        details.metrics[name] = metric(data.task, outputs[name], torch.as_tensor(y))
    test_out, y_test = outputs["test"], data.y_test
    if data.task == "classification":
        n = data.n_outputs
        predicted = test_out.argmax(dim=1).numpy()
        details.confusion = np.bincount(y_test * n + predicted, minlength=n * n).reshape(n, n)
    else:
        scale, mean = data.target_scale, data.target_mean
        details.predicted = test_out.squeeze(1).numpy() * scale + mean
        details.actual = np.asarray(y_test) * scale + mean
    return details
