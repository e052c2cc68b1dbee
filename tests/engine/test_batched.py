"""`train_population`: a candidate trained in a stack ends as it would alone, and stays alone."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import load as safetensors_load

from neurolab.data import load_data
from neurolab.genome import Genome, LayerGene
from neurolab.model import build_model
from neurolab.spec import DataSpec
from neurolab.train import batched_ops as ops
from neurolab.train import dropout
from neurolab.train.batched import (
    _Group,
    assign_to_workers,
    can_batch,
    plan_groups,
    train_population,
)
from neurolab.train.batched_ops import ACTIVATIONS
from neurolab.train.batched_plan import CostModel, family
from neurolab.train.trainer import _tensors, train_candidate

ONE_GROUP = CostModel(op_seconds=1.0)  # merging always pays: one group per family and batch


@pytest.fixture(scope="module")
def moons():
    return load_data(DataSpec(name="moons", params={"n_samples": 300, "noise": 0.2, "seed": 0}))


@pytest.fixture(autouse=True)
def one_thread():
    # One intra-op thread: the same reduction order on every run.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def L(width: int, activation: str = "tanh", dropout: float = 0.0) -> LayerGene:
    return LayerGene(width, activation, dropout)


MIXED = [
    Genome((), "adam", 0.05, 0.0, 32, 12),
    Genome((L(8, "tanh"),), "adamw", 0.02, 1e-2, 32, 12),
    Genome((L(5, "relu"), L(3, "sigmoid")), "sgd", 0.1, 1e-3, 32, 12),
    Genome((L(16, "gelu"), L(7, "elu")), "adam", 0.01, 1e-3, 32, 12),
    Genome((L(12, "sigmoid"),), "sgd", 0.05, 0.0, 32, 12),
    Genome((L(6, "silu", 0.2), L(9, "leaky_relu", 0.1)), "adamw", 0.01, 1e-2, 32, 12),
    Genome((L(4, "identity"),), "adam", 3e-3, 0.0, 32, 12),
    Genome((L(10, "relu"), L(10, "tanh")), "adam", 0.03, 0.0, 32, 9),  # own epoch count
]
SEEDS = [3, 1, 4, 1, 5, 9, 2, 6]


def assert_same_training(batched, alone, rel: float = 1e-4) -> None:
    assert (batched.status, batched.epochs, batched.error) == (
        alone.status,
        alone.epochs,
        alone.error,
    )
    assert len(batched.train_losses) == len(alone.train_losses)
    for mine, ref in zip(
        batched.train_losses + batched.val_losses,
        alone.train_losses + alone.val_losses,
        strict=True,
    ):
        assert mine == pytest.approx(ref, rel=rel)
    if alone.weights is None:
        assert batched.weights is None
        return
    mine, ref = safetensors_load(batched.weights), safetensors_load(alone.weights)
    assert mine.keys() == ref.keys()
    for key in ref:
        assert mine[key].shape == ref[key].shape
        torch.testing.assert_close(mine[key], ref[key], rtol=1e-4, atol=1e-5)
    for name in ("val_metric", "test_metric", "train_metric"):
        # Accuracies from outputs equal to ~1e-6: at most one borderline row may flip.
        assert getattr(batched, name) == pytest.approx(getattr(alone, name), abs=0.02)


def test_a_mixed_population_trains_as_each_candidate_would_alone(moons):
    patience = 4
    # The Adam family's networks of depths 0, 1 and 2 train as one stack.
    groups = plan_groups(MIXED, 2, 2, len(moons.y_train), cost=ONE_GROUP)
    assert [3, 7, 5, 6, 1, 0] in groups
    results = train_population(MIXED, moons, seeds=SEEDS, patience=patience, cost=ONE_GROUP)
    for genome, seed, result in zip(MIXED, SEEDS, results, strict=True):
        alone = train_candidate(genome, moons, seed=seed, patience=patience)
        assert_same_training(result, alone)
        assert result.status == "ok" and result.seconds > 0
        # The weights load into the genome's own network.
        build_model(genome, moons.n_features, moons.n_outputs).load_state_dict(
            safetensors_load(result.weights)
        )
    # Patience stopped some early, epoch counts ended others: rows left at different times.
    assert len({r.epochs for r in results}) > 2


def test_dropout_masks_do_not_depend_on_the_group(moons, monkeypatch):
    # Blocks of 3 steps of 32 rows: 300 training rows take 4 blocks per epoch, the last short.
    monkeypatch.setattr(dropout, "BLOCK_ROWS", 100)
    genome = Genome((L(12, "relu", 0.3), L(6, "tanh"), L(9, "elu", 0.5)), "adam", 0.01, 0.0, 32, 6)
    others = [g for g in MIXED if len(g.layers) == 3 or g.batch_size == 32]
    stacked = train_population([*others, genome], moons, seeds=[*SEEDS, 11], patience=10)[-1]
    alone = train_population([genome], moons, seeds=[11], patience=10)[0]
    single = train_candidate(genome, moons, seed=11, patience=10)
    assert_same_training(stacked, single)
    assert_same_training(alone, single)
    # The masks did something: without dropout the same network trains differently.
    plain = replace(genome, layers=tuple(replace(ly, dropout=0.0) for ly in genome.layers))
    assert train_candidate(plain, moons, seed=11, patience=10).train_losses[0] != pytest.approx(
        single.train_losses[0], rel=1e-3
    )


def test_scattered_activations_are_gathered_and_train_as_alone(moons):
    # Stacked in first-layer order, the second layer's activations alternate row by row.
    pairs = itertools.product(("relu", "tanh", "gelu", "silu"), ("elu", "sigmoid"))
    genomes = [
        Genome((L(6 + i, first), L(5, second, 0.1 * (i % 2))), "adam", 0.01, 0.0, 32, 5)
        for i, (first, second) in enumerate(pairs)
    ]
    [group] = plan_groups(genomes, 2, 2, len(moons.y_train), cost=ONE_GROUP)
    assert ops.mix_of([genomes[i].layers[1].activation for i in group]).order is not None
    results = train_population(genomes, moons, seeds=list(range(8)), patience=10, cost=ONE_GROUP)
    for seed, (genome, result) in enumerate(zip(genomes, results, strict=True)):
        assert_same_training(result, train_candidate(genome, moons, seed=seed, patience=10))


def test_same_as_alone_without_merging_groups_and_for_regression():
    sine = load_data(DataSpec(name="sine", params={"n_samples": 200, "seed": 1}))
    genomes = [
        Genome((L(8, "tanh"),), "adam", 0.01, 1e-4, 16, 6),
        Genome((L(30, "relu"),), "sgd", 0.02, 0.0, 16, 6),
        Genome((L(3, "tanh"), L(5, "sigmoid")), "adamw", 0.02, 1e-3, 64, 6),
    ]
    # Three groups: batch sizes 16 and 64 never mix, nor do Adam and SGD.
    assert len(plan_groups(genomes, 1, 1, len(sine.y_train), cost=CostModel(op_seconds=0.0))) == 3
    results = train_population(
        genomes, sine, seeds=[7, 8, 9], patience=10, cost=CostModel(op_seconds=0.0)
    )
    for genome, seed, result in zip(genomes, [7, 8, 9], results, strict=True):
        assert_same_training(result, train_candidate(genome, sine, seed=seed, patience=10))


def test_each_member_trains_on_its_own_rows_as_it_would_on_them_alone():
    """Cross-validation folds side by side: member i's `subsets[i]` are its training and
    validation rows; it trains as on a dataset of only those rows (classification and R²)."""
    rng = np.random.default_rng(0)
    for name in ("moons", "sine"):
        data = load_data(DataSpec(name=name, params={"n_samples": 200, "seed": 1}))
        genomes = [MIXED[1], MIXED[3], MIXED[1]] if name == "moons" else [MIXED[3]] * 3
        subsets = [
            (rng.choice(len(data.y_train), 90, replace=False), rng.choice(len(data.y_val), 30))
            for _ in genomes
        ]
        seeds = [5, 6, 7]
        results = train_population(
            genomes, data, seeds=seeds, patience=3, subsets=subsets, cost=ONE_GROUP
        )
        for genome, seed, (t, v), result in zip(genomes, seeds, subsets, results, strict=True):
            own = replace(
                data, x_train=data.x_train[t], y_train=data.y_train[t],
                x_val=data.x_val[v], y_val=data.y_val[v],
            )  # fmt: skip
            assert_same_training(result, train_candidate(genome, own, seed=seed, patience=3))
        # Same genome and seed, other rows: another network.
        if name == "moons":
            assert results[0].train_losses != pytest.approx(results[2].train_losses, rel=1e-3)
    with pytest.raises(ValueError, match="as many rows"):
        train_population(
            genomes, data, seeds=seeds, patience=3,
            subsets=[(np.arange(9), np.arange(3)), (np.arange(8), np.arange(3)), subsets[2]],
        )  # fmt: skip


def test_padded_units_stay_exactly_zero(moons):
    genomes = [
        Genome((L(3, "sigmoid", 0.3), L(7, "relu")), "adam", 0.05, 1e-2, 32, 5),
        Genome((L(11, "tanh"), L(2, "sigmoid", 0.5)), "sgd", 0.1, 1e-2, 32, 5),
        Genome((L(6, "gelu"), L(4, "elu")), "adamw", 0.05, 1e-1, 32, 5),
    ]
    group = _Group(genomes, [0, 1, 2], [0, 1, 2])
    with torch.no_grad():
        results = group.train(
            moons, _tensors(moons, torch.device("cpu")), "cpu", 100, None, None, [False]
        )
    assert [r.status for r in results] == ["ok"] * 3
    padding = group._real_mask(torch.device("cpu")) == 0
    assert padding.any()
    for theta in (group.theta, group.best_theta):
        assert theta[padding].eq(0).all()
        assert theta[~padding].ne(0).any()


def test_a_stopped_candidate_is_frozen_while_the_others_go_on(moons):
    # One stack (same depth and batch size); patience 1 stops the first long before the second.
    quick = Genome((L(8, "tanh"),), "adam", 0.05, 0.0, 32, 60)
    slow = Genome((L(12, "tanh"),), "sgd", 1e-3, 0.0, 32, 25)
    seen: dict[int, list[int]] = {0: [], 1: []}
    x_val, y_val = torch.as_tensor(moons.x_val), torch.as_tensor(moons.y_val)

    def on_epoch(index, epoch, train_loss, val_loss, val_metric, model):
        seen[index].append(epoch)
        # The network handed out is the candidate's current one.
        with torch.no_grad():
            out = model()(x_val)
        assert float(torch.nn.functional.cross_entropy(out, y_val)) == pytest.approx(
            val_loss, rel=1e-5
        )
        assert float((out.argmax(1) == y_val).float().mean()) == pytest.approx(val_metric)

    results = train_population(
        [quick, slow], moons, seeds=[0, 1], patience=1, on_epoch=on_epoch, cost=ONE_GROUP
    )
    alone = [train_candidate(g, moons, seed=s, patience=1) for g, s in [(quick, 0), (slow, 1)]]
    assert results[0].epochs < results[1].epochs
    assert seen[0] == list(range(1, results[0].epochs + 1))
    # Identical best weights although the stack trained on after it stopped.
    for result, ref in zip(results, alone, strict=True):
        assert_same_training(result, ref)


def test_a_diverging_candidate_fails_alone(moons):
    genomes = [
        Genome((L(8, "relu"),), "sgd", 1e6, 0.0, 32, 8),
        Genome((L(8, "tanh"),), "sgd", 0.05, 0.0, 32, 8),
        Genome((L(6, "relu"),), "adam", 0.01, 0.0, 32, 8),
    ]
    results = train_population(genomes, moons, seeds=[0, 1, 2], patience=5, cost=ONE_GROUP)
    assert results[0].status == "failed"
    assert "loss became" in results[0].error and "learning rate" in results[0].error
    for genome, seed, result in zip(genomes, [0, 1, 2], results, strict=True):
        assert_same_training(result, train_candidate(genome, moons, seed=seed, patience=5))
    assert all(math.isfinite(v) for r in results[1:] for v in r.train_losses)


def test_cancelling(moons):
    genomes = [
        Genome((L(4 + i, "tanh"),), "adam", 0.01, 0.0, 32 * (1 + i % 2), 30) for i in range(4)
    ]
    # on_epoch returning False stops one candidate; keep_going() False stops everything.
    results = train_population(
        genomes, moons, seeds=[0, 1, 2, 3], patience=50,
        on_epoch=lambda i, epoch, *rest: not (i == 0 and epoch == 2),
    )  # fmt: skip
    assert results[0].status == "cancelled" and results[0].epochs == 2
    assert results[0].weights is not None and results[0].val_metric is not None
    assert [r.status for r in results[1:]] == ["ok"] * 3

    calls = []
    results = train_population(
        genomes, moons, seeds=[0, 1, 2, 3], patience=50,
        keep_going=lambda: calls.append(1) or len(calls) < 3,
    )  # fmt: skip
    statuses = sorted(r.status for r in results)
    assert statuses == ["cancelled"] * 4
    assert sum(r.error == "stopped before it started" for r in results) == 2  # the other group


def test_grouping_and_can_batch():
    genomes = [
        Genome((L(5),), batch_size=32),
        Genome((L(7),), batch_size=32),
        Genome((L(60),), batch_size=32),
        Genome((L(5), L(5)), batch_size=32),
        Genome((L(5),), batch_size=64),
        Genome((L(6), L(4)), optimizer="sgd", batch_size=32),
    ]
    for cost in (CostModel(), CostModel(op_seconds=0.0), ONE_GROUP):
        groups = plan_groups(genomes, 2, 2, 600, cost=cost)
        assert sorted(i for g in groups for i in g) == list(range(len(genomes)))
        for group in groups:  # one optimizer family and one batch size per group
            assert len({(family(genomes[i]), genomes[i].batch_size) for i in group}) == 1
    # Without merging, widths 5 and 7 share a power-of-two bucket; 60 does not.
    buckets = plan_groups(genomes, 2, 2, 600, cost=CostModel(op_seconds=0.0))
    assert [0, 1] in buckets and [2] in buckets
    # Depths share a stack, deepest first; Adam and SGD do not.
    assert sorted(plan_groups(genomes, 2, 2, 600, cost=ONE_GROUP)) == [[3, 0, 1, 2], [4], [5]]
    assert can_batch(genomes)
    # Whole groups go to workers: every candidate once, groups never split.
    shares = assign_to_workers(genomes, 2, 2, 2, 600, cost=CostModel(op_seconds=0.0))
    assert sorted(i for share in shares for i in share) == list(range(len(genomes)))
    assert any(set(buckets[0]) <= set(share) for share in shares)
    assert all(share for share in shares)
    assert not can_batch(genomes[:1])
    assert not can_batch([Genome((L(5, "bogus"),)), Genome((L(5, "bogus"),))])
    assert set(ACTIVATIONS) >= {"relu", "tanh", "sigmoid", "gelu", "leaky_relu", "elu", "silu"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda(moons):
    results = train_population(MIXED, moons, seeds=SEEDS, patience=4, device="cuda")
    for genome, seed, result in zip(MIXED, SEEDS, results, strict=True):
        assert result.status == "ok"
        alone = train_candidate(genome, moons, seed=seed, patience=4)
        # Dropout masks are drawn on the CPU, so they are the same on CUDA.
        assert result.train_losses[0] == pytest.approx(alone.train_losses[0], rel=1e-3)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_kernels_match_torch_nn(name):
    from neurolab.model import _ACTIVATIONS

    z = torch.randn(4, 6, 5) * 3
    grad = torch.randn(4, 6, 5)
    leaf = z.clone().requires_grad_(True)
    expected = _ACTIVATIONS[name]()(leaf)
    expected.backward(grad)
    activation = ACTIVATIONS[name]
    y, dz = torch.empty_like(z), torch.empty_like(z)
    activation.forward(z, y)
    activation.backward(grad, z, y, dz)
    assert torch.equal(y, expected.detach()) and torch.equal(dz, leaf.grad)
    assert activation.zero_at_zero == (float(_ACTIVATIONS[name]()(torch.zeros(1))) == 0.0)
