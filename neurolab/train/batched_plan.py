"""Which candidates train together in `train_population`: grouping by a simple cost model.

A group is stacked into one set of tensors, so its members must share the depth (one `bmm` per
layer) and the minibatch size (one step for all); widths are padded to the group's largest.
Padding wastes arithmetic, while every extra group costs a fixed number of small operations per
step, so the plan starts from width buckets (each width rounded up to a power of two, per layer)
and merges two groups whenever the cost model says the merged group is cheaper than the two
apart. On a CPU with small networks (widths ≤ 64, minibatches of 64) that merges nearly
everything of one depth; with full-batch training on many rows, where arithmetic dominates, the
buckets stay apart. Members of a group are ordered by optimizer family, then activations, so that
each family is one contiguous block of rows and each activation a few contiguous runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from neurolab.genome import Genome
from neurolab.train import dropout
from neurolab.train.batched_ops import ACTIVATIONS

# Adam and AdamW share one update rule (they differ in per-row weight-decay coefficients).
FAMILIES = {"adam": "adam", "adamw": "adam", "sgd": "sgd"}


@dataclass(frozen=True)
class CostModel:
    """Seconds for one training step of a group: fixed per-op overhead plus arithmetic.

    Defaults were fitted on a 2-core CPU (torch 2.13, one thread): ~15 µs per small op, Python
    glue included, ~25 GFLOP/s for small batched matmuls, ~1 G elements/s for element-wise
    passes; merging more or less than this plan measured no faster (64 and 256 candidates).
    `max_elements` caps one activation tensor (candidates × batch × width) to bound memory.
    """

    op_seconds: float = 15e-6
    flops_per_second: float = 25e9
    elements_per_second: float = 1e9
    max_elements: int = 1 << 24

    @classmethod
    def for_device(cls, device: str) -> CostModel:
        if str(device).startswith("cuda"):
            # Kernel launches dominate on a GPU; arithmetic is almost free at these sizes.
            return cls(op_seconds=20e-6, flops_per_second=20e12, elements_per_second=200e9)
        return cls()


def bucket(width: int) -> int:
    """The power of two at or above `width`."""
    return 1 << max(0, math.ceil(math.log2(max(1, width))))


def family(genome: Genome) -> str:
    return FAMILIES[genome.optimizer]


def can_batch(genomes: Sequence[Genome]) -> bool:
    """True when `train_population` supports every genome and at least two can share a group."""
    supported = all(
        g.optimizer in FAMILIES and all(ly.activation in ACTIVATIONS for ly in g.layers)
        for g in genomes
    )
    keys = [(len(g.layers), g.batch_size) for g in genomes]
    return supported and len(set(keys)) < len(keys)


def member_order(genome: Genome) -> tuple:
    return (family(genome), tuple(ly.activation for ly in genome.layers))


@dataclass
class _Plan:
    members: list[int]
    widths: tuple[int, ...]  # padded hidden widths (bucketed)


def _cost(
    plan: _Plan, genomes: Sequence[Genome], dims: tuple[int, int], n_train: int, cost: CostModel
) -> float:
    """Estimated seconds to train the group, with the shapes and op counts it will have."""
    members = [genomes[i] for i in plan.members]
    batch = min(members[0].batch_size, n_train)
    steps = math.ceil(n_train / batch)
    sizes = (dims[0], *plan.widths, dims[1])
    flops = 6 * batch * sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    elements = 12 * batch * sum(plan.widths) + 8 * sum(
        (a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False)
    )
    ordered = sorted(member_order(g) for g in members)
    runs = sum(
        1 + sum(a[1][layer] != b[1][layer] for a, b in zip(ordered, ordered[1:], strict=False))
        for layer in range(len(plan.widths))
    )
    families = len({o[0] for o in ordered})
    ops = 30 + 14 * len(plan.widths) + 6 * runs + 12 * (families - 1)
    epochs = [g.epochs for g in members]
    fixed = max(epochs) * steps * ops * cost.op_seconds
    arithmetic = (
        sum(epochs) * steps * (flops / cost.flops_per_second + elements / cost.elements_per_second)
    )
    # Dropout masks are drawn per candidate and layer once per block of steps (`dropout`).
    blocks = math.ceil(n_train / dropout.block_rows(batch))
    draws = sum(g.epochs * sum(ly.dropout > 0 for ly in g.layers) for g in members)
    return fixed + arithmetic + 3 * blocks * draws * cost.op_seconds


def plan_groups(
    genomes: Sequence[Genome],
    n_features: int,
    n_outputs: int,
    n_train: int,
    device: str = "cpu",
    cost: CostModel | None = None,
) -> list[list[int]]:
    """Indices into `genomes`, one list per group, members in stacking order."""
    cost = cost or CostModel.for_device(device)
    dims = (n_features, n_outputs)
    fine: dict[tuple, _Plan] = {}
    for i, g in enumerate(genomes):
        widths = tuple(bucket(ly.width) for ly in g.layers)
        key = (len(g.layers), min(g.batch_size, n_train), widths)
        fine.setdefault(key, _Plan([], widths)).members.append(i)
    by_shape: dict[tuple, list[_Plan]] = {}
    for (depth, batch, _), plan in fine.items():
        by_shape.setdefault((depth, batch), []).append(plan)

    groups: list[list[int]] = []
    for (_, batch), plans in by_shape.items():
        plans = _merge(plans, genomes, dims, n_train, cost)
        for plan in plans:
            members = sorted(plan.members, key=lambda i: (member_order(genomes[i]), i))
            # Cap each stack's activation tensors; an over-large group trains in chunks.
            widest = max((w for w in plan.widths), default=n_outputs)
            size = max(1, cost.max_elements // max(1, min(batch, n_train) * widest))
            groups.extend(members[lo : lo + size] for lo in range(0, len(members), size))
    return groups


def assign_to_workers(
    genomes: Sequence[Genome],
    workers: int,
    n_features: int,
    n_outputs: int,
    n_train: int,
    device: str = "cpu",
    cost: CostModel | None = None,
) -> list[list[int]]:
    """Split a population into `workers` shares of whole groups with similar estimated cost.

    Each share is meant for one worker's `train_population`; longest groups are placed first,
    each on the least loaded worker. Shares may be empty when there are fewer groups.
    """
    cost = cost or CostModel.for_device(device)
    groups = plan_groups(genomes, n_features, n_outputs, n_train, device, cost)

    def estimate(group: list[int]) -> float:
        depth = len(genomes[group[0]].layers)
        widths = tuple(
            bucket(max(genomes[i].layers[layer].width for i in group)) for layer in range(depth)
        )
        return _cost(_Plan(group, widths), genomes, (n_features, n_outputs), n_train, cost)

    shares: list[list[int]] = [[] for _ in range(max(1, workers))]
    loads = [0.0] * len(shares)
    for group in sorted(groups, key=estimate, reverse=True):
        least = loads.index(min(loads))
        shares[least].extend(group)
        loads[least] += estimate(group)
    return shares


def _merge(
    plans: list[_Plan],
    genomes: Sequence[Genome],
    dims: tuple[int, int],
    n_train: int,
    cost: CostModel,
) -> list[_Plan]:
    """Greedy: merge the pair that saves the most estimated time until no merge saves any."""
    costs = [_cost(p, genomes, dims, n_train, cost) for p in plans]
    while len(plans) > 1:
        best = None
        for a in range(len(plans)):
            for b in range(a + 1, len(plans)):
                merged = _Plan(
                    plans[a].members + plans[b].members,
                    tuple(map(max, plans[a].widths, plans[b].widths)),
                )
                merged_cost = _cost(merged, genomes, dims, n_train, cost)
                saving = costs[a] + costs[b] - merged_cost
                if saving > 0 and (best is None or saving > best[0]):
                    best = (saving, a, b, merged, merged_cost)
        if best is None:
            break
        _, a, b, merged, merged_cost = best
        plans = [p for k, p in enumerate(plans) if k not in (a, b)] + [merged]
        costs = [c for k, c in enumerate(costs) if k not in (a, b)] + [merged_cost]
    return plans
