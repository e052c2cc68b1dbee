import json

import pytest

from neurolab.search import make_engine
from neurolab.spec import ExperimentSpec
from tests.engine.search_driver import drive


def _spec(kind: str, **engine) -> ExperimentSpec:
    return ExperimentSpec.from_dict(
        {
            "data": {"name": "moons"},
            "engine": {"kind": kind, "population": 12, **engine},
            "budget": {"generations": 10},
            "search_space": {"min_layers": 0, "max_layers": 5, "max_width": 64},
            "seed": 7,
        }
    )


def test_ga_improves_on_random_search():
    ga_best = max(r.fitness for _, rs in drive(make_engine(_spec("ga"))) for r in rs)
    random_best = max(r.fitness for _, rs in drive(make_engine(_spec("random"))) for r in rs)
    assert ga_best > random_best
    assert ga_best > -0.3


def test_ga_records_parents_and_operators():
    history = drive(make_engine(_spec("ga")))
    first, later = history[0][0], [p for ps, _ in history[1:] for p in ps]
    assert all(p.origin == "random" and p.parents == () for p in first)
    assert any(p.origin.startswith("crossover") and len(p.parents) == 2 for p in later)
    assert any(p.origin.startswith("mutation:") and len(p.parents) == 1 for p in later)
    known_ids = {r.candidate_id for _, rs in history for r in rs}
    assert all(set(p.parents) <= known_ids for p in later)


@pytest.mark.parametrize("kind", ["ga", "random"])
def test_same_seed_same_search(kind):
    a = [[p.genome for p in ps] for ps, _ in drive(make_engine(_spec(kind)))]
    b = [[p.genome for p in ps] for ps, _ in drive(make_engine(_spec(kind)))]
    assert a == b


@pytest.mark.parametrize("kind", ["ga", "random"])
def test_checkpoint_resumes_the_same_search(kind):
    uninterrupted = [[p.genome for p in ps] for ps, _ in drive(make_engine(_spec(kind)))]
    first = make_engine(_spec(kind))
    part_one = drive(first, stop_after=4)
    state = json.loads(json.dumps(first.state()))  # it must survive the project file
    second = make_engine(_spec(kind))
    second.restore(state)
    # Candidate ids continue where they stopped.
    done = sum(len(rs) for _, rs in part_one)
    part_two = [[p.genome for p in ps] for ps, _ in drive(second, next_id=done)]
    assert [[p.genome for p in ps] for ps, _ in part_one] + part_two == uninterrupted


def test_deap_does_not_disturb_global_random():
    import random

    random.seed(123)
    expected = [random.random() for _ in range(3)]
    random.seed(123)
    drive(make_engine(_spec("ga")))
    assert [random.random() for _ in range(3)] == expected


def test_ga_starts_from_seed_genomes():
    from neurolab.errors import SpecError
    from neurolab.genome import Genome, LayerGene

    hand_made = Genome((LayerGene(8, "tanh"), LayerGene(8, "tanh")), learning_rate=0.03)
    engine = make_engine(_spec("ga", seeds=[hand_made.to_dict()]))
    first = engine.ask()
    assert first[0].genome == hand_made and first[0].origin == "seeded"
    assert len(first) == 12 and all(p.origin == "random" for p in first[1:])
    # Outside the search space, a seed is moved to its nearest genome inside.
    wide = Genome((LayerGene(500, "tanh"),))
    assert make_engine(_spec("ga", seeds=[wide.to_dict()])).ask()[0].genome.layers[0].width == 64
    with pytest.raises(SpecError, match="GA run only"):
        _spec("optuna", seeds=[hand_made.to_dict()])
    with pytest.raises(SpecError, match="engine.seeds: not a genome"):
        make_engine(_spec("ga", seeds=[{"layers": []}]))
