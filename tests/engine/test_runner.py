import threading
import time

import pytest

from neurolab.data import load_data
from neurolab.events import CandidateFinished, CandidateStarted, GenerationFinished, RunFinished
from neurolab.runner import Runner
from neurolab.store import ProjectStore
from neurolab.train.trainer import train_candidate

from .conftest import tiny_spec


def test_run_fills_the_project_file(tmp_path, spec):
    events = []
    summary = Runner(spec, tmp_path / "p.nlab", [events.append]).run()
    assert summary.status == "finished"
    with ProjectStore(tmp_path / "p.nlab", create=False) as store:
        run = store.latest_run()
        records = store.candidates(run.run_id)
        assert run.status == "finished" and run.metric == "accuracy"
        assert (
            len(records)
            == summary.candidates
            == sum(isinstance(e, CandidateFinished) for e in events)
        )
        assert [g.generation for g in store.generations(run.run_id)] == [0, 1, 2]
        best = store.best(run.run_id)
        assert best.val_metric >= 0.85 and best.test_metric >= 0.85
        assert store.load_weights(run.run_id, best.candidate_id) is not None
        assert all(len(r.val_losses) == r.epochs or r.status != "ok" for r in records)
        assert any(r.parents for r in records if r.generation > 0)
    assert isinstance(events[-1], RunFinished)


def test_same_seed_gives_identical_runs(tmp_path, spec):
    def outcome(path):
        Runner(spec, path).run()
        with ProjectStore(path, create=False) as store:
            return [
                (r.genome, r.val_metric, r.test_metric, r.val_losses) for r in store.candidates(1)
            ]

    assert outcome(tmp_path / "a.nlab") == outcome(tmp_path / "b.nlab")


def test_non_linearity_matters_on_moons(tmp_path):
    """The evolved best beats the best network with no hidden layer by at least 8 points."""
    moons = {
        "data.params": {"n_samples": 500, "noise": 0.25, "seed": 0},
        "search_space.max_width": 32,
        "search_space.max_epochs": 60,
        "engine.population": 6,
        "budget.generations": 2,
    }
    linear = Runner(tiny_spec(**moons, **{"search_space.max_layers": 0}), tmp_path / "l.nlab").run()
    evolved = Runner(
        tiny_spec(**moons, **{"search_space.min_layers": 1}), tmp_path / "e.nlab"
    ).run()
    assert evolved.best.test_metric - linear.best.test_metric >= 0.08


def test_nan_loss_fails_the_candidate_not_the_run(tmp_path):
    data = load_data(tiny_spec().data, None, 0)
    from neurolab.genome import Genome, LayerGene

    exploding = Genome(
        layers=(LayerGene(16, "relu"),), optimizer="sgd", learning_rate=1e6, epochs=20
    )
    result = train_candidate(exploding, data, seed=0)
    assert result.status == "failed"
    assert "NaN" in result.error or "infinite" in result.error


def test_stop_keeps_finished_candidates(tmp_path):
    spec = tiny_spec(**{"budget.generations": 50})
    runner = Runner(spec, tmp_path / "p.nlab")
    seen = threading.Event()
    done = []

    def sink(event):
        if isinstance(event, GenerationFinished):
            seen.set()
        if isinstance(event, CandidateFinished):
            done.append(event)

    runner.sinks.append(sink)
    thread = threading.Thread(target=lambda: done.append(runner.run()))
    thread.start()
    assert seen.wait(60)
    runner.stop()
    thread.join(30)
    summary = done[-1]
    assert summary.status == "stopped"
    with ProjectStore(tmp_path / "p.nlab", create=False) as store:
        assert len(store.candidates(summary.run_id)) == summary.candidates >= 6


def test_time_budget_stops_the_run(tmp_path):
    summary = Runner(
        tiny_spec(**{"budget.generations": 500, "budget.seconds": 3}), tmp_path / "p.nlab"
    ).run()
    assert summary.status == "stopped"
    assert summary.seconds < 15


@pytest.mark.parametrize("workers", [2])
def test_pool_gives_the_same_result_as_inline(tmp_path, workers):
    inline = Runner(tiny_spec(), tmp_path / "a.nlab").run()
    pooled = Runner(tiny_spec(**{"execution.workers": workers}), tmp_path / "b.nlab").run()
    assert pooled.best.genome == inline.best.genome
    assert pooled.best.val_metric == pytest.approx(inline.best.val_metric, abs=1e-6)


def test_started_events_name_every_candidate(tmp_path, spec):
    events = []
    Runner(spec, tmp_path / "p.nlab", [events.append]).run()
    started = {e.candidate_id for e in events if isinstance(e, CandidateStarted)}
    finished = {e.record.candidate_id for e in events if isinstance(e, CandidateFinished)}
    assert started == finished


def test_batching_gives_the_same_run_as_one_at_a_time(tmp_path):
    def outcome(path, batching):
        Runner(tiny_spec(**{"execution.batching": batching}), path).run()
        with ProjectStore(path, create=False) as store:
            return [(r.genome, r.status, r.epochs, r.val_losses) for r in store.candidates(1)]

    batched = outcome(tmp_path / "b.nlab", "auto")
    single = outcome(tmp_path / "s.nlab", "off")
    assert [r[:3] for r in batched] == [r[:3] for r in single]
    for (_, _, _, a), (_, _, _, b) in zip(batched, single, strict=True):
        assert a == pytest.approx(b, rel=1e-4)


def test_no_generation_starts_whose_ask_would_outlast_the_budget():
    from neurolab.run_state import RunState

    state = RunState(time.monotonic() - 7.0, 100, 10.0)  # 7 of 10 s gone
    assert state.room_for_a_generation() and not state.out_of_time()
    state.ask_seconds = 2.5  # the engine's last ask (Optuna's, on a long study)
    assert state.room_for_a_generation()
    state.ask_seconds = 3.5  # it would end past the budget, where nothing can train
    assert not state.room_for_a_generation() and not state.out_of_time()
    assert RunState(0.0, 100, None).room_for_a_generation()  # no time budget
