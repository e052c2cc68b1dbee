"""Genome -> `torch.nn.Module`."""

from __future__ import annotations

import torch
from torch import nn

from neurolab.genome import Genome

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "identity": nn.Identity,
}


def build_model(genome: Genome, n_inputs: int, n_outputs: int) -> nn.Sequential:
    """An MLP: per hidden layer Linear -> activation -> Dropout (when > 0), then a Linear head.

    Classification heads output logits (one per class, two for binary); regression one value.
    """
    modules: list[nn.Module] = []
    width_in = n_inputs
    for layer in genome.layers:
        modules.append(nn.Linear(width_in, layer.width))
        modules.append(_ACTIVATIONS[layer.activation]())
        if layer.dropout > 0:
            modules.append(nn.Dropout(layer.dropout))
        width_in = layer.width
    modules.append(nn.Linear(width_in, n_outputs))
    return nn.Sequential(*modules)


def parameter_count(genome: Genome, n_inputs: int, n_outputs: int) -> int:
    """Trainable parameters of the genome's network, without building it."""
    total, width_in = 0, n_inputs
    for layer in genome.layers:
        total += (width_in + 1) * layer.width
        width_in = layer.width
    return total + (width_in + 1) * n_outputs


def resolve_device(device: str) -> torch.device:
    """`auto` picks CUDA when present; an unavailable CUDA request falls back to CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device(device)


def activation(name: str) -> nn.Module:
    """The non-linearity a genome names (`relu`, `tanh`, … as in the spec)."""
    return _ACTIVATIONS[name]()
