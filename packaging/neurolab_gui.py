"""Frozen entry point of the desktop app `neurolab` (PyInstaller runs this file)."""

import multiprocessing

if __name__ == "__main__":
    # First, before any other import: in a frozen app a spawned worker re-runs this program,
    # and freeze_support turns it into the worker instead of a second window.
    multiprocessing.freeze_support()
    import sys

    from neurolab.ui.app import main

    sys.exit(main())
