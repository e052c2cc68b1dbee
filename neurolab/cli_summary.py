"""The run's summary that `neurolab-run` prints after a run and for `show`: the best network,
the finalists, the Pareto front, the totals; as text or one JSON object."""

from __future__ import annotations

import json
from typing import Any


def _run_info(store, run_id: int):
    return next(r for r in store.runs() if r.run_id == run_id)


def summary_dict(store, run_id: int, candidates: list) -> dict[str, Any]:
    run = _run_info(store, run_id)
    best = store.best(run_id)
    front = [
        {"id": r.candidate_id, "params": r.params, "val": r.val_metric, "test": r.test_metric}
        for r in store.front(run_id)
    ]
    return {
        "metric": run.metric,
        "best": None
        if best is None
        else {
            "id": best.candidate_id,
            "generation": best.generation,
            "val": best.val_metric,
            "test": best.test_metric,
            "cv": best.cv_metric,
            "params": best.params,
            "genome": best.genome,
        },
        "front": front,
        "candidates": len(candidates),
        "failed": sum(c.status == "failed" for c in candidates),
        "pruned": sum(c.status == "pruned" for c in candidates),
        "seconds": round(run.seconds, 3),
        "status": run.status,
        "project": str(store.path.resolve()),
    }


def print_summary(store, run_id: int, as_json: bool, candidates: list | None = None) -> None:
    """The run's summary (best network, finalists, Pareto front); `candidates`: the run's, where
    the caller has read them already."""
    from neurolab.genome import Genome
    from neurolab.spec import DataSpec

    if candidates is None:
        candidates = store.candidates(run_id)
    summary = summary_dict(store, run_id, candidates)
    if as_json:
        print(json.dumps(summary))
        return
    run = _run_info(store, run_id)
    metric = summary["metric"]
    best = summary["best"]
    data = DataSpec.model_validate(run.spec["data"]).describe()
    lines = [f"Experiment: {run.spec.get('name', '?')} on {data} ({run.spec.get('task')})"]
    if best is None:
        lines.append("No candidate finished successfully.")
    else:
        genome = Genome.from_dict(best["genome"])
        n_in, n_out = _io_sizes(store, run_id, best["id"])
        widths = (
            [str(n_in)] + [f"{ly.width} {ly.activation}" for ly in genome.layers] + [str(n_out)]
        )
        lines += [
            f"Best network: candidate {best['id']} (generation {best['generation']})",
            f"  layers      {' → '.join(widths)}",
            f"  dropout     {', '.join(f'{ly.dropout:g}' for ly in genome.layers) or '-'}",
            f"  training    {genome.optimizer}, learning rate {genome.learning_rate:.2e}, "
            f"weight decay {genome.weight_decay:g}, batch {genome.batch_size}, "
            f"up to {genome.epochs} epochs"
            if genome.epochs
            else "  training    none: the weights were evolved without gradients",
            f"  parameters  {best['params']:,}",
            f"  validation  {metric} {best['val']:.4f}",
            f"  test        {metric} {best['test']:.4f}",
        ]
        finalists = sorted(
            (c for c in candidates if c.cv_metric is not None),
            key=lambda c: -c.cv_metric,
        )
        if finalists:
            lines.append(
                f"  cross-val.  {metric} {best['cv']:.4f} (chosen among "
                f"{len(finalists)} finalists: {_finalists_text(finalists)})",
            )
    if summary["front"]:
        count = len(summary["front"])
        lines.append(
            f"Pareto front ({metric} up, parameters down),"
            f" {count} network{'s' if count != 1 else ''}:"
        )
        lines += [
            f"  candidate {f['id']:>5}  {f['params']:>7,} parameters  validation {f['val']:.4f}"
            f"  test {f['test']:.4f}"
            for f in summary["front"]
        ]
    lines += [
        f"Run {run_id}: {summary['status']}, {summary['candidates']} candidates "
        f"({summary['failed']} failed{_pruned_note(summary)}) in {summary['seconds']:.1f} s"
        f" on {run.device}",
        f"Project: {summary['project']}",
    ]
    print("\n".join(lines))


def _finalists_text(finalists) -> str:
    return ", ".join(f"{c.candidate_id} {c.cv_metric:.3f}" for c in finalists)


def _pruned_note(summary: dict[str, Any]) -> str:
    return f", {summary['pruned']} pruned" if summary["pruned"] else ""


def _io_sizes(store, run_id: int, candidate_id: int) -> tuple[int, int]:
    """Input and output widths of a network, read from its stored weights."""
    weights = store.load_weights(run_id, candidate_id)
    if not weights:
        return 0, 0
    names = sorted(k for k in weights if k.endswith(".weight"))
    ordered = sorted(names, key=lambda k: int(k.split(".")[0]))
    return int(weights[ordered[0]].shape[1]), int(weights[ordered[-1]].shape[0])
