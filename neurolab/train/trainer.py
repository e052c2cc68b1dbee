"""Training one candidate: minibatches, the genome's optimizer, early stopping, a NaN guard.

Seeded and deterministic on CPU: the same genome, data and seed give the same losses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from safetensors.torch import save as safetensors_save
from torch import nn

from neurolab.data.dataset import PreparedData
from neurolab.genome import Genome
from neurolab.model import build_model, parameter_count
from neurolab.train import dropout

# Called after every epoch with (epoch, train_loss, val_loss, val_metric, model); returning
# False stops the candidate (cooperative cancel).
EpochCallback = Callable[[int, float, float, float, nn.Module], bool]


@dataclass
class TrainResult:
    """What training one candidate produced; plain data, safe to send between processes."""

    status: str  # "ok" | "failed" | "cancelled"
    train_losses: list[float] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    val_metric: float | None = None
    test_metric: float | None = None
    train_metric: float | None = None
    params: int = 0
    epochs: int = 0
    seconds: float = 0.0
    error: str | None = None
    weights: bytes | None = None  # safetensors bytes of the best epoch's state


@dataclass
class _Split:
    x: torch.Tensor
    y: torch.Tensor


def _tensors(data: PreparedData, device: torch.device) -> tuple[_Split, _Split, _Split]:
    def split(x: np.ndarray, y: np.ndarray) -> _Split:
        return _Split(torch.as_tensor(x, device=device), torch.as_tensor(y, device=device))

    return (
        split(data.x_train, data.y_train),
        split(data.x_val, data.y_val),
        split(data.x_test, data.y_test),
    )


def make_optimizer(genome: Genome, params) -> torch.optim.Optimizer:
    lr, wd = genome.learning_rate, genome.weight_decay
    if genome.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if genome.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if genome.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd, momentum=0.9, nesterov=True)
    raise ValueError(f"unknown optimizer {genome.optimizer!r}")


def metric(task: str, outputs: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy for classification, R² for regression (invariant to the target's scaling), of
    one network's outputs (rows, outputs)."""
    return metrics(task, outputs.T.unsqueeze(0), y)[0]


def metrics(task: str, outputs: torch.Tensor, y: torch.Tensor) -> list[float]:
    """`metric` of every network of a stack, from its outputs (P, outputs, rows), at once."""
    if task == "classification":
        return (outputs.argmax(dim=1) == y).float().mean(1).tolist()
    pred = outputs[:, 0]  # y: (rows,) shared, or (P, rows), each network's own
    residual = torch.sum((y - pred) ** 2, dim=1)
    total = torch.sum((y - y.mean(-1, keepdim=True)) ** 2, dim=-1)
    r2 = torch.where(total > 0, 1.0 - residual / total, torch.zeros_like(residual))
    return r2.tolist()


def loss_function(task: str) -> nn.Module:
    return nn.CrossEntropyLoss() if task == "classification" else nn.MSELoss()


def _loss(task: str, loss_fn: nn.Module, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return loss_fn(outputs, y) if task == "classification" else loss_fn(outputs.squeeze(1), y)


def non_finite_loss(train_loss: float, val_loss: float, epoch: int, genome: Genome) -> str | None:
    """The reason a candidate fails when its loss stops being a number (the NaN guard)."""
    if math.isfinite(train_loss) and math.isfinite(val_loss):
        return None
    kind = "NaN" if math.isnan(train_loss + val_loss) else "infinite"
    return (
        f"loss became {kind} at epoch {epoch} "
        f"(learning rate {genome.learning_rate:.2g} may be too high)"
    )


def train_candidate(
    genome: Genome,
    data: PreparedData,
    *,
    seed: int,
    patience: int = 10,
    device: str | torch.device = "cpu",
    on_epoch: EpochCallback | None = None,
    initial_state: Mapping[str, torch.Tensor] | None = None,
) -> TrainResult:
    """Train `genome` on `data` from a fresh, seeded initialisation and report its metrics.

    With `initial_state` (inherited weights) training starts from those weights instead; the
    seeded initialisation still runs first, so the random streams after it are the same.

    Early stopping watches the validation loss; the weights of the best epoch are restored
    before the metrics are computed. A non-finite loss fails the candidate with a reason.
    """
    start = time.perf_counter()
    device = torch.device(device)
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    train, val, test = _tensors(data, device)
    model = build_model(genome, data.n_features, data.n_outputs)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    dropout_rng = dropout.generator(genome, seed)
    dropout_slots = dropout.install(model)
    model = model.to(device)
    optimizer = make_optimizer(genome, model.parameters())
    loss_fn = loss_function(data.task)
    result = TrainResult(
        status="ok", params=parameter_count(genome, data.n_features, data.n_outputs)
    )

    best_val, best_state, waited = math.inf, None, 0
    n = train.x.shape[0]
    batch = max(1, min(genome.batch_size, n))
    block = dropout.block_rows(batch)
    for epoch in range(1, genome.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=shuffle).to(device)
        total, seen = 0.0, 0
        for lo in range(0, n, batch):
            idx = order[lo : lo + batch]
            if dropout_rng is not None:
                if lo % block == 0:
                    masks = dropout.draw_block(genome, dropout_rng, min(block, n - lo))
                    masks = [m.to(device) for m in masks]
                for slot, mask in zip(dropout_slots, masks, strict=True):
                    slot.mask = mask[lo % block : lo % block + len(idx)]
            optimizer.zero_grad(set_to_none=True)
            loss = _loss(data.task, loss_fn, model(train.x[idx]), train.y[idx])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        train_loss = total / seen
        model.eval()
        with torch.no_grad():
            val_out = model(val.x)
            val_loss = float(_loss(data.task, loss_fn, val_out, val.y))
            val_metric = metric(data.task, val_out, val.y)
        result.epochs = epoch
        error = non_finite_loss(train_loss, val_loss, epoch, genome)
        if error is not None:
            result.status, result.error = "failed", error
            break
        result.train_losses.append(train_loss)
        result.val_losses.append(val_loss)
        if val_loss < best_val - 1e-6:
            best_val, waited = val_loss, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
        if (
            on_epoch is not None
            and on_epoch(epoch, train_loss, val_loss, val_metric, model) is False
        ):
            result.status = "cancelled"
            break
        if waited >= patience:
            break

    if best_state is not None:
        model.load_state_dict(best_state)
        model.eval()
        with torch.no_grad():
            result.val_metric = metric(data.task, model(val.x), val.y)
            result.test_metric = metric(data.task, model(test.x), test.y)
            result.train_metric = metric(data.task, model(train.x), train.y)
        result.weights = safetensors_save({k: v.contiguous().cpu() for k, v in best_state.items()})
    elif result.status == "ok":
        result.status, result.error = "failed", "no epoch finished"
    result.seconds = time.perf_counter() - start
    return result
