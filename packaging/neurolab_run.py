"""Frozen entry point of the headless `neurolab-run` (PyInstaller runs this file)."""

import multiprocessing

if __name__ == "__main__":
    # First, before any other import: a spawned pool worker re-runs this program, and
    # freeze_support makes it serve as the worker instead of starting another run.
    multiprocessing.freeze_support()
    import sys

    from neurolab.cli import main

    sys.exit(main())
