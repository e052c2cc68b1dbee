import random

from neurolab.genome import Genome, LayerGene, SearchSpace, crossover, mutate
from neurolab.model import build_model, parameter_count
from neurolab.spec import SearchSpaceSpec

SPACE = SearchSpace.from_spec(SearchSpaceSpec(min_layers=0, max_layers=4, max_width=64))


def _inside(genome: Genome, space: SearchSpace) -> bool:
    return (
        space.min_layers <= len(genome.layers) <= space.max_layers
        and all(space.min_width <= ly.width <= space.max_width for ly in genome.layers)
        and all(ly.activation in space.activations for ly in genome.layers)
        and space.min_lr <= genome.learning_rate <= space.max_lr
        and genome.optimizer in space.optimizers
        and genome.batch_size in space.batch_sizes
    )


def test_random_genomes_stay_in_space_and_cover_depths():
    rng = random.Random(0)
    genomes = [SPACE.random_genome(rng) for _ in range(300)]
    assert all(_inside(g, SPACE) for g in genomes)
    assert {len(g.layers) for g in genomes} == {0, 1, 2, 3, 4}


def test_dict_round_trip():
    genome = SPACE.random_genome(random.Random(1))
    assert Genome.from_dict(genome.to_dict()) == genome


def test_mutations_change_the_genome_and_stay_in_space():
    rng = random.Random(2)
    seen = set()
    genome = SPACE.random_genome(rng)
    for _ in range(400):
        child, name = mutate(genome, SPACE, rng)
        assert child != genome
        assert _inside(child, SPACE)
        seen.add(name)
        genome = child
    assert {
        "add_layer",
        "remove_layer",
        "width",
        "activation",
        "optimizer",
        "learning_rate",
        "dropout",
    } <= seen


def test_crossover_mixes_depths_and_keeps_layers_whole():
    rng = random.Random(3)
    a = Genome(layers=(LayerGene(8, "tanh"), LayerGene(16, "relu"), LayerGene(4, "elu")))
    b = Genome(layers=(LayerGene(32, "gelu"),), optimizer="adamw")
    depths = set()
    for _ in range(50):
        c1, c2 = crossover(a, b, SPACE, rng)
        depths |= {len(c1.layers), len(c2.layers)}
        for child in (c1, c2):
            assert set(child.layers) <= set(a.layers) | set(b.layers)
        assert len(c1.layers) + len(c2.layers) == 4
    assert len(depths) >= 3


def test_model_matches_parameter_count():
    for seed in range(20):
        genome = SPACE.random_genome(random.Random(seed))
        model = build_model(genome, 5, 3)
        assert sum(p.numel() for p in model.parameters()) == parameter_count(genome, 5, 3)
