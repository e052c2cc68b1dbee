"""The live plots and the candidates table, fed with real training events on small real data."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont

from neurolab.data import load_data
from neurolab.data.dataset import PreparedData
from neurolab.events import (
    BoundarySnapshot,
    CandidateFinished,
    CandidateRecord,
    EpochReport,
    GenerationFinished,
    RunStarted,
)
from neurolab.genome import Genome, LayerGene
from neurolab.spec import DataSpec
from neurolab.ui.plots import BoundaryPlot, CandidatesTable, FitnessPlot, LossPlot
from neurolab.ui.plots.boundary_plot import MAX_POINTS
from neurolab.ui.plots.candidates_table import ID, PARAMETERS, STATUS, VALIDATION
from neurolab.ui.plots.common import colour, hex_rgb

PNG_DIR = Path("/tmp/neurolab_plots")
EPOCHS = 15


# --- a small real run ---------------------------------------------------------------------------
@dataclass
class Run:
    data: PreparedData
    metric: str
    events: list[object]
    records: list[CandidateRecord]
    generations: list[GenerationFinished]

    @property
    def best(self) -> CandidateRecord:
        return max((r for r in self.records if r.status == "ok"), key=lambda r: r.val_metric)

    def events_of(self, candidate_id: int) -> list[object]:
        return [e for e in self.events if getattr(e, "candidate_id", None) == candidate_id]


def _genome(*layers: tuple[int, str], optimizer: str = "adam", lr: float = 0.02) -> dict:
    genes = tuple(LayerGene(width, act) for width, act in layers)
    return Genome(
        genes, optimizer=optimizer, learning_rate=lr, batch_size=32, epochs=EPOCHS
    ).to_dict()


def _train(data: PreparedData, generations: list[list[dict]]) -> Run:
    """Train real genomes with the worker code and wrap the results as the runner does."""
    import torch

    from neurolab.execution import worker
    from neurolab.execution.worker import CandidateTask, WorkerContext
    from neurolab.model import parameter_count

    metric = "accuracy" if data.task == "classification" else "r2"
    context = WorkerContext(data, "cpu")
    events: list[object] = []
    records: list[CandidateRecord] = []
    stats: list[GenerationFinished] = []
    best: CandidateRecord | None = None
    next_id = 0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: threads cost more than they give (10x here)
    with pytest.MonkeyPatch.context() as patch:
        # Every epoch reported and snapshotted, so the counts below are exact.
        patch.setattr(worker, "PROGRESS_INTERVAL", 0.0)
        patch.setattr(worker, "SNAPSHOT_INTERVAL", 0.0)
        for generation, genomes in enumerate(generations):
            finished = []
            for genome in genomes:
                next_id += 1
                task = CandidateTask(
                    next_id, generation, genome, seed=next_id, patience=100, snapshots=True
                )
                result = context.evaluate(task, events.append)
                params = (
                    parameter_count(Genome.from_dict(genome), data.n_features, data.n_outputs)
                    if result.status == "ok"
                    else 0
                )
                record = CandidateRecord(
                    next_id,
                    generation,
                    genome,
                    result.status,
                    result.val_metric,
                    result.test_metric,
                    result.train_metric,
                    params,
                    result.epochs,
                    result.seconds,
                    tuple(result.train_losses),
                    tuple(result.val_losses),
                    origin="random" if generation == 0 else "mutation",
                    error=result.error,
                )
                is_best = record.status == "ok" and (
                    best is None or record.val_metric > best.val_metric
                )
                best = record if is_best else best
                events.append(CandidateFinished(record, is_best))
                finished.append(record)
            scores = [r.val_metric for r in finished if r.status == "ok"]
            gen = GenerationFinished(
                generation,
                max(scores),
                sum(scores) / len(scores),
                min(scores),
                len(finished),
                sum(r.status == "failed" for r in finished),
                best.val_metric,
                best.candidate_id,
                1.0,
            )
            events.append(gen)
            records += finished
            stats.append(gen)
    torch.set_num_threads(threads)
    return Run(data, metric, events, records, stats)


@pytest.fixture(scope="module")
def moons() -> Run:
    data = load_data(
        DataSpec(name="moons", params={"n_samples": 200, "noise": 0.2, "seed": 0}), None, 0
    )
    return _train(
        data,
        [
            [_genome(), _genome((16, "tanh"), (8, "relu")), _genome((8, "relu"), optimizer="nope")],
            [_genome((32, "relu"), (16, "relu")), _genome((4, "tanh"), lr=0.005)],
        ],
    )


@pytest.fixture(scope="module")
def iris() -> Run:
    return _train(load_data(DataSpec(name="iris"), None, 0), [[_genome((16, "relu"))]])


@pytest.fixture(scope="module")
def sine() -> Run:
    return _train(
        load_data(DataSpec(name="sine"), None, 0), [[_genome((32, "tanh"), (32, "tanh"))]]
    )


def _show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(640, 460)
    widget.show()
    return widget


def _save(qtbot, widget, name: str) -> None:
    qtbot.wait(10)  # let the layout settle (titles and axis labels change its geometry)
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(PNG_DIR / f"{name}.png"))


def _feed(view, events) -> None:
    for event in events:
        view.handle(event)
    view.redraw()


def _xy(item) -> tuple[np.ndarray, np.ndarray]:
    x, y = item.getData()
    return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


# --- the shared contract ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", [LossPlot, FitnessPlot, BoundaryPlot, CandidatesTable])
def test_every_view_takes_no_data_and_ignores_other_events(qtbot, kind):
    view = _show(qtbot, kind())
    view.reset(None, "accuracy")
    view.handle(RunStarted(1, "p.nlab", {}, "accuracy", 3, 4, "cpu"))
    view.handle(object())
    view.redraw()
    view.load([], [])
    view.redraw()


# --- loss ---------------------------------------------------------------------------------------
def test_loss_plot_live_curves_then_best(qtbot, moons):
    plot = _show(qtbot, LossPlot())
    plot.reset(moons.data, moons.metric)
    first = moons.records[0].candidate_id
    _feed(plot, [e for e in moons.events_of(first) if isinstance(e, EpochReport)])
    x, val = _xy(plot.live_curves[0][1])
    assert list(x) == list(range(1, EPOCHS + 1))
    assert np.allclose(val, moons.records[0].val_losses)
    assert _xy(plot.best_val)[0].size == 0  # nothing has finished yet

    _feed(plot, moons.events)  # candidate 1's epochs again: its curve restarts, not doubles
    assert list(_xy(plot.live_curves[0][1])[0]) == list(range(1, EPOCHS + 1))
    x, val = _xy(plot.best_val)
    assert np.allclose(val, moons.best.val_losses) and len(x) == len(moons.best.val_losses)
    assert plot.best_val.opts["pen"].width() > plot.live_curves[0][1].opts["pen"].width()
    assert plot.best_train.opts["pen"].style() == Qt.PenStyle.DashLine
    assert sum(_xy(val)[0].size > 0 for _, val in plot.live_curves) == 4  # the failed one: none
    _save(qtbot, plot, "loss")

    plot.linger_seconds = 0.0  # finished candidates' curves go; the best stays
    plot.redraw()
    assert all(_xy(val)[0].size == 0 for _, val in plot.live_curves)
    assert _xy(plot.best_val)[0].size == len(moons.best.val_losses)


def test_loss_plot_keeps_at_most_eight_live_candidates(qtbot):
    plot = _show(qtbot, LossPlot())
    plot.reset(None, "accuracy")
    _feed(plot, [EpochReport(cid, 1, 1.0, 1.0, 0.5) for cid in range(100, 112)])
    shown = [_xy(val)[1] for _, val in plot.live_curves]
    assert len(shown) == 8 and all(y.size == 1 for y in shown)


def test_loss_plot_load_shows_best_and_faint_others(qtbot, moons):
    plot = _show(qtbot, LossPlot())
    plot.reset(moons.data, moons.metric)
    plot.load(moons.records, moons.generations)
    assert np.allclose(_xy(plot.best_val)[1], moons.best.val_losses)
    assert sum(_xy(val)[0].size > 0 for _, val in plot.live_curves) == 3  # 4 ok - the best
    plot.set_log_y(True)
    _save(qtbot, plot, "loss_loaded_log")


# --- fitness ------------------------------------------------------------------------------------
def test_fitness_plot_band_lines_and_candidates(qtbot, moons):
    plot = _show(qtbot, FitnessPlot())
    plot.reset(moons.data, moons.metric)
    _feed(plot, moons.events)
    gens = moons.generations
    x, best = _xy(plot.best_line)
    assert list(x) == [0, 1]
    assert np.allclose(best, [g.best for g in gens])
    assert np.allclose(_xy(plot.worst_line)[1], [g.worst for g in gens])
    assert np.allclose(_xy(plot.mean_line)[1], [g.mean for g in gens])
    assert np.all(_xy(plot.worst_line)[1] <= _xy(plot.best_line)[1])
    assert set(plot.band.curves) == {plot.worst_line, plot.best_line}  # the band spans worst..best
    x, so_far = _xy(plot.best_so_far_line)  # a staircase: (0, a) (1, a) (1, b)
    assert list(x[::2]) == [0, 1] and np.allclose(so_far[::2], [g.best_so_far for g in gens])
    assert np.all(np.diff(so_far) >= 0)
    assert plot.plot_item.getAxis("left").labelText == "validation accuracy"
    # Every scored candidate is a dot; the failed one is not.
    assert len(plot.scatter.data) == sum(r.status == "ok" for r in moons.records) == 4
    _save(qtbot, plot, "fitness")

    again = _show(qtbot, FitnessPlot())
    again.reset(moons.data, moons.metric)
    again.load(moons.records, moons.generations)
    assert np.allclose(_xy(again.best_line)[1], best) and len(again.scatter.data) == 4


# --- boundary -----------------------------------------------------------------------------------
def test_boundary_follows_training_then_best(qtbot, moons):
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(moons.data, moons.metric)
    n_points = sum(len(p.data) for p in plot.point_items)
    assert n_points == moons.data.n_rows
    assert {label.text for _, label in plot.legend.items} >= {"0", "1", "test (hollow)"}
    assert plot.plot_item.getAxis("bottom").labelText == moons.data.feature_names[0]

    first = moons.records[0].candidate_id
    training = [e for e in moons.events_of(first) if isinstance(e, BoundarySnapshot)][:5]
    _feed(plot, training)
    assert plot.image.isVisible() and plot.image.image.shape == (64, 64, 4)
    assert plot.title == f"candidate {first} · epoch 5 (training)"

    _feed(plot, moons.events)
    best = moons.best
    assert plot.title == (
        f"best so far: candidate {best.candidate_id}, val accuracy {best.val_metric:.3f}"
    )
    _save(qtbot, plot, "boundary_moons")

    # Watching another candidate shows its final boundary; None goes back to the best.
    other = moons.records[1].candidate_id
    plot.watch(other)
    plot.redraw()
    assert plot.title.startswith(f"candidate {other} · ")
    plot.watch(None)
    plot.redraw()
    assert plot.title.startswith("best so far")


def test_boundary_keeps_few_snapshots(qtbot, moons):
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(moons.data, moons.metric)
    plot.watch(3)
    values = np.full((64, 64, 2), 0.5, np.float16)
    _feed(plot, [BoundarySnapshot(cid, 1, values) for cid in range(1, 40)])
    kept = plot._snapshots  # private: memory is the point of this test
    assert 3 in kept and len(kept) <= 6


def test_boundary_image_orientation(qtbot, moons):
    """Class 1 only in the top-right quadrant: rows are y, columns are x, y grows upwards."""
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(moons.data, moons.metric)
    p1 = np.zeros((64, 64), np.float32)
    p1[32:, 32:] = 1.0  # row i = y index i, column j = x index j
    plot.set_prediction(7, np.stack([1 - p1, p1], axis=-1).astype(np.float16), "quadrant")
    plot.redraw()
    assert plot.title == "quadrant" and plot.watched == 7
    for item in plot.point_items:
        item.setVisible(False)
    image = plot.plot_widget.grab().toImage()
    grid_x, grid_y = plot.grid.x_range, plot.grid.y_range

    def pixel(fx: float, fy: float) -> QColor:
        view = QPointF(
            grid_x[0] + fx * (grid_x[1] - grid_x[0]), grid_y[0] + fy * (grid_y[1] - grid_y[0])
        )
        scene = plot.plot_item.getViewBox().mapViewToScene(view)
        return image.pixelColor(plot.plot_widget.mapFromScene(scene))

    def shows_class(c: QColor, index: int) -> bool:  # blue (class 0) or orange (class 1) side
        r, _, b = hex_rgb(colour(index))
        return (c.red() > c.blue()) == (r > b)

    assert shows_class(pixel(0.9, 0.9), 1)  # top right: class 1 (orange)
    assert all(shows_class(pixel(fx, fy), 0) for fx, fy in [(0.1, 0.9), (0.9, 0.1), (0.1, 0.1)])


def test_boundary_three_classes_on_principal_components(qtbot, iris):
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(iris.data, iris.metric)
    assert plot.plot_item.getAxis("bottom").labelText == "PC 1"
    assert plot.plot_item.getAxis("left").labelText == "PC 2"
    _feed(plot, iris.events)
    assert plot.image.image.shape == (64, 64, 3)
    assert {label.text for _, label in plot.legend.items} >= set(iris.data.class_names)
    _save(qtbot, plot, "boundary_iris")


def test_boundary_regression_curve(qtbot, sine):
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(sine.data, sine.metric)
    _feed(plot, sine.events)
    x, y = _xy(plot.curve)
    assert len(x) == 256 and np.all(np.diff(x) > 0) and np.isfinite(y).all()
    assert not plot.image.isVisible()
    assert plot.plot_item.getAxis("bottom").labelText == sine.data.feature_names[0]
    assert plot.title.startswith("best so far: candidate 1, val R²")
    _save(qtbot, plot, "boundary_sine")


def test_boundary_regression_plane_is_shaded_by_value(qtbot):
    data = load_data(DataSpec(name="diabetes"), None, 0)  # 10 features -> principal components
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(data, "r2")
    assert plot.plot_item.getAxis("bottom").labelText == "PC 1"
    ramp = np.linspace(-2, 2, 64, dtype=np.float32)
    plot.set_prediction(3, np.broadcast_to(ramp, (64, 64))[..., None].copy(), "candidate 3")
    plot.redraw()
    image = plot.image.image
    assert image.shape == (64, 64, 3) and not np.array_equal(image[:, 0], image[:, -1])
    _save(qtbot, plot, "boundary_regression_plane")


def test_boundary_draws_a_bounded_sample_of_big_data(qtbot):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30_000, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    split = {
        "x_train": x[:20_000],
        "y_train": y[:20_000],
        "x_val": x[20_000:25_000],
        "y_val": y[20_000:25_000],
        "x_test": x[25_000:],
        "y_test": y[25_000:],
    }
    data = PreparedData(
        "classification", **split, feature_names=["a", "b"], class_names=["no", "yes"]
    )
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(data, "accuracy")
    assert sum(len(p.data) for p in plot.point_items) == MAX_POINTS + MAX_POINTS // 4


def test_boundary_message_when_nothing_to_draw(qtbot, moons):
    one_feature = replace(
        moons.data,
        x_train=moons.data.x_train[:, :1],
        x_val=moons.data.x_val[:, :1],
        x_test=moons.data.x_test[:, :1],
    )
    plot = _show(qtbot, BoundaryPlot())
    plot.reset(one_feature, "accuracy")
    assert (
        plot.message.isVisible()
        and plot.message.textItem.toPlainText() == "no boundary for this data"
    )
    plot.handle(BoundarySnapshot(1, 1, np.zeros((64, 64, 2), np.float16)))
    plot.redraw()
    assert not plot.image.isVisible()


# --- candidates table ---------------------------------------------------------------------------
def test_table_rows_sorting_best_failed_and_selection(qtbot, moons):
    table = _show(qtbot, CandidatesTable())
    table.reset(moons.data, moons.metric)
    inserts = []
    table.source_model.rowsInserted.connect(lambda *args: inserts.append(args))
    for event in moons.events:
        table.handle(event)
    assert table.proxy.rowCount() == 0  # buffered until redraw
    table.redraw()
    assert table.proxy.rowCount() == len(moons.records) and len(inserts) == 1

    table.sort_by(VALIDATION)
    proxy, best = table.proxy, moons.best
    assert proxy.index(0, ID).data() == str(best.candidate_id)
    assert proxy.index(0, VALIDATION).data(Qt.ItemDataRole.FontRole).bold()
    last = proxy.rowCount() - 1
    assert proxy.index(last, STATUS).data() == "failed"  # no score sorts below every score
    assert proxy.index(last, STATUS).data(Qt.ItemDataRole.ForegroundRole).color() == QColor(
        "#c62828"
    )
    assert "nope" in proxy.index(last, ID).data(Qt.ItemDataRole.ToolTipRole)
    table.sort_by(PARAMETERS)  # as numbers: "1,234" > "22"
    params = [int(proxy.index(r, PARAMETERS).data().replace(",", "")) for r in range(last + 1)]
    assert params == sorted(params, reverse=True) and params[0] > 100
    assert proxy.index(0, 2).data() in {"32 relu → 16 relu", "16 tanh → 8 relu", "4 tanh", "linear"}
    _save(qtbot, table, "table")

    # A user's click emits the id; a programmatic selection does not.
    row = 2
    expected = int(proxy.index(row, ID).data())
    rect = table.view.visualRect(proxy.index(row, ID))
    with qtbot.waitSignal(table.candidateSelected, timeout=1000) as blocker:
        qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [expected]
    with qtbot.assertNotEmitted(table.candidateSelected):
        table.select_candidate(best.candidate_id)
    assert table.selected_candidate() == best.candidate_id


def test_table_load_of_5000_records_is_fast(qtbot):
    genome = _genome((16, "tanh"), (8, "relu"))
    rng = np.random.default_rng(0)
    records = [
        CandidateRecord(i, i // 50, genome, "ok", float(v), float(v), float(v), 300, 20, 0.5)
        for i, v in enumerate(rng.random(5000), start=1)
    ]
    table = _show(qtbot, CandidatesTable())
    table.reset(None, "accuracy")
    table.sort_by(VALIDATION)  # sorting stays on while loading: the worst case
    start = time.perf_counter()
    table.load(records, [])
    qtbot.wait(1)  # let the view lay out once
    assert time.perf_counter() - start < 2.0
    assert table.proxy.rowCount() == 5000
    assert float(table.proxy.index(0, VALIDATION).data()) == pytest.approx(
        max(r.val_metric for r in records), abs=1e-4
    )
    assert table.source_model.best_id == max(records, key=lambda r: r.val_metric).candidate_id
    assert math.isfinite(float(table.proxy.index(4999, VALIDATION).data()))
    assert isinstance(table.proxy.index(0, ID).data(Qt.ItemDataRole.FontRole), QFont)
