"""Take a trained network out of a project: TorchScript, ONNX or safetensors, with its
preprocessing and a stand-alone `predict.py`.

`load_candidate` reads one stored candidate (genome, weights, preprocessing) from a project file;
`export_model` writes it to a folder:

- `model.pt` (TorchScript), `model.onnx` or `model.safetensors`: the network. TorchScript and
  ONNX take the scaled inputs and output class probabilities (softmax) or values in the target's
  units; safetensors holds the raw layer weights (the head is applied by `predict.py`).
- `neurolab_model.json`: everything `predict.py` needs to read raw rows like training did
  (columns, fill values, categories, scaling, class names, target scaling, the layer list).
  The same JSON is embedded in the model file (TorchScript extra file, ONNX metadata,
  safetensors metadata), so a model file alone still says how to feed it.
- `predict.py`: `python predict.py rows.csv` prints one line per row, the prediction last.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurolab.errors import ExportError, ProjectFileError

FORMATS = ("torchscript", "onnx", "safetensors")
MODEL_FILES = {"torchscript": "model.pt", "onnx": "model.onnx", "safetensors": "model.safetensors"}
METADATA_KEY = "neurolab_model"


@dataclass(frozen=True)
class StoredCandidate:
    """One candidate as the project keeps it: enough to rebuild and run its network."""

    run_id: int
    candidate_id: int
    genome: dict[str, Any]
    weights: dict[str, Any]  # name -> torch.Tensor (safetensors from the project file)
    preprocessing: dict[str, Any]
    metric: str
    val_metric: float | None
    test_metric: float | None

    @property
    def task(self) -> str:
        return self.preprocessing["task"]

    def network(self):
        """The trained `torch.nn.Sequential`, in eval mode."""
        from neurolab.genome import Genome
        from neurolab.model import build_model

        n_in = len(self.preprocessing["feature_names"])
        n_out = len(self.preprocessing["class_names"]) if self.task == "classification" else 1
        model = build_model(Genome.from_dict(self.genome), n_in, n_out)
        model.load_state_dict(self.weights)
        return model.eval()


def load_candidate(project: str | Path, candidate: str | int = "best") -> StoredCandidate:
    """The latest run's best candidate, or the candidate with this id, with its weights.

    The preprocessing comes from the project file; a file written before it was stored there
    prepares the data again from the run's spec (the same seed gives the same statistics).
    """
    from neurolab.store import ProjectStore

    with ProjectStore(project, create=False) as store:
        run = store.latest_run()
        if run is None:
            raise ProjectFileError(f"{project}: the project holds no run yet")
        record = _find(store, run.run_id, candidate, project)
        weights = store.load_weights(run.run_id, record.candidate_id)
        if weights is None:
            kept = sorted(c.candidate_id for c in store.candidates(run.run_id)
                          if store.load_weights(run.run_id, c.candidate_id) is not None)  # fmt: skip
            raise ExportError(
                f"{project}: the weights of candidate {record.candidate_id} were not kept (the "
                f"project keeps the best few); export one of: {', '.join(map(str, kept)) or '-'}"
            )
        preprocessing = store.preprocessing(run.run_id) or _prepare_again(run.spec)
    return StoredCandidate(
        run.run_id, record.candidate_id, record.genome, weights, preprocessing, run.metric,
        record.val_metric, record.test_metric,
    )  # fmt: skip


def _find(store, run_id: int, candidate: str | int, project: str | Path):
    if candidate == "best":
        record = store.best(run_id)
        if record is None:
            raise ExportError(f"{project}: no candidate finished successfully; nothing to export")
        return record
    try:
        wanted = int(candidate)
    except ValueError:
        raise ExportError(f"--candidate {candidate!r}: give 'best' or a candidate id") from None
    for record in store.candidates(run_id):
        if record.candidate_id == wanted:
            if record.status == "failed":
                raise ExportError(f"{project}: candidate {wanted} failed; it has no network")
            return record
    raise ExportError(f"{project}: the latest run has no candidate {wanted}")


def _prepare_again(spec_dict: dict[str, Any]) -> dict[str, Any]:
    from neurolab.data import load_data
    from neurolab.spec import ExperimentSpec

    spec = ExperimentSpec.from_dict(spec_dict)
    return load_data(spec.data, spec.task, spec.seed).preprocessing


# --- writing ----------------------------------------------------------------------------------
def export_model(
    project: str | Path, out_dir: str | Path, fmt: str, candidate: str | int = "best"
) -> Path:
    """Write the candidate's network, its preprocessing and `predict.py` into `out_dir`."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if fmt == "onnx" and importlib.util.find_spec("onnx") is None:
        raise ExportError("--format onnx needs the onnx package: pip install 'neurolab[onnx]'")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a folder")
    stored = load_candidate(project, candidate)
    description = describe(stored, fmt)
    out.mkdir(parents=True, exist_ok=True)
    _WRITERS[fmt](stored, out / MODEL_FILES[fmt], json.dumps(description))
    (out / "neurolab_model.json").write_text(json.dumps(description, indent=2), encoding="utf-8")
    shutil.copyfile(Path(__file__).with_name("predict_script.py"), out / "predict.py")
    return out


def describe(stored: StoredCandidate, fmt: str) -> dict[str, Any]:
    """The JSON that travels with the model: preprocessing, layers, and where it came from."""
    from neurolab import __version__

    pre = stored.preprocessing
    return {
        "neurolab_version": __version__,
        "format": fmt,
        "model_file": MODEL_FILES[fmt],
        "task": stored.task,
        "target": pre.get("target", "target"),
        "input_columns": pre["input_columns"],
        "columns": pre["columns"],
        "feature_names": pre["feature_names"],
        "feature_mean": pre["feature_mean"],
        "feature_scale": pre["feature_scale"],
        "class_names": pre["class_names"],
        "target_mean": pre["target_mean"],
        "target_scale": pre["target_scale"],
        "outputs": "probabilities" if stored.task == "classification" else "value",
        "layers": _layers(stored),
        "genome": stored.genome,
        "candidate": {
            "run": stored.run_id,
            "id": stored.candidate_id,
            "metric": stored.metric,
            "validation": stored.val_metric,
            "test": stored.test_metric,
        },
    }


def _layers(stored: StoredCandidate) -> list[dict[str, Any]]:
    """Each Linear's weight names and the activation after it (None for the output layer)."""
    from torch import nn

    layers: list[dict[str, Any]] = []
    for name, module in stored.network().named_children():
        if isinstance(module, nn.Linear):
            layers.append({"weight": f"{name}.weight", "bias": f"{name}.bias", "activation": None})
        elif not isinstance(module, nn.Dropout):
            layers[-1]["activation"] = _ACTIVATION_NAMES[type(module).__name__]
    return layers


_ACTIVATION_NAMES = {
    "ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "GELU": "gelu",
    "LeakyReLU": "leaky_relu", "ELU": "elu", "SiLU": "silu", "Identity": "identity",
}  # fmt: skip


def _head(stored: StoredCandidate):
    """Network plus output head: softmax for classes, un-scaling for a regression target."""
    import torch
    from torch import nn

    pre = stored.preprocessing

    class Head(nn.Module):
        def __init__(self, network: nn.Module) -> None:
            super().__init__()
            self.network = network
            self.classify = stored.task == "classification"
            self.mean, self.scale = float(pre["target_mean"]), float(pre["target_scale"])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.network(x)
            if self.classify:
                return torch.softmax(out, dim=1)
            return out * self.scale + self.mean

    return Head(stored.network()).eval()


def _write_torchscript(stored: StoredCandidate, path: Path, description: str) -> None:
    import torch

    with warnings.catch_warnings():
        # torch 2.10+ marks TorchScript deprecated in favour of torch.export; it still loads
        # everywhere libtorch does (C++, mobile), which is why it is offered.
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(_head(stored))
    scripted.save(str(path), _extra_files={"neurolab_model.json": description})


def _write_onnx(stored: StoredCandidate, path: Path, description: str) -> None:
    import onnx
    import torch

    example = torch.zeros(1, len(stored.preprocessing["feature_names"]))
    # The TorchScript-based exporter (deprecated since torch 2.9, still shipped) needs only the
    # onnx package; the torch.export-based one would add onnxscript for a plain MLP.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            _head(stored), (example,), str(path), input_names=["inputs"],
            output_names=["outputs"], dynamic_axes={"inputs": {0: "rows"}, "outputs": {0: "rows"}},
            dynamo=False,
        )  # fmt: skip
    model = onnx.load(str(path))
    model.metadata_props.add(key=METADATA_KEY, value=description)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _write_safetensors(stored: StoredCandidate, path: Path, description: str) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.contiguous() for k, v in stored.weights.items()}
    save_file(tensors, str(path), metadata={METADATA_KEY: description})


_WRITERS = {
    "torchscript": _write_torchscript,
    "onnx": _write_onnx,
    "safetensors": _write_safetensors,
}
