"""Evaluating a whole population of given weights in one stacked forward pass (no training).

Gradient-free neuroevolution scores every individual of a generation at once: the networks are
stacked as `train_population` stacks them (`batched._Group`: deepest first, widths padded with
zeros, one `baddbmm` per layer and depth) and each split goes through in one pass. Each result carries
the losses and metrics of the weights as given (`epochs` = 0); the weights are the caller's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import torch

from neurolab.data.dataset import PreparedData
from neurolab.genome import Genome
from neurolab.inherit import linear_names
from neurolab.model import parameter_count
from neurolab.train import batched_ops as ops
from neurolab.train.batched import _Group
from neurolab.train.trainer import TrainResult, _tensors, metrics


@torch.no_grad()
def evaluate_population(
    genomes: Sequence[Genome],
    states: Sequence[Mapping[str, torch.Tensor]],
    data: PreparedData,
    device: str | torch.device = "cpu",
) -> list[TrainResult]:
    """Train / validation / test loss and metric of every network with its given weights.

    `train_losses` and `val_losses` hold one value each (the loss of these weights). A
    non-finite loss fails the candidate, as in training. `seconds` is an equal share of the pass.
    """
    start = time.perf_counter()
    device = torch.device(device)
    splits = _tensors(data, device)
    if not genomes:
        return []
    members = sorted(range(len(genomes)), key=lambda i: -len(genomes[i].layers))
    group = _Group(
        [genomes[i] for i in members], [0] * len(members), members, [states[i] for i in members]
    )
    results: list[TrainResult | None] = [None] * len(genomes)
    for i, result in zip(members, _evaluate_group(group, data, splits, device), strict=True):
        results[i] = result
    share = (time.perf_counter() - start) / max(1, len(genomes))
    for result in results:
        result.seconds = share  # type: ignore[union-attr]
    return results  # type: ignore[return-value]


def _evaluate_group(
    group: _Group, data: PreparedData, splits, device: torch.device
) -> list[TrainResult]:
    group._layout(data.n_features, data.n_outputs)
    theta = _stack(group, device)
    group._activate(list(range(len(group.genomes))), device)
    net = group._net(group._views(theta))
    outs = [group._evaluate(net, split.x) for split in splits]  # (P, outputs, rows)
    pairs = list(zip(outs, splits, strict=True))
    losses = [ops.candidate_losses(data.task, out, s.y).tolist() for out, s in pairs]
    scores = [metrics(data.task, out, s.y) for out, s in pairs]
    results = []
    for member, genome in enumerate(group.genomes):
        result = TrainResult(
            "ok", params=parameter_count(genome, data.n_features, data.n_outputs), epochs=0
        )
        train_loss, val_loss = losses[0][member], losses[1][member]
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            result.status, result.error = "failed", "the network's outputs are not finite"
        else:
            result.train_losses, result.val_losses = [train_loss], [val_loss]
            result.train_metric, result.val_metric, result.test_metric = (
                score[member] for score in scores
            )
        results.append(result)
    return results


def _stack(group: _Group, device: torch.device) -> torch.Tensor:
    """The members' given weights as the group's padded (P, N) rows (no initialisation)."""
    theta = torch.zeros(len(group.genomes), group.size)
    views = group._views(theta)
    group.dropout_rngs = [None] * len(group.genomes)  # evaluation: dropout never applies
    for row, (genome, state) in enumerate(zip(group.genomes, group.states, strict=True)):
        for (w, b), (w_name, b_name), (a, c) in zip(
            group._member_views(views, row), linear_names(genome), group._real(row), strict=True
        ):
            w[row, :a, :c] = state[w_name].T
            b[row, 0, :c] = state[b_name]
    return theta.to(device)
