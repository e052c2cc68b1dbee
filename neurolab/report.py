"""Reports of a run: the candidates table (CSV, Parquet) and one self-contained HTML page.

`candidates_table` turns a run's candidates into a pandas DataFrame (one row each, the genome
spread over columns); `write_table` saves it as CSV or Parquet (pyarrow, optional);
`write_report` writes a folder with `report.html` (the plots embedded as PNG images: fitness
history, best network, decision boundary, candidate metrics and losses; tables of the spec,
the data notes and the best candidate) and the table as `candidates.csv` and, when pyarrow is
installed, `candidates.parquet`.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from neurolab.errors import ExportError, NeuroLabError, ProjectFileError


def candidates_table(project: str | Path, run_id: int | None = None) -> pd.DataFrame:
    """Every candidate of a run (default: the latest), one row each."""
    from neurolab.store import ProjectStore

    with ProjectStore(project, create=False) as store:
        run = _run(store, project, run_id)
        records = store.candidates(run.run_id)
    rows = []
    for c in records:
        layers = c.genome.get("layers", [])
        rows.append({
            "run": run.run_id, "candidate": c.candidate_id, "generation": c.generation,
            "origin": c.origin, "parents": " ".join(map(str, c.parents)), "status": c.status,
            f"val_{run.metric}": c.val_metric, f"test_{run.metric}": c.test_metric,
            f"train_{run.metric}": c.train_metric, f"cv_{run.metric}": c.cv_metric,
            "params": c.params, "epochs_trained": c.epochs,
            "seconds": c.seconds, "layers": len(layers),
            "widths": " ".join(str(ly["width"]) for ly in layers),
            "activations": " ".join(ly["activation"] for ly in layers),
            "dropouts": " ".join(f"{ly['dropout']:g}" for ly in layers),
            "optimizer": c.genome.get("optimizer"), "learning_rate": c.genome.get("learning_rate"),
            "weight_decay": c.genome.get("weight_decay"), "batch_size": c.genome.get("batch_size"),
            "max_epochs": c.genome.get("epochs"),
            "final_train_loss": c.train_losses[-1] if c.train_losses else None,
            "final_val_loss": c.val_losses[-1] if c.val_losses else None,
            "error": c.error,
        })  # fmt: skip
    return pd.DataFrame(rows)


def write_table(project: str | Path, path: str | Path, run_id: int | None = None) -> Path:
    """The candidates table as `.csv` or `.parquet` (by the file's extension)."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ExportError(f"{path}: the candidates table is written as .csv or .parquet")
    if path.suffix.lower() == ".parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ExportError("Parquet needs pyarrow: pip install 'neurolab[report]'")
    table = candidates_table(project, run_id)
    if path.suffix.lower() == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path


def _run(store, project, run_id):
    runs = store.runs()
    if not runs:
        raise ProjectFileError(f"{project}: the project holds no run yet")
    if run_id is None:
        return runs[-1]
    for run in runs:
        if run.run_id == run_id:
            return run
    raise ExportError(f"{project}: there is no run {run_id}")


# --- the HTML report --------------------------------------------------------------------------
@dataclass
class _Section:
    title: str
    image: bytes | None = None
    note: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)


def write_report(project: str | Path, out_dir: str | Path, run_id: int | None = None) -> Path:
    """`report.html` and the candidates table in `out_dir`; returns the HTML file's path."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a folder")
    sections, title = _sections(project, run_id)
    out.mkdir(parents=True, exist_ok=True)
    write_table(project, out / "candidates.csv", run_id)
    tables = ["candidates.csv"]
    if importlib.util.find_spec("pyarrow") is not None:
        write_table(project, out / "candidates.parquet", run_id)
        tables.append("candidates.parquet")
    links = " · ".join(f'<a href="{name}">{name}</a>' for name in tables)
    sections.append(_Section("Candidates table", note=f"Every candidate: {links}"))
    page = out / "report.html"
    page.write_text(_html(title, sections), encoding="utf-8")
    return page


def _sections(project: str | Path, run_id: int | None) -> tuple[list[_Section], str]:
    from neurolab import report_plots as plots
    from neurolab.store import ProjectStore

    with ProjectStore(project, create=False) as store:
        run = _run(store, project, run_id)
        candidates = store.candidates(run.run_id)
        generations = store.generations(run.run_id)
        best = store.best(run.run_id)
        weights = store.load_weights(run.run_id, best.candidate_id) if best else None
    name = run.spec.get("name", "experiment")
    failed = sum(c.status == "failed" for c in candidates)
    summary = _Section("Run", rows=[
        ("project", str(Path(project).resolve())),
        ("status", f"{run.status}, {len(candidates)} candidates ({failed} failed), "
                   f"{len(generations)} generations in {run.seconds:.1f} s on {run.device}"),
        ("task", f"{run.spec.get('task')} (fitness: validation {run.metric})"),
        ("spec", json.dumps(run.spec, indent=1)),
        ("data", "\n".join(run.data_notes)),
    ])  # fmt: skip
    sections = [summary]
    if generations:
        sections.append(_Section("Fitness history", plots.fitness_history(generations, run.metric)))
    if best is None:
        sections.append(_Section("Best network", note="No candidate finished successfully."))
        return sections, name
    sections.append(_best_section(best, run.metric))
    if weights is not None:
        names = _layer_names(best.genome, weights)
        sections.append(_Section("Best network", plots.network_diagram(weights, names)))
        sections.append(_boundary_section(run.spec, best, weights))
    sections.append(_Section("Metrics", plots.candidate_metrics(candidates, best, run.metric)))
    return sections, name


def _best_section(best, metric: str) -> _Section:
    genome = best.genome
    layers = ", ".join(f"{ly['width']} {ly['activation']} (dropout {ly['dropout']:g})"
                       for ly in genome["layers"]) or "none (a linear model)"  # fmt: skip
    return _Section(f"Best candidate: {best.candidate_id}", rows=[
        ("generation", str(best.generation)),
        (f"validation {metric}", f"{best.val_metric:.4f}"),
        (f"test {metric}", "-" if best.test_metric is None else f"{best.test_metric:.4f}"),
        (f"training {metric}", "-" if best.train_metric is None else f"{best.train_metric:.4f}"),
        ("hidden layers", layers),
        ("training", f"{genome['optimizer']}, learning rate {genome['learning_rate']:.3g}, "
                     f"weight decay {genome['weight_decay']:g}, batch {genome['batch_size']}, "
                     f"{best.epochs} of up to {genome['epochs']} epochs"),
        ("parameters", f"{best.params:,}"),
    ])  # fmt: skip


def _layer_names(genome: dict, weights: dict) -> list[str]:
    keys = sorted((k for k in weights if k.endswith(".weight")), key=lambda k: int(k.split(".")[0]))
    n_in, n_out = weights[keys[0]].shape[1], weights[keys[-1]].shape[0]
    hidden = [f"{ly['width']} {ly['activation']}" for ly in genome["layers"]]
    return [f"{n_in} inputs", *hidden, f"{n_out} outputs"]


def _boundary_section(spec_dict: dict, best, weights: dict) -> _Section:
    """The boundary needs the data again (prepared from the spec, same seed, same split)."""
    from neurolab import report_plots as plots
    from neurolab.data import load_data
    from neurolab.genome import Genome
    from neurolab.model import build_model
    from neurolab.spec import ExperimentSpec
    from neurolab.train.boundary import BoundaryGrid

    title = "Decision boundary"
    try:
        spec = ExperimentSpec.from_dict(spec_dict)
        data = load_data(spec.data, spec.task, spec.seed)
    except NeuroLabError as exc:
        why = html.escape(str(exc))
        return _Section(title, note=f"Not drawn: the data cannot be prepared again ({why}).")
    grid = BoundaryGrid.from_data(data, resolution=96)
    if grid is None:
        return _Section(title, note="Not drawn: a single input column of a classifier.")
    model = build_model(Genome.from_dict(best.genome), data.n_features, data.n_outputs)
    model.load_state_dict(weights)
    image = plots.decision_boundary(grid, grid.predict(model, data.task), data)
    note = "" if data.n_features <= 2 else (
        f"{data.n_features} inputs, drawn on the first two principal components of the "
        "training rows.")  # fmt: skip
    return _Section(title, image, note)


def _cell(value: str) -> str:
    """Short text as it is; long text (the spec) folded away behind a click."""
    text = f"<pre>{html.escape(value)}</pre>"
    lines = value.count("\n") + 1
    return text if lines <= 8 else f"<details><summary>{lines} lines</summary>{text}</details>"


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; vertical-align: top; }
td:first-child { color: #666; white-space: nowrap; } pre { margin: 0; font-size: 0.85em; }
img { max-width: 100%; } .note { color: #555; }
"""


def _html(title: str, sections: list[_Section]) -> str:
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
             f"<title>NeuroLab report: {html.escape(title)}</title><style>{_STYLE}</style>"
             f"</head><body><h1>NeuroLab report: {html.escape(title)}</h1>"]  # fmt: skip
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.rows:
            cells = "".join(
                f"<tr><td>{html.escape(k)}</td><td>{_cell(v)}</td></tr>" for k, v in section.rows
            )
            parts.append(f"<table>{cells}</table>")
        if section.image:
            data = base64.b64encode(section.image).decode("ascii")
            parts.append(f'<img alt="{html.escape(section.title)}" '
                         f'src="data:image/png;base64,{data}">')  # fmt: skip
        if section.note:
            parts.append(f"<p class='note'>{section.note}</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
