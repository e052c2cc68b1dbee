"""Mode "inherit": weights carried across mutation and crossover, then a shorter training."""

import pickle
import random
from dataclasses import replace

import pytest
import torch
from safetensors.torch import save

from neurolab.data import load_data
from neurolab.execution.worker import CandidateTask, WorkerContext
from neurolab.genome import Genome, LayerGene
from neurolab.inherit import carry_weights, is_exact_identity, linears
from neurolab.lineage import after_crossover, after_mutation, own_sources
from neurolab.model import build_model
from neurolab.runner import Runner
from neurolab.store import ProjectStore
from neurolab.train.trainer import train_candidate

from .conftest import tiny_spec


def _trained_like(genome: Genome, seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return build_model(genome, 3, 2).state_dict()


def _outputs(genome: Genome, state, x: torch.Tensor) -> torch.Tensor:
    model = build_model(genome, 3, 2).double()
    model.load_state_dict({k: v.double() for k, v in state.items()})
    return model.eval()(x)


def _carry(child: Genome, sources, parents: dict) -> dict[str, torch.Tensor]:
    fresh = build_model(child, 3, 2).state_dict()
    return carry_weights(child, sources, parents, fresh, random.Random(1))


PARENT = Genome(layers=(LayerGene(4, "tanh"), LayerGene(3, "relu", 0.1), LayerGene(5, "gelu")))
X = torch.randn(64, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))


def test_widening_keeps_the_function_exactly():
    state = _trained_like(PARENT)
    wide = Genome(layers=(LayerGene(9, "tanh"), LayerGene(7, "relu", 0.1), LayerGene(11, "gelu")))
    sources = after_mutation(PARENT, wide, own_sources(5, PARENT))
    child = _carry(wide, sources, {5: (PARENT, state)})
    assert torch.allclose(_outputs(wide, child, X), _outputs(PARENT, state, X), atol=1e-6)
    # The copies' outgoing weights are split unevenly, so gradient descent can tell them apart.
    w_next = linears(wide, child)[1][0]
    assert len({round(float(v), 6) for v in w_next[0]}) == w_next.shape[1]


def test_new_layer_after_relu_is_the_identity_and_crossover_takes_whole_layers():
    state = _trained_like(PARENT)
    assert is_exact_identity("relu", "relu") and not is_exact_identity("relu", None)
    deeper = Genome(layers=(*PARENT.layers[:2], LayerGene(6, "relu"), PARENT.layers[2]))
    sources = after_mutation(PARENT, deeper, own_sources(5, PARENT))
    assert sources == ((5, 0), (5, 1), None, (5, 2), (5, 3))
    child = _carry(deeper, sources, {5: (PARENT, state)})
    assert torch.allclose(_outputs(deeper, child, X), _outputs(PARENT, state, X), atol=1e-6)

    other = Genome(layers=(LayerGene(8, "elu"), LayerGene(2, "silu")))
    other_state = _trained_like(other, seed=3)
    mixed = Genome(layers=(PARENT.layers[0], other.layers[1]))  # cut after 1 and after 1
    sources, _ = after_crossover(own_sources(5, PARENT), own_sources(9, other), 1, 1, mixed, PARENT)
    assert sources == ((5, 0), (9, 1), (9, 2))
    child = linears(mixed, _carry(mixed, sources, {5: (PARENT, state), 9: (other, other_state)}))
    assert torch.equal(child[0][0], linears(PARENT, state)[0][0])  # whole layer, with weights
    assert torch.equal(child[2][0], linears(other, other_state)[2][0])  # and b's head
    # At the seam the layer keeps the weights of the inputs that still exist.
    assert torch.equal(child[1][0][:, :4], linears(other, other_state)[1][0][:, :4])


def test_removing_a_unit_keeps_the_others():
    state = _trained_like(PARENT)
    narrow = Genome(layers=(LayerGene(3, "tanh"), *PARENT.layers[1:]))
    child = linears(narrow, _carry(narrow, own_sources(5, PARENT), {5: (PARENT, state)}))
    parent = linears(PARENT, state)
    assert torch.equal(child[0][0], parent[0][0][:3])
    assert torch.equal(child[1][0], parent[1][0][:, :3])


def _inherit_spec(**overrides):
    return tiny_spec(mode="inherit", **{"training.inherit_epochs": 5, **overrides})


def test_inherit_run_trains_children_shorter_and_is_reproducible(tmp_path):
    def outcome(path):
        Runner(_inherit_spec(), path).run()
        with ProjectStore(path, create=False) as store:
            return [replace(r, seconds=0.0) for r in store.candidates(1)]

    first = outcome(tmp_path / "a.nlab")
    assert first == outcome(tmp_path / "b.nlab")
    children = [r for r in first if r.generation > 0]
    assert children and all(r.parents and r.origin != "random" for r in children)
    assert all(r.epochs <= 5 for r in children)
    assert max(r.epochs for r in first if r.generation == 0) > 5


def test_a_worker_trains_from_the_weights_in_its_task():
    """The task carries the starting weights as bytes; the worker trains `epochs` from them
    (the same numbers in the batched path) and pickles to plain data for a pool worker."""
    data = load_data(tiny_spec().data, None, 0)
    genome = Genome(layers=(LayerGene(6, "tanh"),), epochs=40)
    torch.manual_seed(9)
    start = {k: v * 3 for k, v in build_model(genome, 2, 2).state_dict().items()}
    task = CandidateTask(1, 1, genome.to_dict(), 5, 10, initial_weights=save(start), epochs=2)
    assert pickle.loads(pickle.dumps(task)) == task  # plain bytes in the task
    context = WorkerContext(data, "cpu")
    result = context.evaluate(task, lambda event: None)
    alone = train_candidate(
        replace(genome, epochs=2), data, seed=5, patience=10, initial_state=start
    )
    assert result.epochs == 2 and result.train_losses == alone.train_losses
    fresh = train_candidate(replace(genome, epochs=2), data, seed=5, patience=10)
    assert fresh.train_losses != alone.train_losses  # the weights made a difference
    twin = CandidateTask(2, 1, genome.to_dict(), 5, 10, initial_weights=save(start), epochs=2)
    batched = context.evaluate_batch([task, twin], lambda event: None)
    assert batched[0].train_losses == pytest.approx(alone.train_losses, rel=1e-5)


def test_a_restored_ga_proposes_the_same_children_with_the_same_sources():
    """Resuming an inherit run needs the layer sources in the engine checkpoint."""
    from neurolab.genome import SearchSpace
    from neurolab.search import GeneticSearch
    from neurolab.spec import SearchSpaceSpec

    from .search_driver import drive

    def engine():
        space = SearchSpace.from_spec(SearchSpaceSpec(max_layers=4))
        return GeneticSearch(space, population=8, generations=5, seed=2)

    original = engine()
    drive(original, stop_after=2)
    restored = engine()
    restored.restore(original.state())
    expected = original.ask()
    assert restored.ask() == expected
    later = [p for proposals, _ in drive(engine()) for p in proposals if p.origin != "random"]
    assert any(None in p.sources for p in later)  # an added layer is new
    assert all(len(p.sources) == len(p.genome.layers) + 1 for p in later)
