"""Pruning: the engine prunes lagging curves, the Runner cancels and stores them as pruned."""

from __future__ import annotations

import json
import threading

import pytest

from neurolab.events import CandidateFinished
from neurolab.runner import Runner
from neurolab.search import Evaluation, make_engine
from neurolab.store import ProjectStore
from tests.engine.conftest import tiny_spec
from tests.engine.search_driver import toy_fitness
from tests.engine.test_optuna_search import _spec

# --- the engine, on toy curves (no training) ------------------------------------------------


def _curve(genome) -> list[float]:
    """A validation loss that falls towards a floor set by how good the genome is."""
    floor = 1.0 - toy_fitness(genome) / 4
    return [floor + 2.0 / epoch for epoch in range(1, genome.epochs + 1)]


def _drive_with_curves(engine, stop_after=None, next_id=0, chunk=7):
    """Ask/report/tell like the Runner: curves in throttled chunks, then the whole curve."""
    decisions = []
    while not engine.done() and (stop_after is None or engine.generation < stop_after):
        proposals, results = engine.ask(), []
        for position, proposal in enumerate(proposals):
            curve = _curve(proposal.genome)
            for first in range(0, len(curve), chunk):
                if engine.report(position, first + 1, curve[first : first + chunk]) is not None:
                    break
            pruned_at = engine.report(position, 1, curve)
            next_id += 1
            decisions.append((next_id, pruned_at))
            results.append(Evaluation(proposal, next_id, -curve[-1], pruned=pruned_at is not None))
        engine.tell(results)
    return decisions


@pytest.mark.parametrize("pruner", ["median", "halving", "hyperband"])
def test_each_pruner_prunes_lagging_curves_and_resumes_exactly(pruner):
    spec = _spec("tpe", generations=5).with_overrides({"engine.pruner": pruner})
    engine = make_engine(spec)
    assert engine.prunes()
    decisions = _drive_with_curves(engine)
    pruned = [d for d in decisions if d[1] is not None]
    assert 0 < len(pruned) < len(decisions)
    rows = engine.trials_table()
    assert {r["candidate_id"] for r in rows if r["state"] == "pruned"} == {d[0] for d in pruned}
    if pruner == "median":  # it compares with completed trials only: none in generation 0
        assert all(candidate_id > 6 for candidate_id, _ in pruned)
    # A checkpoint taken mid-run resumes the same search and the same decisions.
    first = make_engine(spec)
    head = _drive_with_curves(first, stop_after=3)
    state = json.loads(json.dumps(first.state()))
    assert any(t["state"] == "PRUNED" and t["intermediate"] for t in state["trials"])
    second = make_engine(spec)
    second.restore(state)
    assert head + _drive_with_curves(second, next_id=3 * 6) == decisions


def test_the_cached_median_and_tpe_decide_what_optunas_own_do(monkeypatch):
    """`GenerationMedianPruner` and `GenerationTpe` (with pruned trials in its split) change the
    cost, not the decisions or the proposals, against stock `MedianPruner` and `TPESampler`."""
    from optuna.pruners import MedianPruner
    from optuna.samplers import TPESampler

    from neurolab.search import optuna_samplers, optuna_study

    spec = _spec("tpe", generations=5).with_overrides({"engine.pruner": "median"})

    def run() -> tuple[list, list]:
        engine = make_engine(spec)
        decisions = _drive_with_curves(engine)
        proposals = [(row["params"], row["state"]) for row in engine.trials_table()]
        return decisions, json.loads(
            json.dumps(proposals), parse_float=lambda x: round(float(x), 9)
        )

    ours = run()
    assert any(pruned_at is not None for _, pruned_at in ours[0])
    monkeypatch.setattr(optuna_study, "GenerationMedianPruner", MedianPruner)
    monkeypatch.setattr(optuna_samplers, "GenerationTpe", TPESampler)
    assert run() == ours


def test_without_a_pruner_reports_are_ignored():
    engine = make_engine(_spec("tpe", generations=2))
    assert not engine.prunes()
    assert all(pruned_at is None for _, pruned_at in _drive_with_curves(engine))


def test_a_version_1_checkpoint_still_restores():
    engine = make_engine(_spec("tpe", generations=3))
    _drive_with_curves(engine, stop_after=2)
    state = engine.state()
    state["version"] = 1
    for trial in state["trials"]:
        del trial["intermediate"]
    again = make_engine(_spec("tpe", generations=3))
    again.restore(state)
    assert len(again.trials_table()) == 12 and again.generation == 2


# --- the Runner, with real training ----------------------------------------------------------


def _pruning_spec(**overrides):
    return tiny_spec(
        **{
            "engine.kind": "optuna",
            "engine.pruner": "median",
            "budget.generations": 3,
            "execution.batching": "off",
            **overrides,
        }
    )


def _decisions(path):
    with ProjectStore(path, create=False) as store:
        run = store.latest_run()
        return [(r.candidate_id, r.genome, r.status, r.error) for r in store.candidates(run.run_id)]


@pytest.fixture(scope="module")
def pruned_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("pruned") / "p.nlab"
    summary = Runner(_pruning_spec(), path).run()
    with ProjectStore(path, create=False) as store:
        records = store.candidates(summary.run_id)
        checkpoint = store.engine_state(summary.run_id)[1]
    return path, summary, records, checkpoint


def test_pruned_candidates_are_stored_with_their_curves(pruned_run):
    _, summary, records, checkpoint = pruned_run
    pruned = [r for r in records if r.status == "pruned"]
    assert summary.status == "finished" and len(records) == 18
    assert pruned and all(r.generation > 0 for r in pruned)  # median: none in generation 0
    for record in pruned:
        at = int(record.error.removeprefix("pruned at epoch "))
        assert at <= record.epochs == len(record.val_losses) == len(record.train_losses)
        assert record.val_metric is not None  # its best weights so far were measured
    # Cancelling saved training: pruned candidates stopped before the epochs they asked for.
    assert sum(r.epochs for r in pruned) < sum(r.genome["epochs"] for r in pruned)
    assert summary.best.status == "ok"
    states = {t["candidate_id"]: t["state"] for t in checkpoint["trials"]}
    assert {c for c, s in states.items() if s == "PRUNED"} == {r.candidate_id for r in pruned}


def test_show_counts_pruned_candidates(pruned_run, capsys):
    from neurolab.cli import main

    path, _, records, _ = pruned_run
    assert main(["show", str(path)]) == 0
    n = sum(r.status == "pruned" for r in records)
    out = capsys.readouterr().out
    assert f"{n} pruned)" in out and f"{n} pruned;" in out  # run line and trials table


def test_a_pool_prunes_the_same_candidates(pruned_run, tmp_path):
    # Reports reach the Runner later from worker processes; the decisions do not change.
    path = tmp_path / "pool.nlab"
    Runner(_pruning_spec(**{"execution.workers": 2}), path).run()
    assert _decisions(path) == _decisions(pruned_run[0])


def test_pruned_candidates_leave_a_stacked_group(tmp_path):
    path = tmp_path / "stacked.nlab"
    spec = _pruning_spec(**{"execution.batching": "auto"})
    Runner(spec, path).run()
    with ProjectStore(path, create=False) as store:
        records = store.candidates(1)
    pruned = [r for r in records if r.status == "pruned"]
    assert pruned
    for record in pruned:
        assert record.epochs == len(record.val_losses)
    # A pruned candidate stopped while others of its generation trained on.
    assert any(
        p.epochs < p.genome["epochs"]
        and any(r.epochs > p.epochs for r in records if r.generation == p.generation)
        for p in pruned
    )


def test_a_stopped_run_resumes_without_training_pruned_candidates_again(pruned_run, tmp_path):
    path = tmp_path / "cut.nlab"
    runner = Runner(_pruning_spec(), path)
    first_pruned = []

    def stop_at_first_pruned(event):
        pruned = isinstance(event, CandidateFinished) and event.record.status == "pruned"
        if pruned and not first_pruned:
            first_pruned.append(event.record)
            threading.Thread(target=runner.stop).start()

    runner.sinks.append(stop_at_first_pruned)
    assert runner.run().status == "stopped"
    resumed = Runner.resuming(path).run()
    assert resumed.status == "finished"
    assert _decisions(path) == _decisions(pruned_run[0])
    with ProjectStore(path, create=False) as store:
        kept = next(
            r for r in store.candidates(1) if r.candidate_id == first_pruned[0].candidate_id
        )
    assert kept == first_pruned[0]  # stored once, not trained again
