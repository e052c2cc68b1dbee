"""The connection to a Ray cluster, shared by every Ray run of this process (optional extra).

`connect(address)` joins a cluster once ("auto", "ray://host:port", "host:port") or, with no
address, starts a local Ray instance; later calls reuse the connection (a different address
replaces it). A connection somebody else made (`ray.init` in a test or a notebook) serves
runs without an address. `cluster_info()` reads what the cluster offers. Ray is imported only
here and in `ray_executor`, so NeuroLab works without it.

Ray ties the processes of a local instance to the thread that started it (they get a signal
when that thread ends), so `ray.init` runs in a keeper thread that lives as long as the
connection, not in the short-lived thread of a run or of a GUI call.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from neurolab.errors import ClusterError
from neurolab.spec import ExecutionSpec

CONNECT_TIMEOUT = 5.0  # seconds for the head node to answer at all
_lock = threading.Lock()
_connected: dict[str, Any] = {}  # {"address": ..., "stop": threading.Event} when we connected


@dataclass(frozen=True)
class ClusterInfo:
    address: str  # "local" for an instance started here
    cpus: float
    gpus: float
    nodes: int

    def describe(self) -> str:
        gpus = f"{self.gpus:g} GPU{'s' if self.gpus != 1 else ''}"
        nodes = f"{self.nodes} node{'s' if self.nodes != 1 else ''}"
        return f"Ray: {self.cpus:g} CPUs, {gpus} on {nodes}"


def import_ray() -> ModuleType:
    """Ray, or a `ClusterError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError(
            "the Ray backend needs Ray: pip install 'neurolab[ray]' (or pip install 'ray[default]')"
        ) from None
    return ray


def connect(address: str | None = None) -> ClusterInfo:
    """Join the cluster at `address` (None: start a local instance); reuses a live connection."""
    ray = import_ray()
    with _lock:
        key = address or "local"
        ours = _connected.get("address")  # None: not connected by us
        if ray.is_initialized() and (ours == key or (address is None and ours is None)):
            return cluster_info()
        if address not in (None, "auto"):
            _check_reachable(address)  # (before a live connection is given up for it)
        if ray.is_initialized():
            _disconnect(ray)
        started, failure = threading.Event(), []
        stop = threading.Event()

        def keep() -> None:
            try:
                ray.init(**_init_options(address))
            except Exception as exc:  # reported to the caller below
                failure.append(exc)
            started.set()
            if not failure:
                stop.wait()

        threading.Thread(target=keep, name="ray-connection", daemon=True).start()
        started.wait()
        if failure:
            raise ClusterError(_connection_problem(key, failure[0])) from None
        _connected.update(address=key, stop=stop)
        return cluster_info()


def cluster_info() -> ClusterInfo:
    """What the connected cluster offers now (all nodes that are alive)."""
    ray = import_ray()
    resources = ray.cluster_resources()
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    return ClusterInfo(
        _connected.get("address", "existing"),
        float(resources.get("CPU", 0)),
        float(resources.get("GPU", 0)),
        nodes,
    )


def prepare(execution: ExecutionSpec) -> int:
    """Connect for a run with these settings; how many workers the cluster can hold
    (`ClusterError` when it cannot hold one)."""
    connect(execution.address)
    ray = import_ray()
    return actors_that_fit(ray.cluster_resources(), execution.workers, execution.gpus_per_candidate)


def actors_that_fit(resources: dict[str, float], workers: int, gpus: float) -> int:
    """At most `workers` actors of one CPU (and `gpus` of a GPU) each on these resources."""
    count = min(workers, int(resources.get("CPU", 0)))
    if gpus > 0:
        count = min(count, math.floor(resources.get("GPU", 0) / gpus + 1e-9))
    if count < 1:
        need = f"1 CPU and {gpus:g} GPU" if gpus > 0 else "1 CPU"
        raise ClusterError(
            f"the Ray cluster has no room for one worker ({need}; it has "
            f"{resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs)"
        )
    return count


def disconnect() -> None:
    """End the connection this module made (a local instance stops); others are left alone."""
    ray = import_ray()
    with _lock:
        _disconnect(ray)


def _disconnect(ray: ModuleType) -> None:
    ray.shutdown()
    stop = _connected.pop("stop", None)
    _connected.clear()
    if stop is not None:
        stop.set()


def _check_reachable(address: str) -> None:
    """Fail in seconds, not minutes (Ray retries a dead address for a long time)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__.replace("Error", " error").lower()
        raise ClusterError(
            f"cannot connect to the Ray cluster at {address}: nothing answers there ({reason})"
        ) from None


def _init_options(address: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {"logging_level": logging.ERROR}  # no start-up chatter on stderr
    if address is None:
        # "local": a new instance even where `ray start` ran on this machine (a bare
        # `ray.init()` would join that cluster, or fail on the stale file a stopped one leaves).
        options.update(address="local", include_dashboard=False)  # faster without a dashboard
        return options
    # The cluster runs this process's copy of NeuroLab, so driver and workers always agree
    # (torch and the other dependencies must be installed on the nodes).
    options["address"] = address
    options["runtime_env"] = {"py_modules": [str(Path(__file__).resolve().parents[1])]}
    return options


def _connection_problem(address: str, exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if address == "local":
        return f"cannot start a local Ray instance: {first}"
    return f"cannot connect to the Ray cluster at {address}: {first}"
