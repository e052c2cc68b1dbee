"""Fixtures shared by the engine and the UI tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance (2 CPUs) per test module that asks for it; skipped without Ray.

    Started in the main thread: Ray ties a local instance's processes to the starting thread.
    Shut down after the module, so Ray's threads (one calls `gc.collect()` at times) never
    run beside the Qt tests that follow.
    """
    ray = pytest.importorskip("ray")
    # address="local": a new instance, even if a `ray start` cluster runs on this machine.
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="error")
    yield ray
    ray.shutdown()
