"""The Insight dock on a real small run: inspector, family tree, Pareto front."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from neurolab.ranking import rank
from neurolab.store import ProjectStore
from neurolab.ui.insight.genealogy import family_tree
from neurolab.ui.insight.inspector import NOT_KEPT
from neurolab.ui.insight.pareto import pareto_front
from tests.ui.conftest import open_message_boxes

DETAILS_MS = 30_000


def stored(project):
    with ProjectStore(project, create=False) as store:
        run = store.latest_run()
        kept = {r[0] for r in store._db.execute("SELECT candidate_id FROM weights")}
        return run, store.candidates(run.run_id), kept


def click_point(qtbot, plot, x: float, y: float) -> None:
    """A real mouse click where the plot draws (x, y)."""
    scene = plot.plot_item.vb.mapViewToScene(QPointF(x, y))
    pos = plot.plot_widget.mapFromScene(scene)
    qtbot.mouseClick(plot.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def open_insight(window, qtbot, project):
    insight = window.plots["insight"]
    with qtbot.waitSignal(insight.detailsShown, timeout=DETAILS_MS):
        assert window.open_project(project)
    return insight


def test_inspector_shows_the_best_candidate_with_its_weights(main_window, qtbot, ga_project):
    run, records, kept = stored(ga_project)
    insight = open_insight(main_window, qtbot, ga_project)
    inspector = insight.inspector
    best = min(records, key=rank)
    assert inspector.record.candidate_id == best.candidate_id in kept
    details = inspector.details
    assert details.weights is not None
    sizes = [2, *(ly["width"] for ly in best.genome["layers"]), 2]
    assert [w.shape for w in details.weights] == list(zip(sizes[1:], sizes[:-1], strict=True))
    assert inspector.network.edge_count == sum(
        min(a, 16) * min(b, 16) for a, b in zip(sizes, sizes[1:], strict=False)
    )
    # The confusion matrix counts every test point; its diagonal is the test accuracy.
    confusion = details.confusion
    assert confusion.sum() == len(details.data.y_test)
    assert np.trace(confusion) / confusion.sum() == pytest.approx(details.metrics["test"])
    assert details.metrics["test"] == pytest.approx(best.test_metric)
    assert abs(details.metrics["val"] - best.val_metric) < 1e-6
    assert f"{best.test_metric:.3f}" in inspector.header.text()
    assert "loss" in inspector.curves.plot_item.getAxis("left").labelText
    assert len(inspector.curves.val.getData()[0]) == len(best.val_losses)


def test_a_candidate_without_kept_weights_says_so(main_window, qtbot, ga_project):
    run, records, kept = stored(ga_project)
    insight = open_insight(main_window, qtbot, ga_project)
    other = next(r for r in records if r.candidate_id not in kept)
    with qtbot.waitSignal(insight.detailsShown, timeout=DETAILS_MS):
        main_window.plots["candidates"].select_candidate(other.candidate_id)
        insight.inspect(other.candidate_id)
    assert insight.inspector.details.weights is None
    assert insight.inspector.outcome.title == "no test outcome: " + NOT_KEPT
    assert main_window.plots["candidates"].selected_candidate() == other.candidate_id
    table = main_window.plots["candidates"]
    row = table.proxy.mapFromSource(
        table.source_model.index(table.source_model.row_of(other.candidate_id), 0)
    )
    assert main_window.docks["insight"].visibleRegion().isEmpty()  # behind the boundary
    table.view.doubleClicked.emit(row)
    assert not main_window.docks["insight"].visibleRegion().isEmpty()
    # The genome and curves come from the file for every candidate.
    assert f"{other.params:,} parameters" in insight.inspector.header.text()


def test_family_tree_shows_ancestors_and_operators_and_a_click_inspects(
    main_window, qtbot, ga_project
):
    run, records, kept = stored(ga_project)
    by_id = {r.candidate_id: r for r in records}
    child = max((r for r in records if r.parents), key=lambda r: r.generation)
    tree = family_tree(by_id, child.candidate_id)
    # Every parent stored for a node is in the tree, one generation or more earlier.
    for cid in tree.nodes:
        for parent in by_id[cid].parents:
            assert parent in tree.nodes and (parent, cid) in tree.edges
            assert by_id[parent].generation < by_id[cid].generation
    assert len(tree.nodes) > 2
    insight = open_insight(main_window, qtbot, ga_project)
    insight.setCurrentWidget(insight.genealogy)
    insight.inspect(child.candidate_id)
    view = insight.genealogy
    assert view.tree.root == child.candidate_id
    labels = {t.toPlainText() for t in view._texts}
    assert child.origin in labels
    ancestor = tree.nodes[-1]
    with qtbot.waitSignal(insight.candidateInspected, timeout=5000) as signal:
        click_point(qtbot, view, *view.node_position(ancestor))
    assert signal.args == [ancestor]
    assert insight.inspector.record.candidate_id == ancestor


def test_pareto_front_is_non_dominated_and_a_click_inspects(main_window, qtbot, ga_project):
    run, records, kept = stored(ga_project)
    front = pareto_front(records)
    scored = [r for r in records if r.val_metric is not None]
    ids = {r.candidate_id for r in front}
    for r in scored:  # off the front: someone is as good with fewer (or as few) parameters
        dominated = any(f.params <= r.params and f.val_metric >= r.val_metric for f in front)
        assert dominated or r.candidate_id in ids
    for a in front:  # on it: nobody beats it on both counts
        assert not any(b.params <= a.params and b.val_metric > a.val_metric for b in scored)
    insight = open_insight(main_window, qtbot, ga_project)
    insight.setCurrentWidget(insight.pareto)
    target = front[0]
    with qtbot.waitSignal(insight.candidateInspected, timeout=5000) as signal:
        click_point(qtbot, insight.pareto, np.log10(target.params), target.val_metric)
    assert signal.args == [target.candidate_id]
    tip = insight.pareto.front_points.opts["tip"](x=0, y=0, data=target.candidate_id)
    assert tip.startswith(f"candidate {target.candidate_id} ") and f"{target.params:,}" in tip


def test_optuna_views_rebuild_the_study_from_the_file(main_window, qtbot, optuna_project):
    from neurolab.ui.insight.optuna_views import shared_params

    run, records, kept = stored(optuna_project)
    insight = open_insight(main_window, qtbot, optuna_project)
    with qtbot.waitSignal(insight.optunaShown, timeout=DETAILS_MS):
        insight.setCurrentWidget(insight.optuna)
    report = insight.optuna.report
    assert report.sampler == "tpe"
    # One trial per stored candidate, same ids and values.
    by_id = {r.candidate_id: r for r in records}
    assert len(report.trials) == len(records)
    for trial in report.trials:
        assert trial["value"] == pytest.approx(by_id[trial["candidate_id"]].val_metric)
    assert report.importances and set(report.importances) <= set(shared_params(report.trials))
    assert len(insight.optuna.bars.opts["width"]) == len(report.importances)
    numbers, values = insight.optuna.best_line.getData()
    assert list(values) == sorted(values) and values[-1] == pytest.approx(
        max(r.val_metric for r in records)
    )
    complete = sum(t["state"] == "complete" for t in report.trials)
    axes = len(shared_params(report.trials))
    assert len(insight.optuna._lines) == complete + axes


def test_optuna_tab_says_when_the_run_is_not_optuna(main_window, qtbot, ga_project):
    from neurolab.ui.insight.optuna_views import NOT_OPTUNA

    insight = open_insight(main_window, qtbot, ga_project)
    with qtbot.waitSignal(insight.optunaShown, timeout=DETAILS_MS):
        insight.setCurrentWidget(insight.optuna)
    assert insight.optuna.message.text() == NOT_OPTUNA


def test_compare_runs_overlays_fitness_histories(
    main_window, qtbot, ga_project, optuna_project, tmp_path
):
    insight = open_insight(main_window, qtbot, ga_project)
    insight.setCurrentWidget(insight.compare)
    compare = insight.compare
    assert compare.add_project(optuna_project)
    with ProjectStore(optuna_project, create=False) as store:
        expected = [g.best_so_far for g in store.generations(store.latest_run().run_id)]
    curves = compare.plot.plot_item.listDataItems()
    assert len(curves) == 2 and curves[0].name().endswith("(on screen)")
    assert "optuna" in curves[1].name()
    assert list(curves[1].getData()[1]) == pytest.approx(expected)
    assert len(curves[0].getData()[0]) == 3  # the GA run's three generations
    bad = tmp_path / "not-a-project.nlab"
    bad.write_text("hello")
    assert not compare.add_project(bad)
    assert any("not a NeuroLab project" in box.text() for box in open_message_boxes())
    compare.clear_added()
    assert len(compare.plot.plot_item.listDataItems()) == 1


def test_export_model_csv_and_plots(main_window, qtbot, ga_project, tmp_path):
    import csv

    from safetensors import safe_open

    from neurolab.ui import exporting

    run, records, kept = stored(ga_project)
    insight = open_insight(main_window, qtbot, ga_project)
    best = insight.inspector.record
    target = tmp_path / "best"
    assert exporting.export_model_dialog(main_window, target, "safetensors")
    with safe_open(str(target / "model.safetensors"), "pt") as handle:
        assert handle.get_tensor("0.weight").shape[1] == 2  # two inputs (moons)
    described = json.loads((target / "neurolab_model.json").read_text(encoding="utf-8"))
    assert described["genome"] == best.genome
    assert (target / "predict.py").exists()
    # A candidate whose weights were dropped is refused with a message, not a broken folder.
    insight.selected = next(r.candidate_id for r in records if r.candidate_id not in kept)
    assert not exporting.export_model_dialog(main_window, tmp_path / "gone", "torchscript")
    assert any("were not kept" in b.text() for b in open_message_boxes())
    assert not (tmp_path / "gone").exists()
    report = tmp_path / "report"
    assert exporting.export_report_dialog(main_window, report)
    qtbot.waitUntil(lambda: "Report written" in main_window.status.currentMessage(), timeout=60_000)
    assert "<img" in (report / "report.html").read_text(encoding="utf-8")
    table = tmp_path / "candidates.csv"
    assert exporting.export_csv_dialog(main_window, table)
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [int(r["candidate"]) for r in rows] == [r.candidate_id for r in records]
    assert float(rows[0]["val_accuracy"]) == pytest.approx(records[0].val_metric)
    folder = tmp_path / "plots"
    folder.mkdir()
    assert exporting.export_plots_dialog(main_window, folder)
    for name in ("boundary", "fitness", "loss", "network", "pareto_front", "family_tree"):
        assert (folder / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in (folder / f"{name}.svg").read_text(encoding="utf-8")


def test_inspector_plots_predicted_against_actual_for_regression(
    main_window, qtbot, regression_project
):
    run, records, kept = stored(regression_project)
    insight = open_insight(main_window, qtbot, regression_project)
    details = insight.inspector.details
    assert details.confusion is None and details.weights is not None
    # Predictions on the original scale, one per test row; R² as the engine computed it.
    actual = details.actual
    assert len(details.predicted) == len(actual) == len(details.data.y_test)
    r2 = 1 - ((actual - details.predicted) ** 2).sum() / ((actual - actual.mean()) ** 2).sum()
    assert r2 == pytest.approx(insight.inspector.record.test_metric, abs=1e-4)
    x, y = insight.inspector.outcome.points.getData()
    assert list(x) == pytest.approx(list(actual)) and list(y) == pytest.approx(
        list(details.predicted)
    )
    assert "R²" in insight.inspector.header.text()
