"""The Search panel edits the per-candidate limits (timeout, memory) like any other field."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from neurolab.spec import ExperimentSpec


def test_limits_round_trip_through_the_panel_and_into_the_spec(main_window):
    panel = main_window.search_panel
    # "no limit" by default: the key is left out, as `ExperimentSpec.to_dict` leaves out None
    assert panel.values()["execution"].get("candidate_timeout") is None
    panel.set_values({"execution": {"workers": 1, "candidate_timeout": 30, "memory_limit_mb": 800}})
    execution = panel.values()["execution"]
    assert (execution["candidate_timeout"], execution["memory_limit_mb"]) == (30, 800)
    spec = ExperimentSpec.from_dict({**panel.values(), "data": {"name": "moons"}})
    assert spec.execution.candidate_timeout == 30 and spec.execution.memory_limit_mb == 800
    panel.memory.setValue(0)
    assert panel.values()["execution"].get("memory_limit_mb") is None


def test_a_memory_limit_below_the_minimum_is_marked_on_its_field(main_window, qtbot):
    panel = main_window.search_panel
    panel.memory.setValue(5)
    qtbot.waitUntil(lambda: bool(panel.memory.property("invalid")), timeout=10_000)
    assert "execution.memory_limit_mb: 5 is not allowed" in panel.memory.toolTip()
    assert not main_window.acts.start.isEnabled()
