"""Candidates trained by Ray actors on a cluster (the optional extra `neurolab[ray]`).

Lifecycle: made once per run, after `ray_cluster.prepare` connected. It puts the dataset into Ray's
object store once and starts `workers` actors (fewer if the cluster has no room for them), each
holding a `WorkerContext` for the whole run, and waits until they are up. `results()` hands
free actors whole stacked groups (the same shares as the process pool, see `dispatch`), polls
each busy actor for its buffered events about ten times a second (the actor already throttles
them), and yields results as their Ray tasks finish. `cancel` uses `ray.cancel` plus the
actor's cooperative flag; `close` kills the actors.

A worker process or node that dies takes only its candidates with it: they go back to the
queue and train again on another actor, at most `MAX_ATTEMPTS` times in all, then fail with
the reason; the dead actor is replaced. The run never fails from a lost worker.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from neurolab.data.dataset import PreparedData
from neurolab.errors import ClusterError
from neurolab.events import Event, EventSink
from neurolab.execution.dispatch import WorkQueue
from neurolab.execution.ray_cluster import actors_that_fit, import_ray
from neurolab.execution.worker import CandidateTask, StopFlags, WorkerContext
from neurolab.train.trainer import TrainResult

MAX_ATTEMPTS = 3  # a candidate whose worker dies trains again, this many times in all
POLL_INTERVAL = 0.1  # seconds between event polls of the busy actors
POLL_TIMEOUT = 10.0  # an actor that does not answer a poll by then (a lost node) is skipped
START_TIMEOUT = 300.0  # seconds to wait for an actor before the cluster counts as full
LATE_START = 30.0  # at the start, how long the other actors may take after the first


class RayWorker:
    """One Ray actor: a `WorkerContext` kept for the whole run. Threaded, so that `events`
    (polled by the executor) and `control` (cancel, pause, resume) run while `train` does."""

    def __init__(self, data: PreparedData, gpus: float, batching: bool = True) -> None:
        import torch

        torch.set_num_threads(1)  # one CPU per actor, as Ray reserved it
        # Arrays from the object store are read-only views of shared memory; training wants
        # its own writable copy (torch warns about, and must never write into, the shared one).
        data = copy.deepcopy(data)
        device = "cuda" if gpus > 0 and torch.cuda.is_available() else "cpu"
        self._context = WorkerContext(data, device, batching)
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self.flags = StopFlags()

    def pid(self) -> int:
        return os.getpid()

    def train(self, tasks: list[CandidateTask]) -> tuple[list[Event], list[tuple]]:
        """Train one candidate or a stacked group; returns the events not yet polled and
        `(candidate_id, result, final events)` for each candidate."""
        import ray

        # `ray.cancel` flags a running actor task (Ray >= 2.53); older Rays rely on `cancel`.
        ray_cancelled = getattr(ray.get_runtime_context(), "is_canceled", lambda: False)
        flags = self.flags
        flags.reset()

        def keep_going() -> bool:
            return flags.keep_going(ray_cancelled)

        stacked = self._context.trains_stacked(tasks)
        if stacked:
            results = self._context.evaluate_batch(
                tasks, self._send, keep_going, flags.is_cancelled
            )
        else:
            results = [self._context.evaluate(tasks[0], self._send, keep_going, flags.is_cancelled)]
        finished = []
        for task, result in zip(tasks, results, strict=True):
            finals: list[Event] = []
            if stacked:  # `evaluate` sent its own; a batch leaves them to us
                self._context.send_final_boundary(task, result, finals.append)
            finished.append((task.candidate_id, result, finals))
        return self.events(), finished

    def events(self) -> list[Event]:
        with self._lock:
            events, self._events = self._events, []
        return events

    def control(self, action: str, candidate_id: int | None = None) -> None:
        """`StopFlags` from the driver: "cancel" (all, or `candidate_id`), "pause", "resume"."""
        if action == "cancel":
            self.flags.cancel(candidate_id)
        else:
            getattr(self.flags, action)()

    def _send(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)


class _Actor:
    """The executor's view of one actor: its handle, what it trains now, its Ray task."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.ready = handle.pid.remote()  # done once the actor is up
        self.pid: int | None = None
        self.tasks: list[CandidateTask] = []
        self.job: Any = None  # the ObjectRef of its `train` call


class RayExecutor:
    """Ray actors on the connected cluster; see `neurolab.execution.base.Executor`."""

    def __init__(
        self,
        data: PreparedData,
        device: str,
        emit: EventSink,
        workers: int,
        batching: bool = True,
        gpus_per_candidate: float = 0.0,
    ) -> None:
        ray = self._ray = import_ray()
        if not ray.is_initialized():
            raise ClusterError("not connected to a Ray cluster (call ray_cluster.connect first)")
        self.device = "cuda" if gpus_per_candidate > 0 else "cpu"
        self.batching = batching
        self._data, self._emit = data, emit
        self._gpus = gpus_per_candidate
        count = actors_that_fit(ray.cluster_resources(), workers, gpus_per_candidate)
        self._remote = ray.remote(
            num_cpus=1, num_gpus=gpus_per_candidate, max_concurrency=4, max_restarts=0
        )(RayWorker)
        self._data_ref = ray.put(data)  # once; every actor (and any replacement) reads it
        self._start_failure = ""
        self._actors = [self._start() for _ in range(count)]
        self._wait_until_up(self._actors)
        self._queue = WorkQueue()
        self._attempts: dict[int, int] = {}
        self._paused = False
        self.lost_workers = 0  # actors that died during the run (for tests and logs)

    # --- actors -------------------------------------------------------------------------
    def _start(self) -> _Actor:
        return _Actor(self._remote.remote(self._data_ref, self._gpus, self.batching))

    def _wait_until_up(self, actors: list[_Actor]) -> None:
        """Wait for the first actors, so a run's first generation gets every worker (or, on a
        busy cluster, the ones that are up within `LATE_START` of the first)."""
        ray = self._ray
        refs = [a.ready for a in actors]
        ready, _ = ray.wait(refs, num_returns=1, timeout=START_TIMEOUT)
        if not ready:
            raise ClusterError(
                f"no Ray worker started within {START_TIMEOUT:.0f} s: the cluster has no free "
                f"CPU{' and GPU share' if self._gpus else ''} for one"
            )
        ray.wait(refs, num_returns=len(refs), timeout=LATE_START)
        for actor in list(actors):
            self._is_up(actor)
        if not self._actors:
            raise ClusterError(f"no Ray worker could start: {self._start_failure}")

    def _is_up(self, actor: _Actor) -> bool:
        """Whether the actor is up; one that failed to start is dropped (not replaced: the
        next would fail the same way), and a run left without actors ends with the reason."""
        if actor.pid is not None:
            return True
        ray = self._ray
        if not ray.wait([actor.ready], timeout=0)[0]:
            return False
        try:
            actor.pid = ray.get(actor.ready)
        except ray.exceptions.RayError as exc:
            self._start_failure = _first_line(exc)
            self._actors.remove(actor)
            return False
        return True

    def _replace(self, dead: _Actor) -> None:
        self.lost_workers += 1
        self._ray.kill(dead.handle, no_restart=True)
        self._actors[self._actors.index(dead)] = self._start()

    # --- the executor protocol ----------------------------------------------------------
    def submit(self, tasks: list[CandidateTask]) -> None:
        self._queue.submit(tasks)

    def _dispatch(self) -> None:
        if self._paused:
            return
        free = [a for a in list(self._actors) if not a.tasks and self._is_up(a)]
        shares = self._queue.take(len(free), self._data, self.device, self.batching)
        for actor, share in zip(free, shares, strict=False):
            actor.tasks = share
            actor.job = actor.handle.train.remote(share)

    def results(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        ray = self._ray
        waiting_since = time.monotonic()
        while True:
            yield from self._queue.not_started()
            self._dispatch()
            busy = [a for a in self._actors if a.tasks]
            if not busy:
                if not self._queue:
                    return
                if self._paused or any(a.pid is not None for a in self._actors):
                    waiting_since = time.monotonic()
                self._check_workers_left(waiting_since)
                time.sleep(POLL_INTERVAL)  # paused, or waiting for an actor to come up
                continue
            waiting_since = time.monotonic()
            ray.wait([a.job for a in busy], num_returns=1, timeout=POLL_INTERVAL)
            polls = [a.handle.events.remote() for a in busy]
            # All at once: one round costs one round trip however many actors there are.
            ready, _ = ray.wait(polls, num_returns=len(polls), timeout=POLL_TIMEOUT)
            for actor, poll in zip(busy, polls, strict=True):
                yield from self._collect(actor, poll if poll in ready else None)

    def _check_workers_left(self, waiting_since: float) -> None:
        """Work is queued, no actor is busy and none is up: fine for a while (one comes up)."""
        if not self._actors:
            raise ClusterError(f"no Ray worker could start: {self._start_failure}")
        if time.monotonic() - waiting_since > START_TIMEOUT:
            raise ClusterError(
                f"no Ray worker has been up for {START_TIMEOUT:.0f} s: the cluster lost its "
                "nodes or has no free resources"
            )

    def _collect(self, actor: _Actor, poll: Any) -> list[tuple[CandidateTask, TrainResult]]:
        """Forward an actor's polled events; return its results if its Ray task is done."""
        ray = self._ray
        try:
            for event in ray.get(poll) if poll is not None else ():
                self._emit(event)
        except ray.exceptions.RayError:
            pass  # a dead actor: its task says so below
        done, _ = ray.wait([actor.job], timeout=0)
        if not done:
            return []
        tasks, actor.tasks, job = actor.tasks, [], actor.job
        try:
            events, finished = ray.get(job)
        except ray.exceptions.TaskCancelledError:
            return [(t, TrainResult("cancelled", error="stopped")) for t in tasks]
        except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                ray.exceptions.ObjectLostError) as exc:  # fmt: skip
            self._replace(actor)
            return self._lost(tasks, exc)
        except ray.exceptions.RayError as exc:  # anything else Ray raises fails just these
            reason = f"the Ray task failed: {_first_line(exc)}"
            return [(t, TrainResult("failed", error=reason)) for t in tasks]
        for event in events:
            self._emit(event)
        by_id = {t.candidate_id: t for t in tasks}
        out = []
        for candidate_id, result, finals in finished:
            for event in finals:
                self._emit(event)
            out.append((by_id[candidate_id], result))
        return out

    def _lost(self, tasks: list[CandidateTask], exc: Exception) -> list:
        """Candidates of a dead worker: queued again, or failed after `MAX_ATTEMPTS`."""
        failed, again = [], []
        reason = f"its Ray worker was lost ({_first_line(exc)})"
        for task in tasks:
            attempts = self._attempts.get(task.candidate_id, 0) + 1
            self._attempts[task.candidate_id] = attempts
            if self._queue.cancelled:
                failed.append((task, TrainResult("cancelled", error="stopped")))
            elif attempts >= MAX_ATTEMPTS:
                error = f"{reason}; gave up after {attempts} attempts"
                failed.append((task, TrainResult("failed", error=error)))
            else:
                again.append(task)
        self._queue.requeue(again)
        return failed

    def cancel(self, candidate_id: int | None = None) -> None:
        if candidate_id is None:
            self._queue.cancel_all()
            for actor in self._actors:
                job = actor.job  # (read once: the run's thread may be replacing it)
                if actor.tasks and job is not None:
                    actor.handle.control.remote("cancel")
                    self._ray.cancel(job)
            return
        self._queue.drop(candidate_id)
        for actor in self._actors:
            tasks, job = actor.tasks, actor.job
            if any(t.candidate_id == candidate_id for t in tasks):
                actor.handle.control.remote("cancel", candidate_id)
                if len(tasks) == 1 and job is not None:  # its own Ray task: cancel that too
                    self._ray.cancel(job)

    def pause(self) -> None:
        self._paused = True
        for actor in self._actors:
            actor.handle.control.remote("pause")

    def resume(self) -> None:
        self._paused = False
        for actor in self._actors:
            actor.handle.control.remote("resume")

    def close(self) -> None:
        ray = self._ray
        jobs = [a.job for a in self._actors if a.tasks]
        for actor in self._actors:
            if actor.tasks:
                actor.handle.control.remote("cancel")
        # Busy actors stop after their current epoch; give them all together a moment.
        if jobs:
            ray.wait(jobs, num_returns=len(jobs), timeout=2.0)
        for actor in self._actors:
            ray.kill(actor.handle, no_restart=True)
        self._actors = []


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
