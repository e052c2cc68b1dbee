"""Which candidates train together in `train_population`: grouping by a simple cost model.

A group is stacked into one set of tensors, so its members must share the minibatch size (one
step for all) and the optimizer family (one update rule for all rows). Depths may differ: rows
go deepest first, hidden layer k runs on the rows that have it, and each depth leaves through
its own output layer (`batched_ops.Shape`). Widths are padded to the largest of each layer.
Padding wastes arithmetic, while every extra group costs a fixed number of small operations per
step, so the plan starts from buckets (one depth, each width rounded up to a power of two) and
merges two groups whenever the cost model says the merged group is cheaper than the two
apart. On a CPU with small networks (widths ≤ 64, minibatches of 64) that merges nearly
everything of one batch size; with full-batch training on many rows, where arithmetic
dominates, the buckets stay apart. Members of a group are ordered deepest first, then by
activations, so that each activation is a few contiguous runs of rows.
"""

from __future__ import annotations

import itertools
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


def supported(genome: Genome) -> bool:
    """Whether `train_population` can train this genome (its optimizer and activations)."""
    return genome.optimizer in FAMILIES and all(
        ly.activation in ACTIVATIONS for ly in genome.layers
    )


def can_batch(genomes: Sequence[Genome]) -> bool:
    """True when `train_population` supports every genome and at least two can share a group."""
    keys = [group_key(g, math.inf) for g in genomes]
    return all(map(supported, genomes)) and len(set(keys)) < len(keys)


def group_key(genome: Genome, n_train: float) -> tuple[str, float]:
    """Candidates with equal keys may share a group: the optimizer family and the batch size."""
    return (family(genome), min(genome.batch_size, n_train))


def member_order(genome: Genome) -> tuple:
    """Stacking order within a group: deepest first (`batched_ops.Shape`), then activations."""
    return (-len(genome.layers), tuple(ly.activation for ly in genome.layers))


def padded_widths(genomes: Sequence[Genome], members: Sequence[int]) -> tuple[int, ...]:
    """Each hidden layer's width bucket in a stack of `members`: the widest member that has it."""
    depth = max(len(genomes[i].layers) for i in members)
    return tuple(
        max(bucket(genomes[i].layers[k].width) for i in members if len(genomes[i].layers) > k)
        for k in range(depth)
    )


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
    padded = (dims[0], *plan.widths)
    arithmetic = 0.0
    for g in members:  # each member's own layers, padded, and its head
        depth = len(g.layers)
        sizes = [*zip(padded[:depth], padded[1 : depth + 1], strict=True), (padded[depth], dims[1])]
        flops = 6 * batch * sum(a * b for a, b in sizes)
        elements = 12 * batch * sum(padded[1 : depth + 1]) + 8 * sum((a + 1) * b for a, b in sizes)
        seconds = flops / cost.flops_per_second + elements / cost.elements_per_second
        arithmetic += g.epochs * steps * seconds
    ordered = sorted(member_order(g) for g in members)
    runs = 0
    for k in range(len(plan.widths)):
        names = [o[1][k] for o in ordered if len(o[1]) > k]
        runs += 1 + sum(a != b for a, b in zip(names, names[1:], strict=False))
    exits = len({len(g.layers) for g in members})
    ops = 22 + 14 * len(plan.widths) + 6 * runs + 8 * exits
    fixed = max(g.epochs for g in members) * steps * ops * cost.op_seconds
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
    """Indices into `genomes`, one list per group, members in stacking order; the costliest
    group (estimated) first, the order in which to hand groups to workers."""
    cost = cost or CostModel.for_device(device)
    dims = (n_features, n_outputs)
    fine: dict[tuple, _Plan] = {}
    for i, g in enumerate(genomes):
        widths = tuple(bucket(ly.width) for ly in g.layers)
        fine.setdefault((group_key(g, n_train), widths), _Plan([], widths)).members.append(i)
    by_key: dict[tuple, list[_Plan]] = {}
    for (key, _), plan in fine.items():
        by_key.setdefault(key, []).append(plan)

    groups: list[list[int]] = []
    for (_, batch), plans in by_key.items():
        plans = _merge(plans, genomes, dims, n_train, cost)
        for plan in plans:
            members = sorted(plan.members, key=lambda i: (member_order(genomes[i]), i))
            # Cap each stack's activation tensors; an over-large group trains in chunks.
            widest = max((w for w in plan.widths), default=n_outputs)
            size = max(1, cost.max_elements // max(1, min(batch, n_train) * widest))
            groups.extend(members[lo : lo + size] for lo in range(0, len(members), size))
    return sorted(groups, key=lambda g: -_estimate(g, genomes, dims, n_train, cost))


def _estimate(
    group: list[int], genomes: Sequence[Genome], dims: tuple[int, int], n_train: int, cost
) -> float:
    return _cost(_Plan(group, padded_widths(genomes, group)), genomes, dims, n_train, cost)


def assign_to_workers(
    genomes: Sequence[Genome],
    workers: int,
    n_features: int,
    n_outputs: int,
    n_train: int,
    device: str = "cpu",
    cost: CostModel | None = None,
) -> list[list[int]]:
    """Split a population into `workers` shares of whole groups with similar estimated cost,
    for a fixed split in advance (executors hand out groups as workers free up instead).

    Longest groups are placed first, each on the least loaded worker. Shares may be empty
    when there are fewer groups.
    """
    cost = cost or CostModel.for_device(device)
    dims = (n_features, n_outputs)
    shares: list[list[int]] = [[] for _ in range(max(1, workers))]
    loads = [0.0] * len(shares)
    for group in plan_groups(genomes, n_features, n_outputs, n_train, device, cost):
        least = loads.index(min(loads))
        shares[least].extend(group)
        loads[least] += _estimate(group, genomes, dims, n_train, cost)
    return shares


def _merge(
    plans: list[_Plan],
    genomes: Sequence[Genome],
    dims: tuple[int, int],
    n_train: int,
    cost: CostModel,
) -> list[_Plan]:
    """Greedy: merge the pair that saves the most estimated time until no merge saves any.
    Each pair's merged cost is computed once (a plan runs in every worker, every generation)."""
    costs = {tuple(p.members): _cost(p, genomes, dims, n_train, cost) for p in plans}
    pairs: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[_Plan, float]] = {}

    def merged(a: _Plan, b: _Plan) -> tuple[_Plan, float]:
        key = (tuple(a.members), tuple(b.members))
        if key not in pairs:
            widths = tuple(map(max, itertools.zip_longest(a.widths, b.widths, fillvalue=0)))
            plan = _Plan(a.members + b.members, widths)
            pairs[key] = (plan, _cost(plan, genomes, dims, n_train, cost))
        return pairs[key]

    while len(plans) > 1:
        best = None
        for i, a in enumerate(plans):
            for b in plans[i + 1 :]:
                plan, plan_cost = merged(a, b)
                saving = costs[tuple(a.members)] + costs[tuple(b.members)] - plan_cost
                if saving > 0 and (best is None or saving > best[0]):
                    best = (saving, a, b, plan, plan_cost)
        if best is None:
            break
        _, a, b, plan, plan_cost = best
        plans = [p for p in plans if p is not a and p is not b] + [plan]
        costs[tuple(plan.members)] = plan_cost
    return plans
