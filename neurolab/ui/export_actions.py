"""File ▸ Export actions wired to `neurolab.ui.exporting`, imported only when first used (it
pulls in pyqtgraph, which the window must not wait for at start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolab.ui.main_window import MainWindow


def connect_exports(window: MainWindow) -> None:
    def call(name: str) -> None:
        from neurolab.ui import exporting

        getattr(exporting, name)(window)

    acts = window.acts
    acts.export_model.triggered.connect(lambda: call("export_model_dialog"))
    acts.export_report.triggered.connect(lambda: call("export_report_dialog"))
    acts.export_csv.triggered.connect(lambda: call("export_csv_dialog"))
    acts.export_plots.triggered.connect(lambda: call("export_plots_dialog"))
