"""Mode "neuroevolution": weights evolved without a gradient step, scored in one batched pass."""

from dataclasses import replace

import pytest

from neurolab.genome import SearchSpace
from neurolab.runner import Runner
from neurolab.search.base import Evaluation
from neurolab.search.neuroevolution import Neuroevolution
from neurolab.spec import ExperimentSpec, NeuroevolutionSpec, SearchSpaceSpec
from neurolab.store import ProjectStore


def _spec(generations: int, **neuroevolution) -> ExperimentSpec:
    return ExperimentSpec.from_dict(
        {
            "name": "ne",
            "data": {"name": "moons", "params": {"n_samples": 1000, "noise": 0.25, "seed": 0}},
            "mode": "neuroevolution",
            "search_space": {"max_layers": 2, "min_width": 2, "max_width": 12},
            "engine": {"population": 16, "elites": 2},
            "budget": {"generations": generations},
            "neuroevolution": neuroevolution,
            "seed": 0,
        }
    )


def test_cmaes_reaches_bayes_level_on_noisy_moons_without_gradients(tmp_path):
    """Moons at noise 0.25 (best possible ~0.944): CMA-ES on a 2-8-2 tanh network ≥ 0.92."""
    summary = Runner(_spec(100, algorithm="cmaes"), tmp_path / "cma.nlab").run()
    assert summary.best.test_metric >= 0.92
    with ProjectStore(tmp_path / "cma.nlab", create=False) as store:
        records = store.candidates(summary.run_id)
        generations = store.generations(summary.run_id)
        assert store.load_weights(summary.run_id, summary.best.candidate_id) is not None
    assert all(r.epochs == 0 for r in records)  # no gradient step, ever
    assert len(generations) == 100 and all(g.seconds > 0 for g in generations)
    assert {r.origin for r in records if r.generation > 0} == {"cmaes"}
    assert all(r.parents for r in records if r.generation > 0)


@pytest.mark.parametrize(
    "settings",
    [
        {"algorithm": "ga", "crossover": "sbx", "topology": "evolving"},
        {"algorithm": "cmaes"},
    ],
)
def test_same_seed_same_result(tmp_path, settings):
    def outcome(name):
        Runner(_spec(6, **settings), tmp_path / name).run()
        with ProjectStore(tmp_path / name, create=False) as store:
            return [replace(r, seconds=0.0) for r in store.candidates(1)]

    first = outcome("a.nlab")
    assert first == outcome("b.nlab")
    if settings.get("topology") == "evolving":
        assert len({str(r.genome["layers"]) for r in first}) > 1  # shapes evolve too
        assert any("mutation:" in r.origin for r in first)


@pytest.mark.parametrize("algorithm", ["ga", "cmaes"])
def test_a_restored_engine_proposes_what_the_original_would(algorithm):
    def engine():
        return Neuroevolution(
            SearchSpace.from_spec(SearchSpaceSpec()),
            NeuroevolutionSpec(algorithm=algorithm, layers=[4]),
            population=8,
            generations=5,
            seed=3,
            n_inputs=2,
            n_outputs=2,
        )

    def tell(e, proposals, offset):
        # Any deterministic fitness: the first weight bytes' sum.
        e.tell(
            [
                Evaluation(p, offset + i, float(sum(p.weights[-16:])))
                for i, p in enumerate(proposals)
            ]
        )

    original = engine()
    for generation in range(2):
        tell(original, original.ask(), 100 * generation)
    checkpoint = original.state()
    restored = engine()
    restored.restore(checkpoint)
    assert [p.weights for p in restored.ask()] == [p.weights for p in original.ask()]


def test_cli_mode_flag_runs_neuroevolution_and_shows_diversity(tmp_path, capsys):
    import json

    from neurolab.cli import main

    out = tmp_path / "cli.nlab"
    code = main(
        ["run", "--dataset", "moons", "--mode", "neuroevolution", "--generations", "3"]
        + ["--population", "6", "--out", str(out), "--json"]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["candidates"] == 18
    assert "diversity" in captured.err  # in every generation's progress line
    with ProjectStore(out, create=False) as store:
        assert store.latest_run().spec["mode"] == "neuroevolution"


def test_regression_evolves_too(tmp_path):
    """Sine (1-D regression): the training MSE is the selection signal; R² improves."""
    spec = _spec(30, algorithm="cmaes", layers=[6]).with_overrides(
        {"data": {"name": "sine", "params": {"n_samples": 300, "seed": 0}}}
    )
    Runner(spec, tmp_path / "sine.nlab").run()
    with ProjectStore(tmp_path / "sine.nlab", create=False) as store:
        generations = store.generations(1)
    assert generations[-1].best_so_far > generations[0].best + 0.1  # 0.73 -> 0.94 measured
    assert generations[-1].best_so_far > 0.9
