"""The Ray fields of the Search panel and the cluster in the status bar."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from neurolab.spec import ExperimentSpec
from neurolab.ui.panels.search_panel import SearchPanel
from neurolab.ui.panels.validation import validate_spec


def test_the_search_panel_chooses_a_ray_cluster(qtbot):
    panel = SearchPanel()
    qtbot.addWidget(panel)
    assert panel.values()["execution"]["backend"] == "local"
    assert not panel.address.isEnabled() and not panel.gpus.isEnabled()

    panel.backend.setCurrentIndex(panel.backend.findData("ray"))
    panel.address.setText("ray://head.example:10001")
    panel.gpus.setValue(0.25)
    assert panel.address.isEnabled() and panel.gpus.isEnabled()
    raw = {**panel.values(), "data": {"name": "moons"}}
    spec = ExperimentSpec.from_dict(raw)
    assert (spec.execution.backend, spec.execution.address) == ("ray", "ray://head.example:10001")
    assert spec.execution.gpus_per_candidate == 0.25

    # A mistyped address is marked on the address field with the spec's reason.
    panel.address.setText("head.example")
    _, errors = validate_spec({**panel.values(), "data": {"name": "moons"}})
    assert panel.mark_errors(errors) == []
    assert panel.address.property("invalid") and "ray://HOST:PORT" in panel.address.toolTip()

    # Filled back from a spec (a reopened project), and "Connect" asks for that address.
    fresh = SearchPanel()
    qtbot.addWidget(fresh)
    fresh.set_values(spec.to_dict())
    saved = {k: v for k, v in spec.to_dict()["execution"].items() if k != "batching"}
    assert fresh.values()["execution"] == saved
    with qtbot.waitSignal(fresh.cluster_requested) as asked:
        fresh.connect_button.click()
    assert asked.args == ["ray://head.example:10001"]


# In its own process: a Ray driver's threads (one calls `gc.collect()`) beside pytest-qt's
# widgets of earlier tests crashed the test process in a full run.
STATUS_BAR_APP = """
import time
from PySide6.QtWidgets import QApplication
from neurolab.ui.background import wait_for_background
from neurolab.ui.panels.status_bar import RunStatusBar

app = QApplication([])
bar = RunStatusBar()
bar.show()
bar.show_cluster(None)  # no address: starts a local Ray instance, off the GUI thread
deadline = time.monotonic() + 150
while "connecting" in bar.cluster.text() and time.monotonic() < deadline:
    app.processEvents()  # the GUI thread stays free while Ray starts
    time.sleep(0.02)
wait_for_background(bar)
print(bar.cluster.text())
"""


def test_the_status_bar_shows_the_clusters_cpus(tmp_path):
    pytest.importorskip("ray")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", STATUS_BAR_APP],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shown = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"Ray: [1-9]\d* CPUs, 0 GPUs on 1 node", shown), shown
