"""A pool of worker processes that live for the whole run.

Each worker gets the dataset once, at start, then trains one candidate at a time, streaming its
events back over its own pipe. The parent knows which candidate each worker holds, so a worker
that dies (an exception in C code, a segfault, the OOM killer) fails exactly that candidate
with the reason, is replaced, and the run goes on. The parent also enforces `WorkerLimits`: a
candidate past its timeout is asked to stop, then its worker is killed and replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait

from neurolab.data.dataset import PreparedData
from neurolab.events import EventSink
from neurolab.execution.base import WorkerLimits
from neurolab.execution.dispatch import WorkQueue
from neurolab.execution.worker import OUT_OF_MEMORY, CandidateTask, WorkerContext
from neurolab.train.trainer import TrainResult

_CANCEL, _PAUSE, _RESUME, _QUIT, _READY = "cancel", "pause", "resume", "quit", "ready"
EXIT_OUT_OF_MEMORY = 75  # a worker whose candidate's allocation failed exits with this
# Workers train at a lower priority: on a machine with no core to spare, the window (and the
# parent that feeds the workers) still gets the CPU at once when it needs it.
WORKER_NICENESS = 10


def _worker_main(
    conn: Connection,
    data: PreparedData,
    device: str,
    threads: int,
    memory_mb: int | None,
    batching: bool,
) -> None:
    """Worker process: loop over tasks until told to quit or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if hasattr(os, "nice"):  # below the window and the run's own thread, which wait on it
        os.nice(WORKER_NICENESS)
    import torch

    torch.set_num_threads(threads)
    context = WorkerContext(data, device, batching)
    if memory_mb is not None and not device.startswith("cuda"):  # CUDA maps huge address ranges
        _limit_address_space(memory_mb)
    conn.send(_READY)  # timeouts count from here, not from the spawn (importing torch takes s)
    paused = quitting = False
    cancelled_ids: set[int] = set()

    def keep_going() -> bool:
        # Read control messages between epochs; block while paused.
        nonlocal paused, quitting
        while conn.poll(None if paused else 0):
            message = conn.recv()
            if isinstance(message, tuple):  # (_CANCEL, candidate_id): just that one
                cancelled_ids.add(message[1])
                continue
            if message in (_CANCEL, _QUIT):
                paused, quitting = False, message == _QUIT
                return False
            paused = message == _PAUSE
        return True

    while not quitting:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message == _QUIT:
            return
        if isinstance(message, tuple):
            continue  # a late cancel of a candidate that already finished
        if message in (_PAUSE, _RESUME, _CANCEL):
            paused = message == _PAUSE
            continue
        tasks: list[CandidateTask] = message
        cancelled_ids.clear()
        batched = context.trains_stacked(tasks)
        if batched:
            results = context.evaluate_batch(
                tasks, conn.send, keep_going, cancelled_ids.__contains__
            )
        else:
            results = [
                context.evaluate(tasks[0], conn.send, keep_going, cancelled_ids.__contains__)
            ]
        try:
            for task, result in zip(tasks, results, strict=True):
                if (result.error or "").startswith(OUT_OF_MEMORY):
                    continue  # the parent fails it when this process exits, below
                if batched:
                    context.send_final_boundary(task, result, conn.send)
                conn.send(("done", task.candidate_id, result))
        except OSError:
            return  # the parent is gone
        if any((result.error or "").startswith(OUT_OF_MEMORY) for result in results):
            conn.close()
            os._exit(EXIT_OUT_OF_MEMORY)  # a fresh worker, rather than a fragmented heap


def _limit_address_space(megabytes: int) -> None:
    """Let this process map at most `megabytes` more than it has now (Linux; else no limit)."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:
            now = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    except (OSError, StopIteration):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = now + (megabytes << 20)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class _Worker:
    def __init__(
        self,
        ctx,
        data: PreparedData,
        device: str,
        threads: int,
        memory_mb: int | None,
        batching: bool,
    ) -> None:
        self.conn, child = ctx.Pipe()
        args = (child, data, device, threads, memory_mb, batching)
        self.process = ctx.Process(target=_worker_main, args=args, daemon=True)
        self.process.start()
        child.close()
        self.tasks: list[CandidateTask] = []  # what it trains now (several when batched)
        self.group = 0  # how many it was given (the timeout scales with it)
        # Told to cancel what it trains now: told once, as every epoch report past a time
        # budget asks again, and a pipe full of repeats blocks us while the worker, busy
        # sending reports we no longer read, never reads it (a deadlock, seen at 256).
        self.cancelled = False
        self.index = 0
        self.ready = False  # set up and listening (its first message)
        self.deadline = math.inf  # when its tasks run past the candidate timeout
        self.kill_at = math.inf  # when it is killed if they have not stopped by then


class ProcessPoolExecutor:
    """`workers` processes; see `neurolab.execution.base.Executor` for the lifecycle."""

    def __init__(
        self,
        data: PreparedData,
        device: str,
        emit: EventSink,
        workers: int,
        batching: bool = True,
        limits: WorkerLimits | None = None,
    ) -> None:
        self.device = device
        self.batching = batching
        self.limits = limits or WorkerLimits()
        self._data, self._emit = data, emit
        self._ctx = _start_method()
        # Split the cores so workers do not oversubscribe them; a lone worker (there for its
        # limits) uses one thread like the inline trainer it stands in for: the same results.
        self._threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else 1
        self._workers = [self._spawn(i) for i in range(workers)]
        self._queue = WorkQueue()
        self._paused = False
        self._paused_at = 0.0
        self._crashes_in_a_row = 0

    def _spawn(self, index: int) -> _Worker:
        device = worker_device(self.device, index)
        memory = self.limits.memory_limit_mb
        worker = _Worker(self._ctx, self._data, device, self._threads, memory, self.batching)
        worker.index = index
        return worker

    def submit(self, tasks: list[CandidateTask]) -> None:
        self._queue.submit(tasks)

    def _dispatch(self) -> None:
        if self._paused:
            return
        idle = [w for w in self._workers if not w.tasks]
        shares = self._queue.take(len(idle), self._data, self.device, self.batching)
        for worker, share in zip(idle, shares, strict=False):
            self._start(worker, share)

    def _start(self, worker: _Worker, tasks: list[CandidateTask]) -> None:
        worker.tasks, worker.group, worker.cancelled = tasks, len(tasks), False
        worker.conn.send(tasks)
        worker.kill_at = math.inf
        self._start_clock(worker)

    def _start_clock(self, worker: _Worker) -> None:
        timeout = self.limits.candidate_timeout
        if timeout is not None and worker.ready and worker.tasks:
            worker.deadline = time.monotonic() + timeout * worker.group
        else:
            worker.deadline = math.inf

    def _enforce_timeouts(self) -> None:
        """Ask candidates past their deadline to stop; kill a worker that does not stop."""
        now = time.monotonic()
        for worker in self._workers:
            if not worker.tasks or self._paused:
                continue
            if now >= worker.kill_at and worker.process.is_alive():
                worker.process.kill()  # the last resort: it did not stop in time
            elif now >= worker.deadline and worker.kill_at == math.inf:
                worker.kill_at = now + self.limits.kill_grace
                for task in worker.tasks:
                    with contextlib.suppress(OSError):
                        worker.conn.send((_CANCEL, task.candidate_id))

    def _timeout_reason(self, worker: _Worker, killed: bool) -> str:
        limit = f"the candidate timeout of {self.limits.candidate_timeout:g} s"
        if worker.group > 1:
            limit = f"{worker.group} × {limit} (a stacked group of {worker.group})"
        if killed:
            return f"ran past {limit} and did not stop; its worker was killed and replaced"
        return f"ran past {limit}; stopped"

    def results(self) -> Iterator[tuple[CandidateTask, TrainResult]]:
        while True:
            yield from self._queue.not_started()
            self._dispatch()
            busy = [w for w in self._workers if w.tasks]
            if not busy:
                if not self._queue:
                    return
                time.sleep(0.1)  # paused with work queued
                continue
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.1)
            for worker in busy:
                yield from self._receive(worker, ready)
            self._enforce_timeouts()

    def _receive(self, worker: _Worker, ready: list) -> list[tuple[CandidateTask, TrainResult]]:
        """Forward a worker's streamed events; return the results it has finished."""
        finished = []
        try:
            while worker.conn in ready and worker.conn.poll():
                message = worker.conn.recv()
                if message == _READY:
                    worker.ready = True
                    self._start_clock(worker)
                elif isinstance(message, tuple) and message[0] == "done":
                    task = next(t for t in worker.tasks if t.candidate_id == message[1])
                    result = message[2]
                    # Stopped by its timeout (a cancel by the user stays a cancel).
                    timed_out = worker.kill_at < math.inf and not self._queue.cancelled
                    if timed_out and result.status == "cancelled":
                        reason = self._timeout_reason(worker, killed=False)
                        reason += f" after {result.epochs} epochs"
                        result = dataclasses.replace(result, status="failed", error=reason)
                    worker.tasks.remove(task)
                    self._crashes_in_a_row = 0
                    finished.append((task, result))
                else:
                    self._emit(message)
        except (EOFError, OSError):
            pass
        if worker.tasks and (worker.process.sentinel in ready or not worker.process.is_alive()):
            worker.process.join(1)
            code = worker.process.exitcode
            if worker.kill_at < math.inf:  # killed for its timeout: not a crash
                reason = self._timeout_reason(worker, killed=True)
            elif code == EXIT_OUT_OF_MEMORY:  # its allocation failed: not a crash either
                reason = (
                    f"{OUT_OF_MEMORY}: it needed more than the memory limit of "
                    f"{self.limits.memory_limit_mb} MB per worker; its worker was replaced"
                )
            else:
                reason = _death_reason(code)
                self._crashes_in_a_row += 1
                if self._crashes_in_a_row > 2 * len(self._workers) + 2:
                    raise RuntimeError(
                        f"worker processes keep dying ({reason}); the run cannot go on"
                    )
            lost, worker.tasks = worker.tasks, []
            self._replace(worker)
            finished += [(t, TrainResult(status="failed", error=reason)) for t in lost]
        return finished

    def _replace(self, dead: _Worker) -> None:
        dead.conn.close()
        self._workers[self._workers.index(dead)] = self._spawn(dead.index)

    def _send(self, workers: list[_Worker], message: object) -> None:
        for worker in workers:
            # A dead worker's pipe raises; `results` notices the death itself.
            with contextlib.suppress(OSError):
                worker.conn.send(message)

    def _busy(self) -> list[_Worker]:
        return [worker for worker in self._workers if worker.tasks]

    def cancel(self, candidate_id: int | None = None) -> None:
        if candidate_id is None:
            self._queue.cancel_all()
            fresh = [worker for worker in self._busy() if not worker.cancelled]
            for worker in fresh:
                worker.cancelled = True
            self._send(fresh, _CANCEL)
            return
        self._queue.drop(candidate_id)
        holding = [w for w in self._busy() if any(t.candidate_id == candidate_id for t in w.tasks)]
        self._send(holding, (_CANCEL, candidate_id))

    def pause(self) -> None:
        self._paused = True
        self._paused_at = time.monotonic()
        self._send(self._busy(), _PAUSE)

    def resume(self) -> None:
        # The timeout clock stands still while paused.
        held = time.monotonic() - self._paused_at if self._paused else 0.0
        for worker in self._workers:
            worker.deadline += held
            worker.kill_at += held
        self._paused = False
        self._send(self._busy(), _RESUME)

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(_QUIT)
        # Busy workers stop after their current epoch; give them all together a moment.
        deadline = time.monotonic() + 2.0
        for worker in self._workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.kill()  # the last resort: it did not stop in time
                worker.process.join(timeout=2)
            worker.conn.close()
        self._workers = []


# What a worker imports: a fork server imports it once, so each worker starts in a fraction of a
# second instead of importing torch itself (seconds), and so do replacements and later runs.
WORKER_MODULES = ["neurolab.execution.worker", "neurolab.train.batched"]


def _start_method() -> mp.context.BaseContext:
    """A fork server where there is one (Linux, macOS), else (Windows, a frozen app) "spawn".

    The fork server is a fresh interpreter, started once per process, that only imports
    `WORKER_MODULES`: no threads, no CUDA, nothing of the parent (a GUI's Qt threads), so
    forking it is safe where forking the parent would not be."""
    if getattr(sys, "frozen", False) or "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    return context


def start_server() -> None:
    """Start the fork server now, without waiting for it (its imports take seconds): the
    runner calls this before it loads the data, so the two overlap."""
    if _start_method().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def worker_device(device: str, index: int) -> str:
    """Worker `index`'s device: plain "cuda" spreads workers over all GPUs, one slot each in
    turn (several workers, and their stacked candidates, share a GPU); anything else as given."""
    if device != "cuda":
        return device
    import torch

    count = torch.cuda.device_count()
    return f"cuda:{index % count}" if count else "cpu"


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"worker process was killed by {name}{hint}"
    return f"worker process exited unexpectedly (exit code {exitcode})"
