"""File > Export summary: the latest run of a project as a short Markdown report."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolab.ui.project_session import ProjectSnapshot


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def summary_markdown(snapshot: ProjectSnapshot) -> str:
    """Data, search settings, the best network and the per-generation table."""
    from neurolab.genome import Genome

    run = snapshot.run
    assert run is not None, "export needs a run"
    spec, metric = run.spec, run.metric
    data = spec.get("data", {})
    source = data.get("name") or f"{data.get('csv')} → {data.get('target')}"
    engine, budget = spec.get("engine", {}), spec.get("budget", {})
    failed = sum(r.status == "failed" for r in snapshot.records)
    lines = [
        f"# NeuroLab experiment: {spec.get('name', 'experiment')}",
        "",
        f"- Project: `{snapshot.path}`",
        f"- Started: {time.strftime('%Y-%m-%d %H:%M', time.localtime(run.started))}; "
        f"status **{run.status}** after {run.seconds:.1f} s on {run.device}",
        f"- Data: {source} ({spec.get('task', '?')})",
        f"- Search: {engine.get('kind', 'ga')}, population {engine.get('population')}, "
        f"{budget.get('generations')} generations, seed {spec.get('seed', 0)}",
        f"- Networks trained: {len(snapshot.records)} ({failed} failed)",
        "",
        "## Best network",
        "",
    ]
    best = snapshot.best
    if best is None:
        lines.append("No network finished successfully.")
    else:
        lines += [
            f"Candidate {best.candidate_id} (generation {best.generation}, {best.origin}):",
            "",
            f"    {Genome.from_dict(best.genome).describe()}",
            "",
            f"- validation {metric}: {_number(best.val_metric)}",
            f"- test {metric}: {_number(best.test_metric)}",
            f"- training {metric}: {_number(best.train_metric)}",
            f"- parameters: {best.params:,}; epochs trained: {best.epochs}",
        ]
    if snapshot.generations:
        lines += [
            "",
            "## Generations",
            "",
            "| generation | best | mean | worst | best so far | failed |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {g.generation} | {_number(g.best)} | {_number(g.mean)} | "
            f"{_number(g.worst)} | {_number(g.best_so_far)} | {g.failed} |"
            for g in snapshot.generations
        ]
    if run.data_notes:
        lines += ["", "## Data preparation", "", *(f"- {note}" for note in run.data_notes)]
    return "\n".join(lines) + "\n"
