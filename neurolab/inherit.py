"""Carrying trained weights from parents to a child across its mutation or crossover.

The child's layers come from the parent layers its sources name (`neurolab.lineage`):
- a wider layer keeps the parent's units and adds copies of randomly chosen ones, and the next
  layer splits each copied unit's outgoing weights between the copies in random shares that sum
  to one (Net2WiderNet, Chen et al. 2016): the network computes the same function, and the
  uneven shares let the copies learn apart;
- a narrower layer keeps its first units (the next layer drops their columns);
- a new hidden layer starts as the identity on its inputs where its width allows: exact when
  the activation is the identity on what it receives (`identity`, or `relu` / `leaky_relu` /
  `elu` after a non-negative layer), near identity for the other activations except `sigmoid`,
  which gets a small initialisation; its extra units start small and talk to nobody yet;
- a layer whose inputs no longer match its parent's (the seam of a crossover, or the layer
  after a removed one) keeps its weights for the inputs that exist, zero for new ones.
The random choices come from an explicit `random.Random`, so a run stays reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

import torch
from safetensors.torch import save as safetensors_save

from neurolab.genome import Genome
from neurolab.lineage import Sources
from neurolab.model import build_model

Linear = tuple[torch.Tensor, torch.Tensor]  # weight (out, in), bias (out,)

SMALL = 0.1  # scale of a fresh initialisation inside an inherited network
_NON_NEGATIVE = {"relu", "sigmoid"}
_IDENTITY_ON_NON_NEGATIVE = {"relu", "leaky_relu", "elu"}


def linear_names(genome: Genome) -> list[tuple[str, str]]:
    """`build_model`'s state_dict keys (weight, bias) of each linear layer, head last."""
    names, index = [], 0
    for layer in genome.layers:
        names.append((f"{index}.weight", f"{index}.bias"))
        index += 3 if layer.dropout > 0 else 2
    names.append((f"{index}.weight", f"{index}.bias"))
    return names


def linears(genome: Genome, state: Mapping[str, torch.Tensor]) -> list[Linear]:
    return [(state[w], state[b]) for w, b in linear_names(genome)]


def to_state(genome: Genome, layers: list[Linear]) -> dict[str, torch.Tensor]:
    state = {}
    for (w_name, b_name), (w, b) in zip(linear_names(genome), layers, strict=True):
        state[w_name], state[b_name] = w.contiguous(), b.contiguous()
    return state


class _Space:
    """What the units of one layer's output are: copies of units of a parent layer.

    `origin` names that parent layer (``("input",)`` for the data's columns); unit k is a copy
    of its unit `units[k]` carrying `shares[k]` of it (-1: a new unit with no counterpart).
    """

    def __init__(self, origin: tuple, units: list[int], shares: list[float]) -> None:
        self.origin, self.units, self.shares = origin, units, shares


def carry_weights(
    child: Genome,
    sources: Sources,
    parents: Mapping[int, tuple[Genome, Mapping[str, torch.Tensor]]],
    fresh: Mapping[str, torch.Tensor],
    rng: random.Random,
) -> dict[str, torch.Tensor]:
    """The child's starting state_dict: its sources' weights, resized; `fresh` where none.

    `parents` maps candidate ids to (genome, trained state_dict); a source whose parent is
    missing (a failed candidate has no weights) counts as new. `fresh` is the child's own
    seeded initialisation (`build_model`), used for new units and layers.
    """
    fresh_layers = linears(child, fresh)
    n_in = fresh_layers[0][0].shape[1]
    space = _Space(("input",), list(range(n_in)), [1.0] * n_in)
    previous_activation: str | None = None
    layers: list[Linear] = []
    for i, source in enumerate(sources):
        fresh_w, fresh_b = fresh_layers[i]
        is_head = i == len(child.layers)
        activation = None if is_head else child.layers[i].activation
        parent = parents.get(source[0]) if source is not None else None
        if parent is not None:
            parent_w, parent_b = linears(parent[0], parent[1])[source[1]]
            w, b, space = _inherited(parent_w, parent_b, source, space, fresh_w.shape[0], rng)
        elif is_head:
            w, b = fresh_w.clone(), fresh_b.clone()
            space = _Space(("new",), [], [])
        else:
            w, b, space = _new_layer(fresh_w, fresh_b, space, activation, previous_activation)
        layers.append((w.to(fresh_w.dtype), b.to(fresh_b.dtype)))
        previous_activation = activation
    return to_state(child, layers)


def _inherited(
    parent_w: torch.Tensor,
    parent_b: torch.Tensor,
    source: tuple[int, int],
    space: _Space,
    width: int,
    rng: random.Random,
) -> tuple[torch.Tensor, torch.Tensor, _Space]:
    out_units, in_units = parent_w.shape
    expected = ("input",) if source[1] == 0 else (source[0], source[1] - 1)
    columns = torch.zeros(out_units, len(space.units), dtype=parent_w.dtype)
    if space.origin == expected:
        # Inputs are (copies of) the parent's own inputs: read each from its unit, scaled by
        # its share, so the layer computes what the parent's did.
        for k, (unit, share) in enumerate(zip(space.units, space.shares, strict=True)):
            if unit >= 0:
                columns[:, k] = parent_w[:, unit] * share
    else:
        common = min(in_units, len(space.units))
        columns[:, :common] = parent_w[:, :common]
    units = list(range(min(width, out_units)))
    units += [rng.randrange(out_units) for _ in range(width - len(units))]
    shares = _split_shares(units, rng)
    return columns[units].clone(), parent_b[units].clone(), _Space(tuple(source), units, shares)


def _split_shares(units: list[int], rng: random.Random) -> list[float]:
    """Random shares per copy of a unit, summing to one over the copies (1.0 for a lone unit)."""
    copies: dict[int, list[int]] = {}
    for k, unit in enumerate(units):
        copies.setdefault(unit, []).append(k)
    shares = [1.0] * len(units)
    for positions in copies.values():
        if len(positions) > 1:
            draws = [rng.uniform(0.5, 1.5) for _ in positions]
            total = sum(draws)
            for k, draw in zip(positions, draws, strict=True):
                shares[k] = draw / total
    return shares


def _new_layer(
    fresh_w: torch.Tensor,
    fresh_b: torch.Tensor,
    space: _Space,
    activation: str | None,
    previous_activation: str | None,
) -> tuple[torch.Tensor, torch.Tensor, _Space]:
    width, fan_in = fresh_w.shape
    w, b = fresh_w * SMALL, fresh_b * SMALL
    if activation == "sigmoid":  # sigmoid(x) is nowhere near x: a small start is all we can do
        return w, b, _Space(("new",), list(range(width)), [1.0] * width)
    passed = min(width, fan_in)
    w[:passed] = 0.0
    w[:passed, :passed] = torch.eye(passed, dtype=w.dtype)
    b[:passed] = 0.0
    # Units past `passed` are new: the next layer gives them zero weight (share 0).
    units = space.units[:passed] + [-1] * (width - passed)
    shares = space.shares[:passed] + [0.0] * (width - passed)
    return w, b, _Space(space.origin, units, shares)


def is_exact_identity(activation: str, previous_activation: str | None) -> bool:
    """Whether a new identity layer with this activation leaves the function exactly as it was."""
    if activation == "identity":
        return True
    return activation in _IDENTITY_ON_NON_NEGATIVE and previous_activation in _NON_NEGATIVE


def starting_weights(
    child: Genome,
    sources: Sources,
    load_parent: Callable[[int], tuple[Genome, Mapping[str, torch.Tensor]] | None],
    n_inputs: int,
    n_outputs: int,
    seed: int,
) -> bytes | None:
    """Safetensors bytes of the child's inherited starting weights; None when nothing is
    inherited (no source has trained weights), so the child trains from scratch.

    The fresh part comes from `build_model` seeded with the candidate's own seed; the random
    choices of widening from a generator seeded the same way, so the bytes are reproducible.
    """
    ids = {source[0] for source in sources if source is not None}
    parents = {}
    for candidate_id in sorted(ids):
        parent = load_parent(candidate_id)
        if parent is not None:
            parents[candidate_id] = parent
    if not parents:
        return None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fresh = build_model(child, n_inputs, n_outputs).state_dict()
    state = carry_weights(child, sources, parents, fresh, random.Random(seed))
    return safetensors_save({k: v.detach().contiguous().cpu() for k, v in state.items()})
