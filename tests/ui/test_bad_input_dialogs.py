"""Bad input through the real window: a file that cannot be read is a dialog, a file that reads
but cannot be prepared is the Data panel's warning line with Start disabled, a full disk during
a run is a dialog; never a traceback. Messy files the importer handles load without one."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest

from tests.engine.test_bad_input import CORPUS
from tests.ui.conftest import open_message_boxes
from tests.ui.test_main_window import configure_small_run, wait_ready_to_start

DATA = Path(__file__).resolve().parents[1] / "data"


def _load(window, qtbot, name: str, folder: str = "bad") -> None:
    panel = window.data_panel
    panel.tabs.setCurrentWidget(panel.csv)
    panel.csv.set_section({"csv": str(DATA / folder / name), "target": "label"}, None)


@pytest.mark.parametrize(
    "name", ["empty.csv", "latin1.csv", "json.csv", "duplicate_header.csv", "unclosed_quote.csv"]
)
def test_a_file_that_cannot_be_read_is_a_dialog_with_its_own_message(main_window, qtbot, name):
    _load(main_window, qtbot, name)
    qtbot.waitUntil(lambda: bool(open_message_boxes("errorDialog")), timeout=10_000)
    (box,) = open_message_boxes("errorDialog")
    assert name in box.windowTitle()
    assert CORPUS[name] in box.text()
    assert "Traceback" not in box.text() + box.detailedText()
    assert not main_window.acts.start.isEnabled()


@pytest.mark.parametrize("name", ["one_class.csv", "target_all_missing.csv", "no_features.csv"])
def test_a_file_that_cannot_be_prepared_is_a_warning_and_start_stays_off(main_window, qtbot, name):
    _load(main_window, qtbot, name)
    problem = main_window.data_panel.problem_label
    qtbot.waitUntil(lambda: CORPUS[name] in problem.text(), timeout=20_000)
    assert problem.isVisible() and "Traceback" not in problem.text()
    assert not main_window.acts.start.isEnabled()
    assert not open_message_boxes("errorDialog")


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("semicolon.csv", "semicolon-separated"),
        ("bom.csv", "byte-order mark"),
        ("quoted_newlines.csv", "<b>30 rows</b>"),  # 30 records on 60 lines
    ],
)
def test_messy_files_the_importer_handles_load_and_can_start(main_window, qtbot, name, note):
    _load(main_window, qtbot, name, "good")
    panel = main_window.data_panel
    qtbot.waitUntil(lambda: note in panel.summary.text(), timeout=20_000)
    assert "class balance" in panel.summary.text() and name in panel.summary.text()
    wait_ready_to_start(qtbot, main_window)
    assert not open_message_boxes("errorDialog")


def test_a_full_disk_during_a_run_is_a_dialog_and_keeps_what_was_saved(
    main_window, qtbot, monkeypatch
):
    import neurolab.runner
    from tests.engine.test_disk_faults import SmallDisk, intact

    monkeypatch.setattr(neurolab.runner, "ProjectStore", SmallDisk)
    configure_small_run(main_window, generations=50)
    wait_ready_to_start(qtbot, main_window)
    with qtbot.waitSignal(main_window.controller.finished, timeout=120_000):
        main_window.start_run()
    qtbot.waitUntil(lambda: bool(open_message_boxes("errorDialog")), timeout=10_000)
    (box,) = open_message_boxes("errorDialog")
    assert "cannot write: the disk is full" in box.text()
    assert "everything saved before is kept" in box.text()
    assert not box.detailedText()  # a user's problem, not a bug: no traceback to report
    assert main_window.status.state.text() == "Failed"
    assert main_window.acts.start.isEnabled()
    assert intact(main_window.session.working)  # the candidates finished before are there


@pytest.mark.parametrize(("table", "column"), [("candidates", "genome"), ("runs", "spec")])
def test_a_project_with_a_pickle_payload_is_a_dialog_and_never_runs_it(
    main_window, tmp_path, monkeypatch, table, column
):
    import sqlite3

    from tests.engine.test_untrusted_files import MARKER, PAYLOAD
    from tests.ui.project_factory import write_project

    monkeypatch.chdir(tmp_path)
    path = write_project(tmp_path / "hostile.nlab", 20)
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE {table} SET {column} = ?", (sqlite3.Binary(PAYLOAD),))
    assert not main_window.open_project(path)
    (box,) = open_message_boxes("errorDialog")
    assert "damaged or not written by NeuroLab" in box.text() and "refused" in box.text()
    assert not (tmp_path / MARKER).exists()
