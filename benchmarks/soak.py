"""Soak: one long run (population 64, as many generations as fit) and the main process's memory.

    python benchmarks/soak.py [--minutes 20] [--workers 1] [--interval 10]

A GA on two moons (300 points, small networks, 5–15 epochs) runs for `--minutes` of wall time
into a temporary project file, as `neurolab-run` would (the Runner with a store, its events
going to a sink that keeps nothing). A thread samples the main process's resident set size
(VmRSS from /proc/self/status) every `--interval` seconds. With `--workers 1` (the default) the
candidates train inside the main process, so the trainer, engine, store and events all count;
with more, the pool's parent side does.

Flat means: no sample after the warm-up (the first minute, or a fifth of a shorter run) exceeds
the first sample after it by more than 10 %. It prints the samples, the figure and a verdict;
the last stdout line is one JSON object. Exit code 1 when the memory grew.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from neurolab.runner import Runner
from neurolab.spec import ExperimentSpec

LIMIT = 1.10  # at most +10 % after the warm-up


def resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def soak_spec(seconds: float, workers: int) -> ExperimentSpec:
    return ExperimentSpec.from_dict(
        {
            "name": "soak",
            "data": {"name": "moons", "params": {"n_samples": 300, "noise": 0.2, "seed": 0}},
            "search_space": {"max_layers": 2, "max_width": 32, "min_epochs": 5, "max_epochs": 15},
            "engine": {"population": 64, "elites": 2},
            "budget": {"generations": 100_000, "seconds": seconds},
            "execution": {"workers": workers},
            "seed": 1,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args()
    seconds = args.minutes * 60
    warm_up = min(60.0, seconds / 5)
    samples: list[tuple[float, float]] = []
    generations = {"done": 0}
    stop = threading.Event()
    start = time.monotonic()

    def sample() -> None:
        while True:
            samples.append((time.monotonic() - start, resident_mb()))
            if stop.wait(args.interval):
                break
        samples.append((time.monotonic() - start, resident_mb()))

    def count(event) -> None:  # a sink that keeps nothing but a counter
        if type(event).__name__ == "GenerationFinished":
            generations["done"] += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        summary = Runner(soak_spec(seconds, args.workers), Path(tmp) / "soak.nlab", [count]).run()
        size = (Path(tmp) / "soak.nlab").stat().st_size
    stop.set()
    sampler.join()

    for at, mb in samples:
        print(f"{at:7.0f} s  {mb:8.1f} MB")
    after = [mb for at, mb in samples if at >= warm_up]
    base = after[0] if after else samples[-1][1]
    peak = max(after) if after else base
    growth = peak / base - 1
    flat = peak <= base * LIMIT
    print(
        f"{summary.candidates} candidates, {generations['done']} generations in "
        f"{summary.seconds:.0f} s (workers {args.workers}); project file {size / 1e6:.1f} MB"
    )
    print(
        f"resident memory: {samples[0][1]:.1f} MB at start, {base:.1f} MB after {warm_up:.0f} s, "
        f"peak after that {peak:.1f} MB ({growth:+.1%}), last {samples[-1][1]:.1f} MB: "
        + ("flat" if flat else "GREW")
    )
    print(
        json.dumps(
            {
                "minutes": args.minutes,
                "workers": args.workers,
                "candidates": summary.candidates,
                "generations": generations["done"],
                "rss_start_mb": round(samples[0][1], 1),
                "rss_after_warm_up_mb": round(base, 1),
                "rss_peak_after_warm_up_mb": round(peak, 1),
                "rss_last_mb": round(samples[-1][1], 1),
                "growth": round(growth, 4),
                "flat": flat,
                "samples": [(round(at), round(mb, 1)) for at, mb in samples],
                "load_average": os.getloadavg(),
            }
        )
    )
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
