"""Candidates per second: a plain sequential loop vs the warm process pool vs `train_population`.

    python benchmarks/throughput.py [--quick] [--threads auto|1|2] [--space narrow|wide]

Two moons (1,000 points), a population of MLPs with 1–2 hidden layers of 4–64 units (relu /
tanh, Adam / AdamW, mixed learning rates and weight decays), minibatches of 64 for 20 epochs
(patience = epochs, so every method trains every epoch); `--space wide` draws the activations
from the default search space's six (relu, tanh, gelu, leaky_relu, elu, silu) and dropout from
its 0-0.2 instead, which stacking pays for per candidate (an activation kernel per run of equal
activations, a dropout mask per candidate and layer at every step). Trained

  (a) one model at a time: `build_model` + `torch.optim` + a plain minibatch loop;
  (b) by the warm process pool (`ProcessPoolExecutor`, 2 workers, timed after a warm-up task);
  (c) by `train_population` (stacked parameters, one bmm per layer);
  (d) by `train_population` in 2 warm worker processes, whole groups per worker
      (`assign_to_workers`): what the executor integration would reach;
  (e) by the Ray backend (`RayExecutor`, 2 actors on a local Ray instance, timed after a
      warm-up task, like (b)); skipped when Ray is not installed.

It prints candidates/second and ratios against (a) measured in the same run, the mean best
validation accuracy of (a) and (c), the fraction of this machine's matmul peak (a large
`torch.mm`, measured here) that (c) reaches in useful FLOPs (unpadded forward + backward +
validation passes), a full-batch variant, and (a) vs (c) for growing populations. `--threads
auto` times (a) and (c) with 1 and with all cores and keeps each one's faster setting. Other
processes on the machine skew every number: the load average is printed at start and end. The
last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import random
import sys
import time
from dataclasses import replace

import torch

from neurolab.data import load_data
from neurolab.data.dataset import PreparedData
from neurolab.execution import CandidateTask, ProcessPoolExecutor
from neurolab.genome import Genome, SearchSpace
from neurolab.model import build_model
from neurolab.spec import DataSpec
from neurolab.train.batched import assign_to_workers, train_population
from neurolab.train.trainer import make_optimizer

CORES = os.cpu_count() or 1


WIDE = False  # --space wide: the default search space's activations and dropout
SIX = ("relu", "tanh", "gelu", "leaky_relu", "elu", "silu")


def population(size: int, *, epochs: int, batch_size: int, seed: int = 0) -> list[Genome]:
    space = SearchSpace(
        min_layers=1, max_layers=2, min_width=4, max_width=64,
        activations=SIX if WIDE else ("relu", "tanh"),
        min_dropout=0.0, max_dropout=0.2 if WIDE else 0.0,
        optimizers=("adam", "adamw"), min_lr=1e-3, max_lr=3e-2,
        weight_decays=(0.0, 1e-4), batch_sizes=(batch_size,),
        min_epochs=epochs, max_epochs=epochs,
    )  # fmt: skip
    rng = random.Random(seed)
    return [space.random_genome(rng) for _ in range(size)]


def plain_train(genome: Genome, data: PreparedData, seed: int) -> float:
    """(a): the textbook loop; returns the validation accuracy at the best validation loss."""
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    x, y = torch.as_tensor(data.x_train), torch.as_tensor(data.y_train)
    xv, yv = torch.as_tensor(data.x_val), torch.as_tensor(data.y_val)
    model = build_model(genome, data.n_features, data.n_outputs)
    optimizer = make_optimizer(genome, model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    best_loss, best_acc = math.inf, 0.0
    for _ in range(genome.epochs):
        model.train()
        for idx in torch.randperm(len(y), generator=shuffle).split(genome.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            out = model(xv)
            loss = float(loss_fn(out, yv))
        if loss < best_loss:
            best_loss, best_acc = loss, float((out.argmax(1) == yv).float().mean())
    return best_acc


def timed(fn, threads: int):
    torch.set_num_threads(threads)
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def sequential(genomes: list[Genome], data: PreparedData, threads: int):
    return timed(lambda: [plain_train(g, data, i) for i, g in enumerate(genomes)], threads)


def batched(genomes: list[Genome], data: PreparedData, threads: int):
    seeds = list(range(len(genomes)))
    return timed(lambda: train_population(genomes, data, seeds=seeds, patience=10**6), threads)


def best_of(run, threads: int, label: str, repeats: int) -> tuple[float, object]:
    """Fastest of `repeats` runs; prints every measurement."""
    best = None
    for _ in range(repeats):
        seconds, value = run(threads)
        print(f"  {label}: {seconds:7.2f} s with {threads} thread(s)", flush=True)
        if best is None or seconds < best[0]:
            best = (seconds, value)
    return best  # type: ignore[return-value]


def pick_threads(probe, choices: list[int], label: str) -> int:
    """The thread count under which a short probe runs fastest, by a clear margin: on cores
    that other processes share, more threads can be many times slower, and a probe sees that
    only sometimes, so more threads must win by 20 %."""
    if len(choices) == 1:
        return choices[0]
    times = {t: probe(t)[0] for t in choices}
    shown = ", ".join(f"{t} thread(s) {s:.2f} s" for t, s in times.items())
    print(f"  {label} probe: {shown}", flush=True)
    best = choices[0]
    for t in choices[1:]:
        if times[t] < 0.8 * times[best]:
            best = t
    return best


def pool_run(genomes: list[Genome], data: PreparedData, workers: int = 2, pool=None) -> float:
    """(b): seconds for the population once the pool's workers are warm (or (e): `pool` is a
    `RayExecutor`)."""
    if pool is None:
        pool = ProcessPoolExecutor(data, "cpu", emit=lambda e: None, workers=workers)
    try:
        warm = replace(genomes[0], epochs=1)
        pool.submit([CandidateTask(-1 - w, 0, warm.to_dict(), 0, 10) for w in range(workers)])
        for _ in pool.results():
            pass
        tasks = [CandidateTask(i, 0, g.to_dict(), i, 10**6) for i, g in enumerate(genomes)]
        start = time.perf_counter()
        pool.submit(tasks)
        statuses = [result.status for _, result in pool.results()]
        seconds = time.perf_counter() - start
    finally:
        pool.close()
    assert statuses.count("ok") == len(genomes), statuses
    return seconds


_WORKER_DATA: PreparedData | None = None


def _worker_init(data: PreparedData) -> None:
    global _WORKER_DATA
    _WORKER_DATA = data
    torch.set_num_threads(1)


def _worker_train(job: tuple[list[dict], list[int]]) -> list[float]:
    genomes = [Genome.from_dict(d) for d in job[0]]
    results = train_population(genomes, _WORKER_DATA, seeds=job[1], patience=10**6)
    return [r.val_metric for r in results]


def ray_run(genomes: list[Genome], data: PreparedData, workers: int = 2) -> float | None:
    """(e): like (b), on 2 Ray actors of a local Ray instance; None without Ray."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return None
    from neurolab.execution.ray_cluster import connect, disconnect
    from neurolab.execution.ray_executor import RayExecutor

    start = time.perf_counter()
    info = connect(None)
    executor = RayExecutor(data, "cpu", emit=lambda e: None, workers=workers)
    print(f"  Ray up with 2 actors in {time.perf_counter() - start:.1f} s ({info.describe()})")
    try:
        return pool_run(genomes, data, workers, pool=executor)
    finally:
        disconnect()


def batched_pool_run(
    genomes: list[Genome], data: PreparedData, repeats: int, workers: int = 2
) -> float:
    """(d): `train_population` in warm worker processes, whole groups per worker (a preview of
    the executor integration: `assign_to_workers` splits the population); best of `repeats`."""
    with mp.get_context("spawn").Pool(workers, _worker_init, (data,)) as pool:
        warm = [replace(g, epochs=1).to_dict() for g in genomes[:workers]]
        pool.map(_worker_train, [([d], [0]) for d in warm], chunksize=1)
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            n = data.n_features, data.n_outputs, len(data.y_train)
            shares = [s for s in assign_to_workers(genomes, workers, *n) if s]
            jobs = [([genomes[i].to_dict() for i in share], share) for share in shares]
            pool.map(_worker_train, jobs, chunksize=1)
            elapsed = time.perf_counter() - start
            best = min(best, elapsed)
            print(f"  batched pool: {elapsed:7.2f} s", flush=True)
        return best


def matmul_peak(threads: int, size: int = 2048) -> float:
    """GFLOP/s of a large square `torch.mm` (best of a few)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def useful_flops(genomes: list[Genome], results, data: PreparedData) -> float:
    """Unpadded FLOPs: forward (2), weight and input gradients (2 + 2, none into x), val pass."""
    n, n_val = len(data.y_train), len(data.y_val)
    total = 0.0
    for genome, result in zip(genomes, results, strict=True):
        sizes = [data.n_features, *(ly.width for ly in genome.layers), data.n_outputs]
        macs = [a * b for a, b in zip(sizes, sizes[1:], strict=False)]
        per_row = 2 * sum(macs) + 2 * sum(macs) + 2 * sum(macs[1:])
        total += result.epochs * (n * per_row + n_val * 2 * sum(macs))
    return total


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short, CI-sized run (< 60 s)")
    parser.add_argument(
        "--threads", default="auto", help="auto (1 with --quick), or a thread count for (a)/(c)"
    )
    parser.add_argument(
        "--space",
        choices=["narrow", "wide"],
        default="narrow",
        help="wide: six activations and dropout 0-0.2, as the default search space",
    )
    args = parser.parse_args()
    quick = args.quick
    global WIDE
    WIDE = args.space == "wide"
    if args.threads != "auto":
        threads = [int(args.threads)]
    else:  # --quick stays on one thread: short and robust on a shared CI machine
        threads = [1] if quick or CORES == 1 else [1, CORES]
    size, epochs, repeats = (32, 10, 1) if quick else (64, 20, 2)
    scaling = [16, 32, 128] if quick else [16, 64, 256, 1024]
    measured_limit = 32 if quick else 256  # above this, (a) is extrapolated from a sample

    data = load_data(DataSpec(name="moons", params={"n_samples": 1000, "noise": 0.2, "seed": 0}))
    print(f"load average at start: {load()}  ({CORES} cores, torch {torch.__version__})")
    print(
        f"two moons: {len(data.y_train)} training rows; population {size}, "
        f"1-2 hidden layers of 4-64 units, minibatch 64, {epochs} epochs,"
        f" {'six activations, dropout 0-0.2' if WIDE else 'relu/tanh, no dropout'}"
    )
    peak = {t: matmul_peak(t) for t in threads}
    for t, gflops in peak.items():
        print(f"matmul peak (2048x2048 torch.mm, {t} thread(s)): {gflops:.1f} GFLOP/s")

    genomes = population(size, epochs=epochs, batch_size=64)
    short = [replace(g, epochs=2) for g in genomes]
    # First-call costs (allocator, lazy imports, kernels) out of the way before any timing.
    batched(short, data, 1)
    sequential(short[:2], data, 1)
    print("(a) sequential plain loop")
    seq_t = pick_threads(lambda t: sequential(genomes[:6], data, t), threads, "sequential")
    seq_s, seq_acc = best_of(lambda t: sequential(genomes, data, t), seq_t, "sequential", repeats)
    print("(b) warm process pool, 2 workers (1 thread each)")
    pool_s = pool_run(genomes, data)
    print(f"  pool: {pool_s:7.2f} s")
    print("(c) batched train_population")
    bat_t = pick_threads(lambda t: batched(short, data, t), threads, "batched")
    bat_s, bat_results = best_of(lambda t: batched(genomes, data, t), bat_t, "batched", repeats)
    print("(d) batched in 2 warm worker processes (1 thread each)")
    bpool_s = batched_pool_run(genomes, data, repeats)
    print("(e) Ray backend, 2 actors (1 thread each)")
    ray_s = ray_run(genomes, data)
    print(f"  ray: {ray_s:7.2f} s" if ray_s is not None else "  skipped: Ray is not installed")
    seq_cps, pool_cps, bat_cps = size / seq_s, size / pool_s, size / bat_s
    bpool_cps = size / bpool_s
    flops = useful_flops(genomes, bat_results, data)
    fraction = flops / bat_s / 1e9 / peak[bat_t]
    acc_a = sum(seq_acc) / size
    acc_c = sum(r.val_metric for r in bat_results) / size
    print(f"\nminibatch training, population {size}:")
    print(f"  (a) sequential  {seq_cps:7.2f} candidates/s  ({seq_t} thread(s))")
    print(f"  (b) warm pool   {pool_cps:7.2f} candidates/s  ({pool_cps / seq_cps:.2f}x (a))")
    print(
        f"  (c) batched     {bat_cps:7.2f} candidates/s  ({bat_cps / seq_cps:.2f}x (a), "
        f"{bat_t} thread(s))"
    )
    print(
        f"  (d) batched in 2 processes {bpool_cps:7.2f} candidates/s  ({bpool_cps / seq_cps:.2f}x (a))"
    )
    if ray_s is not None:
        ray_cps = size / ray_s
        print(
            f"  (e) Ray, 2 actors {ray_cps:7.2f} candidates/s  ({ray_cps / seq_cps:.2f}x (a), "
            f"{ray_cps / pool_cps:.2f}x (b))"
        )
    print(f"  mean best val accuracy: (a) {acc_a:.4f}  (c) {acc_c:.4f}")
    print(
        f"  (c) useful work {flops / 1e9:.2f} GFLOP in {bat_s:.2f} s = "
        f"{flops / bat_s / 1e9:.2f} GFLOP/s, {100 * fraction:.1f}% of the matmul peak"
    )

    full = population(size, epochs=5 * epochs, batch_size=len(data.y_train), seed=1)
    print(
        f"\nfull-batch variant (batch {len(data.y_train)}, {5 * epochs} epochs, population {size}):"
    )
    full_short = [replace(g, epochs=10) for g in full]
    ta = pick_threads(lambda t: sequential(full[:6], data, t), threads, "sequential")
    fa, _ = best_of(lambda t: sequential(full, data, t), ta, "sequential", 1)
    tc = pick_threads(lambda t: batched(full_short, data, t), threads, "batched")
    fc, full_results = best_of(lambda t: batched(full, data, t), tc, "batched", 1)
    full_flops = useful_flops(full, full_results, data)
    print(
        f"  (a) {size / fa:.2f} cand/s  (c) {size / fc:.2f} cand/s  ratio {fa / fc:.2f}x; "
        f"(c) {100 * full_flops / fc / 1e9 / peak[tc]:.1f}% of the matmul peak"
    )

    print(f"\nscaling, minibatch ({seq_t} / {bat_t} thread(s) for (a) / (c)):")
    rows = {}
    for count in scaling:
        pop = population(count, epochs=epochs, batch_size=64, seed=2)
        if count == size:
            pop_a = seq_s
            note = "same as above"
        elif count <= measured_limit:
            pop_a = sequential(pop, data, seq_t)[0]
            note = "measured"
        else:
            sample = pop[:: count // 32]
            pop_a = sequential(sample, data, seq_t)[0] * count / len(sample)
            note = f"extrapolated from {len(sample)} candidates"
        pop_c = batched(pop, data, bat_t)[0] if count != size else bat_s
        rows[count] = {"sequential_s": round(pop_a, 2), "batched_s": round(pop_c, 2)}
        print(
            f"  {count:5d}: (a) {pop_a:8.2f} s ({note})  (c) {pop_c:7.2f} s  "
            f"ratio {pop_a / pop_c:6.2f}x  (c) {count / pop_c:7.1f} cand/s"
        )
    print(f"\nload average at end: {load()}")
    summary = {
        "sequential_cps": round(seq_cps, 3),
        "pool_cps": round(pool_cps, 3),
        "batched_cps": round(bat_cps, 3),
        "pool_vs_sequential": round(pool_cps / seq_cps, 3),
        "batched_vs_sequential": round(bat_cps / seq_cps, 3),
        "batched_pool_cps": round(bpool_cps, 3),
        "batched_pool_vs_sequential": round(bpool_cps / seq_cps, 3),
        "ray_cps": round(size / ray_s, 3) if ray_s is not None else None,
        "ray_vs_sequential": round(size / ray_s / seq_cps, 3) if ray_s is not None else None,
        "ray_vs_pool": round(pool_s / ray_s, 3) if ray_s is not None else None,
        "population": size,
        "val_accuracy_sequential": round(acc_a, 4),
        "val_accuracy_batched": round(acc_c, 4),
        "batched_peak_fraction": round(fraction, 4),
        "full_batch_vs_sequential": round(fa / fc, 3),
        "scaling": rows,
        "load_average": load(),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
