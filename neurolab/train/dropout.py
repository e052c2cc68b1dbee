"""Dropout masks that a candidate draws the same way alone and in a stack, in blocks of steps.

Both trainers take a candidate's dropout masks from its own generator, seeded from its seed:
per block of minibatch steps (`block_rows` rows of the epoch's shuffled order), one uniform
float32 array of (rows, width) per hidden layer with dropout, in layer order; a unit is kept
where u >= p, and kept units are scaled by 1 / (1 - p), as `F.dropout` does. Row j of a block
masks the j-th sample of the block. So a candidate's masks depend only on its seed, batch size
and shapes: not on which group it is stacked in, nor on the device.

Why not `nn.Dropout`: a stack would have to draw one mask per candidate, layer and step from
the candidate's own torch generator, and those draws (~8 ns per unit, mt19937) became the
largest cost of a stacked step. Here a stack draws a block at a time with numpy's SFC64 (~3 ns
per unit) and turns the whole group's uniforms into masks in two tensor operations.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neurolab.genome import Genome

BLOCK_ROWS = 1024  # rows of masks drawn at once: small enough for a stack's memory
_STREAM = 0x9E3779B97F4A7C15  # separates the dropout stream from the seed's other uses


def generator(genome: Genome, seed: int) -> np.random.Generator | None:
    """The candidate's dropout generator, or None when no layer has dropout."""
    if not any(layer.dropout > 0 for layer in genome.layers):
        return None
    return np.random.Generator(np.random.SFC64((seed * _STREAM + 1) % (1 << 63)))


def block_rows(batch: int) -> int:
    """Rows per block: whole minibatches, about `BLOCK_ROWS`."""
    return batch * max(1, BLOCK_ROWS // batch)


def uniforms(rng: np.random.Generator, rows: int, width: int) -> np.ndarray:
    """One layer's uniforms for a block of `rows` samples."""
    return rng.random((rows, width), dtype=np.float32)


def to_mask(u: torch.Tensor, p: float | torch.Tensor) -> torch.Tensor:
    """Uniforms to a dropout mask: 1 / (1 - p) where u >= p, else 0 (p may be a column)."""
    return (u >= p).to(u.dtype).mul_(1 / (1 - p))


def draw_block(genome: Genome, rng: np.random.Generator, rows: int) -> list[torch.Tensor]:
    """The next block's masks for the layers with dropout, in layer order."""
    return [
        to_mask(torch.from_numpy(uniforms(rng, rows, layer.width)), layer.dropout)
        for layer in genome.layers
        if layer.dropout > 0
    ]


class BlockDropout(nn.Module):
    """Stands in for `nn.Dropout` while `train_candidate` trains: multiplies by `mask`, which
    the training loop sets for every step; the identity in eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask if self.training and self.mask is not None else x


def install(model: nn.Sequential) -> list[BlockDropout]:
    """Replace the model's `nn.Dropout` modules (in layer order) by `BlockDropout`s."""
    installed = []
    for index, module in enumerate(model):
        if isinstance(module, nn.Dropout):
            model[index] = BlockDropout()
            installed.append(model[index])
    return installed
