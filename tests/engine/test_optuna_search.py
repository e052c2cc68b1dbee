"""The Optuna engine: ask/tell on a toy fitness (no training), checkpoints, and one real run."""

import functools
import importlib.util
import itertools
import json
import math
import os
import subprocess
import sys

import pytest

from neurolab.errors import SpecError
from neurolab.genome import SearchSpace
from neurolab.search import Evaluation, OptunaSearch, make_engine
from neurolab.spec import ExperimentSpec
from tests.engine.conftest import tiny_spec
from tests.engine.search_driver import drive, toy_fitness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# CMA-ES needs the optional `cmaes` package; its cases skip where it is not installed.
SAMPLERS = [
    "tpe",
    "random",
    "nsga2",
    pytest.param(
        "cmaes",
        marks=pytest.mark.skipif(importlib.util.find_spec("cmaes") is None, reason="needs cmaes"),
    ),
]


POPULATION = 6


def _spec(sampler: str, generations: int = 5, **space) -> ExperimentSpec:
    return ExperimentSpec.from_dict(
        {
            "data": {"name": "moons"},
            "engine": {"kind": "optuna", "population": POPULATION, "sampler": sampler},
            "budget": {"generations": generations},
            "search_space": {"min_layers": 0, "max_layers": 5, "max_width": 64, **space},
            "seed": 7,
        }
    )


def _genomes(history):
    return [[p.genome for p in proposals] for proposals, _ in history]


@functools.cache
def _uninterrupted(sampler: str) -> list:
    return _genomes(drive(make_engine(_spec(sampler))))


def _inside(genome, space: SearchSpace) -> bool:
    return (
        space.min_layers <= len(genome.layers) <= space.max_layers
        and all(
            space.min_width <= ly.width <= space.max_width
            and ly.activation in space.activations
            and space.min_dropout <= ly.dropout <= space.max_dropout
            for ly in genome.layers
        )
        and genome.optimizer in space.optimizers
        and space.min_lr <= genome.learning_rate <= space.max_lr
        and genome.weight_decay in space.weight_decays
        and genome.batch_size in space.batch_sizes
        and space.min_epochs <= genome.epochs <= space.max_epochs
    )


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_proposals_stay_inside_the_space(sampler):
    spec = _spec(sampler, generations=4, min_layers=1, min_dropout=0.05, max_dropout=0.3)
    engine = make_engine(spec)
    assert isinstance(engine, OptunaSearch)
    space = SearchSpace.from_spec(spec.search_space)
    history = drive(engine)
    assert len(history) == 4 and engine.done()
    for proposals, _ in history:
        assert len(proposals) == POPULATION
        assert len({p.genome for p in proposals}) == POPULATION  # parallel trials differ
        for proposal in proposals:
            assert _inside(proposal.genome, space), proposal.genome
            assert proposal.origin == f"optuna:{sampler}" and proposal.parents == ()


def test_layer_parameters_exist_only_for_layers_that_do():
    engine = make_engine(_spec("tpe", generations=3, max_dropout=0.0))
    history = drive(engine)
    rows = engine.trials_table()
    assert len(rows) == 3 * POPULATION and all(row["state"] == "complete" for row in rows)
    genomes = [g for batch in _genomes(history) for g in batch]
    depths = {row["params"]["n_layers"] for row in rows}
    assert len(depths) > 2  # the test means something only if depths vary
    for row, genome in zip(rows, genomes, strict=True):
        depth = row["params"]["n_layers"]
        assert len(genome.layers) == depth
        for k in range(5):
            assert (f"width_{k}" in row["params"]) == (k < depth)
            assert (f"activation_{k}" in row["params"]) == (k < depth)
            assert f"dropout_{k}" not in row["params"]  # min_dropout == max_dropout
        assert [ly.width for ly in genome.layers] == [
            row["params"][f"width_{k}"] for k in range(depth)
        ]
    assert [row["candidate_id"] for row in rows] == list(range(1, len(rows) + 1))
    assert [row["generation"] for row in rows] == [g for g in range(3) for _ in range(POPULATION)]


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_same_seed_same_proposals(sampler):
    assert _genomes(drive(make_engine(_spec(sampler)))) == _uninterrupted(sampler)
    other = _spec(sampler, generations=2).with_overrides({"seed": 8})
    assert _genomes(drive(make_engine(other))) != _uninterrupted(sampler)[:2]


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_checkpoint_resumes_the_same_search(sampler):
    first = make_engine(_spec(sampler))
    part_one = drive(first, stop_after=3)
    state = json.loads(json.dumps(first.state()))  # it must survive the project file
    assert state["generation"] == 3 and len(state["trials"]) == 3 * POPULATION
    second = make_engine(_spec(sampler))
    second.restore(state)
    assert second.generation == 3 and second.state() == state
    part_two = _genomes(drive(second, next_id=3 * POPULATION))
    assert _genomes(part_one) + part_two == _uninterrupted(sampler)


_HALF_RUN_IN_ANOTHER_PROCESS = """
import json
from neurolab.search import make_engine
from tests.engine.search_driver import drive
from tests.engine.test_optuna_search import _spec
engine = make_engine(_spec("tpe"))
drive(engine, stop_after=3)
print(json.dumps(engine.state()))
"""


def test_resume_in_a_new_process_proposes_the_same():
    # A real resume runs in another interpreter, with another string-hash seed.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", _HALF_RUN_IN_ANOTHER_PROCESS],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    ).stdout
    resumed = make_engine(_spec("tpe"))
    resumed.restore(json.loads(out.strip().splitlines()[-1]))
    assert _genomes(drive(resumed, next_id=3 * POPULATION)) == _uninterrupted("tpe")[3:]


def test_failed_trials_do_not_stop_the_sampler():
    calls = itertools.count()

    def flaky(genome):  # the whole first generation fails, and later every deep network
        first_generation = next(calls) < POPULATION
        return -math.inf if first_generation or len(genome.layers) >= 3 else toy_fitness(genome)

    engine = make_engine(_spec("tpe"))
    history = drive(engine, fitness=flaky)
    assert len(history) == 5
    states = [row["state"] for row in engine.trials_table()]
    assert states[:POPULATION] == ["fail"] * POPULATION and "complete" in states
    state = json.loads(json.dumps(engine.state()))
    assert sum(t["state"] == "FAIL" for t in state["trials"]) == states.count("fail")
    again = make_engine(_spec("tpe"))
    again.restore(state)
    assert [row["state"] for row in again.trials_table()] == states


def test_tpe_finds_better_networks_than_random_sampling():
    # Same budget (10 generations of 6), same seed. Beyond the best, TPE's later generations
    # concentrate on good regions, so their mean is clearly higher.
    tpe = drive(make_engine(_spec("tpe", generations=10)))
    rnd = drive(make_engine(_spec("random", generations=10)))

    def best(history):
        return max(r.fitness for _, rs in history for r in rs)

    def late_mean(history):
        scores = [r.fitness for _, rs in history[5:] for r in rs]
        return sum(scores) / len(scores)

    assert best(tpe) >= best(rnd)
    assert late_mean(tpe) > late_mean(rnd) + 0.5


def test_importances_and_protocol_misuse():
    engine = make_engine(_spec("tpe", generations=3))
    assert engine.param_importances() == {}  # nothing finished yet
    drive(engine, stop_after=2)
    importances = engine.param_importances()
    assert "n_layers" in importances and "width_3" not in importances
    assert math.isclose(sum(importances.values()), 1.0, rel_tol=1e-6)
    proposals = engine.ask()
    with pytest.raises(RuntimeError):
        engine.ask()
    with pytest.raises(ValueError):
        engine.tell([Evaluation(proposals[0], 1, 0.0)])
    mid_generation = engine.state()  # the asked, untold trials are not part of a checkpoint
    assert mid_generation["generation"] == 2 and len(mid_generation["trials"]) == 2 * POPULATION
    with pytest.raises(ValueError):
        make_engine(_spec("random")).restore(engine.state())  # another sampler's checkpoint


def test_bad_sampler_is_a_spec_error(monkeypatch):
    with pytest.raises(SpecError, match="engine.sampler"):
        _spec("bayes")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "cmaes" else real(name, *a)
    )
    with pytest.raises(SpecError, match="pip install cmaes"):
        make_engine(_spec("cmaes"))


def test_real_run_on_tiny_moons(tmp_path):
    from neurolab.runner import Runner
    from neurolab.store import ProjectStore

    spec = tiny_spec(**{"engine.kind": "optuna"})
    path = tmp_path / "optuna.nlab"
    summary = Runner(spec, path).run()
    assert summary.status == "finished"
    assert summary.best is not None and summary.best.val_metric > 0.85
    with ProjectStore(path, create=False) as store:
        records = store.candidates(summary.run_id)
        checkpoint = store.engine_state(summary.run_id)
    assert len(records) == 18 and {r.origin for r in records} == {"optuna:tpe"}
    assert [r.generation for r in records] == [g for g in range(3) for _ in range(6)]
    assert checkpoint is not None and checkpoint[1]["generation"] == 3
    trial_ids = [t["candidate_id"] for t in checkpoint[1]["trials"]]
    assert trial_ids == [r.candidate_id for r in records]


SHORT_TRAINING = """
name = "short"
[data]
name = "moons"
[search_space]
min_epochs = 5
max_epochs = 15
batch_sizes = [32, 64]
"""


def test_cli_runs_optuna_with_a_sampler(tmp_path, capsys):
    from neurolab.cli import main
    from neurolab.store import ProjectStore

    # A spec with few epochs keeps this a test of the flags rather than of training time.
    short = tmp_path / "short.toml"
    short.write_text(SHORT_TRAINING)
    out = tmp_path / "xor.nlab"
    args = ["run", str(short), "--dataset", "xor", "--engine", "optuna", "--sampler", "random"]
    args += ["--population", "4", "--generations", "2", "--out", str(out), "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["candidates"] == 8 and result["status"] == "finished"
    with ProjectStore(out, create=False) as store:
        run = store.latest_run()
        assert run.spec["engine"]["sampler"] == "random"
        assert {r.origin for r in store.candidates(run.run_id)} == {"optuna:random"}


@pytest.mark.parametrize("pruner", ["median", "hyperband"])
def test_the_cheaper_tpe_proposes_what_optunas_own_does(monkeypatch, pruner):
    """`GenerationTpe` (one search space per generation, scipy's log_ndtr) changes the cost of
    an ask, not its proposals: they equal stock `TPESampler`'s up to float rounding."""
    from optuna.samplers import TPESampler

    from neurolab.search import optuna_samplers

    def proposals() -> list[dict]:
        spec = _spec("tpe", generations=6)
        spec = spec.model_copy(update={"engine": spec.engine.model_copy(update={"pruner": pruner})})
        history = _genomes(drive(make_engine(spec)))
        text = json.dumps([[g.to_dict() for g in gen] for gen in history])
        return json.loads(text, parse_float=lambda x: round(float(x), 9))

    ours = proposals()
    monkeypatch.setattr(optuna_samplers, "GenerationTpe", TPESampler)
    assert ours == proposals()
