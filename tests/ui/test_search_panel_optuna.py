"""The Search panel's Optuna fields: sampler (NSGA-II too), pruner, objectives, storage."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from neurolab.spec import ExperimentSpec
from neurolab.ui.panels.search_panel import SearchPanel


def _spec(panel: SearchPanel) -> ExperimentSpec:
    return ExperimentSpec.from_dict({**panel.values(), "data": {"name": "moons"}})


def test_optuna_settings_round_trip_through_the_panel(qtbot):
    panel = SearchPanel()
    qtbot.addWidget(panel)
    assert not panel.pruner.isEnabled()  # the GA by default
    saved = {"kind": "optuna", "sampler": "tpe", "pruner": "hyperband", "storage": "study.log"}
    panel.set_values({"engine": saved})
    assert panel.pruner.isEnabled() and panel.objectives.isEnabled()
    spec = _spec(panel)
    assert (spec.engine.sampler, spec.engine.pruner) == ("tpe", "hyperband")
    assert spec.engine.storage == "study.log"  # not shown, but not lost either


def test_score_and_size_with_optuna_uses_nsga2_and_no_pruner(qtbot):
    panel = SearchPanel()
    qtbot.addWidget(panel)
    panel.set_values({"engine": {"kind": "optuna", "pruner": "median"}})
    panel.sampler.setCurrentIndex(panel.sampler.findData("nsga2"))
    panel.objectives.setCurrentIndex(panel.objectives.findData("metric,params"))
    assert not panel.pruner.isEnabled()  # Optuna prunes single-objective studies only
    spec = _spec(panel)
    assert spec.engine.objectives == ["metric", "params"] and spec.engine.sampler == "nsga2"
    assert spec.engine.pruner == "none"
