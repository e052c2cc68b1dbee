"""Opening the Playground from the main window, and "Evolve from here": a GA run on the
Playground's data whose generation 0 starts with the hand-built network (`engine.seeds`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolab.errors import NeuroLabError
from neurolab.ui.dialogs.errors import show_error

if TYPE_CHECKING:
    from neurolab.ui.main_window import MainWindow


def open_playground(window: MainWindow) -> None:
    """Show the window's Playground (made on first use, once the engine is loaded)."""
    if not window.engine_ready:
        window.status.showMessage("The Playground opens once the engine has loaded.", 4000)
        return
    playground = getattr(window, "playground", None)
    if playground is None:
        from neurolab.ui.playground.window import PlaygroundWindow

        playground = window.playground = PlaygroundWindow(window)
        playground.evolveRequested.connect(lambda g, d: evolve_from(window, g, d))
    playground.show()
    playground.raise_()
    playground.activateWindow()


def evolve_from(window: MainWindow, genome: dict[str, Any], section: dict[str, Any]) -> bool:
    """Start a GA run on `section`'s data, seeded with `genome`, with the Search panel's
    other settings. False (and a message) when a run is going on or the settings are invalid."""
    if window.controller.is_running():
        show_error(window, "Cannot evolve from here", "A run is in progress: stop it first.")
        return False
    window.apply_data(section, None)
    window._revalidate()
    if window._spec is None:
        show_error(window, "Cannot evolve from here", "; ".join(window._problems))
        return False
    try:
        spec = window._spec.with_overrides({"engine.kind": "ga", "engine.seeds": [genome]})
    except NeuroLabError as exc:
        show_error(window, "Cannot evolve from here", str(exc))
        return False
    window._launch(spec, None, None)
    window.status.showMessage(
        "Evolving from the Playground's network: it is in generation 0.", 8000
    )
    window.raise_()
    return True
