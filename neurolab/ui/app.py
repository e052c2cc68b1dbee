"""`neurolab [PROJECT.nlab] [--screenshot OUT.png]`: the desktop app's entry point.

Only Qt and the light parts of NeuroLab are imported before the window shows; torch, pandas and
scikit-learn follow in the background (see `neurolab.ui.loader`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

SCREENSHOT_TIMEOUT_S = 120.0


def _parser() -> argparse.ArgumentParser:
    from neurolab import __version__

    parser = argparse.ArgumentParser(
        prog="neurolab", description="NeuroLab: evolve neural networks and watch them learn."
    )
    parser.add_argument("project", nargs="?", metavar="PROJECT.nlab", help="a project to open")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="render the window (with PROJECT loaded) to a PNG and exit")
    parser.add_argument("--version", action="version", version=f"neurolab {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # a frozen app's spawned workers must not re-run main
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    from neurolab.ui.dialogs.errors import install_excepthook
    from neurolab.ui.main_window import APPLICATION, ORGANISATION, MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("NeuroLab")
    install_excepthook()
    window = MainWindow()
    window.show()
    if args.project:
        window.open_project(Path(args.project))
    if args.screenshot:
        return _screenshot(app, window, Path(args.screenshot))
    return app.exec()


def _screenshot(app, window, out: Path) -> int:
    """Wait until everything is loaded and drawn, save the window as a PNG, exit 0."""
    from PySide6.QtCore import QTimer

    deadline = time.monotonic() + SCREENSHOT_TIMEOUT_S
    settled_since: list[float] = []

    def check() -> None:
        now = time.monotonic()
        if not window.is_settled() and now < deadline:
            settled_since.clear()
            return
        settled_since.append(now)
        if now - settled_since[0] < 0.3 and now < deadline:  # let queued redraws land
            return
        timer.stop()
        window.redraw_plots()
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(out))
        print(f"screenshot {'saved to' if ok else 'FAILED:'} {out}", file=sys.stderr)
        window.close()
        app.exit(0 if ok else 1)

    timer = QTimer(interval=100)
    timer.timeout.connect(check)
    timer.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
