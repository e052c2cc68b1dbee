"""NSGA-II (validation metric up, parameters down), the stored Pareto front, and diversity."""

import json
import sqlite3

import pytest

from neurolab.cli import main
from neurolab.errors import SpecError
from neurolab.genome import SearchSpace
from neurolab.model import parameter_count
from neurolab.runner import Runner
from neurolab.search import Evaluation, GeneticSearch, OptunaSearch
from neurolab.spec import ExperimentSpec, SearchSpaceSpec
from neurolab.store import SCHEMA_VERSION, ProjectStore

from .search_driver import drive, toy_fitness


def _dominates(a, b) -> bool:
    """a is at least as good in both objectives and better in one."""
    return (a.val_metric >= b.val_metric and a.params <= b.params) and (
        a.val_metric > b.val_metric or a.params < b.params
    )


def test_nsga2_on_breast_cancer_stores_a_front_from_tiny_to_most_accurate(tmp_path, capsys):
    spec = ExperimentSpec.from_dict(
        {
            "name": "bc",
            "data": {"name": "breast_cancer"},
            "search_space": {
                "max_layers": 2,
                "min_width": 1,
                "max_width": 32,
                "min_epochs": 20,
                "max_epochs": 30,
                "batch_sizes": [32, 64],
            },
            "engine": {"population": 8, "objectives": ["metric", "params"]},
            "budget": {"generations": 4},
            "seed": 0,
        }
    )
    summary = Runner(spec, tmp_path / "bc.nlab").run()
    with ProjectStore(tmp_path / "bc.nlab", create=False) as store:
        front = store.front(summary.run_id)
        generations = store.generations(summary.run_id)
        best = store.best(summary.run_id)
    assert all(g.front and g.diversity is not None for g in generations)
    assert not any(_dominates(a, b) for a in front for b in front)
    assert front[0].params < 100
    assert front[-1].val_metric == best.val_metric  # the most accurate network is on it
    assert [r.params for r in front] == sorted(r.params for r in front)

    assert main(["show", str(tmp_path / "bc.nlab")]) == 0
    shown = capsys.readouterr().out
    assert "Pareto front" in shown and f"candidate {front[0].candidate_id:>5}" in shown


def test_nsga2_front_spans_the_trade_off_on_a_toy_fitness():
    """Toy fitness (three layers of width 32 best) against parameters: a front of several."""
    space = SearchSpace.from_spec(SearchSpaceSpec(max_layers=4, min_width=1, max_width=64))
    engine = GeneticSearch(space, population=16, generations=12, seed=1, objectives=2)

    def fitness(genome):
        return toy_fitness(genome)

    next_id = 0
    while not engine.done():
        results = []
        for proposal in engine.ask():
            next_id += 1
            params = float(parameter_count(proposal.genome, 2, 2))
            score = fitness(proposal.genome)
            results.append(Evaluation(proposal, next_id, score, (score, params)))
        engine.tell(results)
    front = engine.front()
    assert len(front) >= 3
    points = {ind.candidate_id: ind.fitness.values for ind in engine.population if ind.candidate_id}
    values = [points[i] for i in front]
    assert [v[1] for v in values] == sorted(v[1] for v in values)  # fewest parameters first
    assert [v[0] for v in values] == sorted(v[0] for v in values)  # ... least fit first


def test_fitness_sharing_keeps_the_population_more_diverse():
    space = SearchSpace.from_spec(SearchSpaceSpec(max_layers=4, max_width=64))

    def final_diversity(radius):
        engine = GeneticSearch(space, population=16, generations=10, seed=0, sharing_radius=radius)
        drive(engine)
        return engine.diversity()

    assert final_diversity(1.5) > final_diversity(None)


def test_a_version_1_project_file_is_migrated(tmp_path):
    path = tmp_path / "old.nlab"
    ProjectStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE generations DROP COLUMN diversity")
        db.execute("ALTER TABLE generations DROP COLUMN front")
        db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    with ProjectStore(path, create=False) as store:
        version = store._db.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert int(version.fetchone()[0]) == SCHEMA_VERSION
        columns = {row[1] for row in store._db.execute("PRAGMA table_info(generations)")}
        assert {"diversity", "front"} <= columns


# --- Optuna with several objectives (NSGA-II, or multi-objective TPE) ------------------------
def _optuna_pareto(sampler: str, generations: int = 10) -> OptunaSearch:
    space = SearchSpace.from_spec(SearchSpaceSpec(max_layers=4, min_width=1, max_width=64))
    return OptunaSearch(
        space, population=16, generations=generations, seed=1, sampler=sampler, objectives=2
    )


def _drive_pareto(engine, stop_after=None, next_id=0) -> list:
    """Ask/tell with (toy fitness, parameter count); returns each generation's genomes."""

    def objectives(genome, score):
        return (score, float(parameter_count(genome, 2, 2)))

    history = drive(engine, stop_after, next_id, objectives=objectives)
    return [[p.genome for p in proposals] for proposals, _ in history]


@pytest.mark.parametrize("sampler", ["nsga2", "tpe"])
def test_optuna_front_spans_the_trade_off_on_a_toy_fitness(sampler):
    engine = _optuna_pareto(sampler)
    _drive_pareto(engine)
    front = engine.front()
    assert len(front) >= 3
    values = {t.user_attrs["candidate_id"]: tuple(t.values) for t in engine.study.trials}
    points = [values[i] for i in front]
    assert [p[1] for p in points] == sorted(p[1] for p in points)  # fewest parameters first
    assert [p[0] for p in points] == sorted(p[0] for p in points)  # ... least fit first
    for p in points:  # nothing tried beats a front member on both objectives
        assert not any(q[0] >= p[0] and q[1] <= p[1] and q != p for q in values.values())
    assert engine.param_importances()  # fANOVA on the metric of a two-objective study


def test_optuna_nsga2_resumes_exactly():
    whole = _optuna_pareto("nsga2", generations=6)
    uninterrupted = _drive_pareto(whole)
    first = _optuna_pareto("nsga2", generations=6)
    part_one = _drive_pareto(first, stop_after=3)
    state = json.loads(json.dumps(first.state()))  # it must survive the project file
    assert all(len(t["values"]) == 2 for t in state["trials"])
    second = _optuna_pareto("nsga2", generations=6)
    second.restore(state)
    part_two = _drive_pareto(second, next_id=3 * 16)
    assert part_one + part_two == uninterrupted
    assert second.front() == whole.front()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sampler": "cmaes"}, "CMA-ES optimises one objective"),
        ({"pruner": "median"}, "single-objective"),
        ({"kind": "random"}, 'need kind "ga" or "optuna"'),
    ],
)
def test_optuna_objectives_that_cannot_work_are_refused(overrides, message):
    engine = {"kind": "optuna", "objectives": ["metric", "params"], **overrides}
    with pytest.raises(SpecError, match=message):
        ExperimentSpec.from_dict({"data": {"name": "moons"}, "engine": engine})


def test_cli_optuna_nsga2_stores_and_shows_a_front(tmp_path, capsys):
    out = tmp_path / "mo.nlab"
    args = ["run", "--dataset", "breast_cancer", "--out", str(out), "--engine", "optuna"]
    args += ["--sampler", "nsga2", "--objectives", "metric,params", "--population", "8"]
    args += ["--generations", "3", "--seed", "0"]
    assert main(args) == 0
    with ProjectStore(out, create=False) as store:
        run_id = store.latest_run().run_id
        front = store.front(run_id)
        best = store.best(run_id)
    assert len(front) >= 2 and not any(_dominates(a, b) for a in front for b in front)
    assert front[-1].val_metric == best.val_metric  # the most accurate network is on it
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    assert "Pareto front" in capsys.readouterr().out
