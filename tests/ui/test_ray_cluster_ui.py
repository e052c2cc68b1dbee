"""The Ray fields of the Search panel and the cluster in the status bar."""

from __future__ import annotations

from neurolab.spec import ExperimentSpec
from neurolab.ui.background import wait_for_background
from neurolab.ui.panels.search_panel import SearchPanel
from neurolab.ui.panels.status_bar import RunStatusBar
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


def test_the_status_bar_shows_the_clusters_cpus(qtbot, ray_instance):
    bar = RunStatusBar()
    qtbot.addWidget(bar)
    bar.show_cluster(None)  # the test's Ray instance is already connected: it is used as it is
    qtbot.waitUntil(lambda: bar.cluster.text().startswith("Ray: 2 CPUs"), timeout=30_000)
    assert bar.cluster.text() == "Ray: 2 CPUs, 0 GPUs on 1 node"
    wait_for_background(bar)  # the connecting thread has ended before the bar goes
