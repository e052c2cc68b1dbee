"""Playground: hand-built networks trained live with the engine's trainer; the gallery."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from neurolab.genome import Genome, LayerGene

TRAIN_MS = 60_000


@pytest.fixture
def playground(qtbot):
    from neurolab.ui.playground.window import PlaygroundWindow

    window = PlaygroundWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.data is not None, timeout=TRAIN_MS)
    yield window
    window.close()


def train(qtbot, playground, genome: Genome):
    playground.builder.set_genome(genome)
    with qtbot.waitSignal(playground.trained, timeout=TRAIN_MS) as signal:
        qtbot.mouseClick(playground.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: playground.training is None, timeout=TRAIN_MS)
    return signal.args[0]


def test_no_hidden_layer_fails_on_moons_and_two_tanh_layers_separate_them(qtbot, playground):
    assert playground.data_section()["name"] == "moons"
    linear = train(qtbot, playground, Genome((), learning_rate=0.03, batch_size=32, epochs=60))
    # A straight line cannot separate the moons: ~0.9 at best at this noise.
    assert linear.status == "ok" and linear.val_metric < 0.93 and linear.test_metric < 0.93
    assert playground.boundary.image.isVisible()
    assert playground.boundary.title.startswith("trained · validation accuracy")
    tanh = Genome(
        (LayerGene(8, "tanh"), LayerGene(8, "tanh")), learning_rate=0.03, batch_size=32, epochs=60
    )
    deep = train(qtbot, playground, tanh)
    print(
        f"linear val {linear.val_metric:.3f} test {linear.test_metric:.3f}; 2x8 tanh val "
        f"{deep.val_metric:.3f} test {deep.test_metric:.3f}"
    )
    assert deep.val_metric > 0.97 and deep.test_metric > 0.97
    assert deep.test_metric - linear.test_metric > 0.05
    assert len(playground.curves.val.getData()[0]) == deep.epochs
    assert playground.builder.genome() == tanh


def test_building_by_hand_and_evolving_from_here(qtbot, playground):
    builder = playground.builder
    builder.set_genome(Genome(()))
    qtbot.mouseClick(builder.add, Qt.MouseButton.LeftButton)
    builder.rows[0].units.setValue(5)
    builder.rows[0].activation.setCurrentText("relu")
    assert builder.genome().layers == (LayerGene(5, "relu"),)
    builder.remove_layer(builder.rows[0])
    assert builder.genome().layers == ()
    with qtbot.waitSignal(playground.evolveRequested) as signal:
        playground.evolve_button.click()
    genome, section = signal.args
    assert Genome.from_dict(genome) == builder.genome() and section["name"] == "moons"


def test_activation_gallery_derivatives_and_stacked_linear_layers():
    from neurolab.ui.playground.gallery import (
        activation_curves,
        stacked_outputs,
        straight_line_error,
    )

    x, y, dy = activation_curves("tanh")
    assert abs(dy[len(x) // 2] - 1.0) < 1e-6 and dy.min() > 0  # tanh'(0) = 1
    x, y, dy = activation_curves("relu")
    assert set(dy.tolist()) <= {0.0, 1.0}
    assert straight_line_error(*stacked_outputs("identity")) < 1e-5
    assert straight_line_error(*stacked_outputs("tanh")) > 0.01


def test_evolve_from_here_seeds_a_ga_run_with_the_network(main_window, qtbot):
    from neurolab.store import ProjectStore
    from tests.ui.test_main_window import RUN_TIMEOUT_MS, configure_small_run

    configure_small_run(main_window)
    main_window.acts.playground.trigger()
    playground = main_window.playground
    qtbot.waitUntil(lambda: playground.data is not None, timeout=TRAIN_MS)
    hand_made = Genome((LayerGene(6, "tanh"),), learning_rate=0.02, batch_size=32, epochs=8)
    playground.builder.set_genome(hand_made)
    playground.points.setValue(200)
    with qtbot.waitSignal(main_window.controller.finished, timeout=RUN_TIMEOUT_MS):
        playground.evolve_button.click()
    with ProjectStore(main_window.session.working, create=False) as store:
        run = store.latest_run()
        first = store.candidates(run.run_id)[0]
    assert run.spec["engine"]["kind"] == "ga"
    assert first.origin == "seeded" and Genome.from_dict(first.genome) == hand_made
    assert run.spec["data"]["params"]["n_samples"] == 200
    playground.close()


def test_closing_the_main_window_stops_a_playground_training(main_window, qtbot):
    main_window.acts.playground.trigger()
    playground = main_window.playground
    qtbot.waitUntil(lambda: playground.data is not None, timeout=TRAIN_MS)
    playground.builder.set_genome(Genome((LayerGene(8, "tanh"),), epochs=5000))
    playground.train_button.click()
    thread = playground.training
    qtbot.waitUntil(lambda: len(playground._train) >= 2, timeout=TRAIN_MS)
    main_window.close()
    assert thread.isFinished()  # stopped after its current epoch, not killed with the window
