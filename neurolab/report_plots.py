"""The run report's figures as PNG bytes, drawn with matplotlib's Agg canvas (no Qt, no screen).

Each function takes plain data read from the project file and returns PNG bytes; `report.py`
puts them into the HTML. matplotlib is an optional dependency (`neurolab[report]`).
"""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from neurolab.errors import ExportError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from neurolab.data.dataset import PreparedData
    from neurolab.events import CandidateRecord, GenerationFinished
    from neurolab.train.boundary import BoundaryGrid

# The GUI's class colours, so a report looks like the window it came from.
CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip
MAX_DRAWN_UNITS = 12  # wider layers are drawn as their first units and a "+N" label


def _figure(width: float = 6.4, height: float = 4.0) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ExportError(
            "the run report draws its plots with matplotlib: pip install 'neurolab[report]'"
        ) from None
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


# matplotlib's text layout (its mathtext parser is one shared pyparsing grammar) is not
# thread-safe, and reports are drawn on background threads: one figure at a time.
_RENDERING = threading.Lock()


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    with _RENDERING:
        FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def fitness_history(generations: list[GenerationFinished], metric: str) -> bytes:
    """Best, mean and worst fitness of each generation, and the best so far."""
    figure = _figure()
    axes = figure.add_subplot()
    x = [g.generation for g in generations]

    def series(name: str) -> list[float]:
        return [np.nan if getattr(g, name) is None else getattr(g, name) for g in generations]

    axes.fill_between(x, series("worst"), series("best"), color="#1f77b4", alpha=0.15,
                      label="worst … best")  # fmt: skip
    axes.plot(x, series("mean"), color="#1f77b4", linestyle="--", label="mean")
    axes.plot(x, series("best"), color="#1f77b4", marker="o", label="best of generation")
    axes.plot(x, series("best_so_far"), color="#d62728", linewidth=2, label="best so far")
    axes.set(xlabel="generation", ylabel=f"validation {metric}", title="Fitness history")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    return _png(figure)


def network_diagram(weights: dict[str, Any], layer_names: list[str]) -> bytes:
    """The best network as columns of units; edge colour = sign, opacity = |weight|."""
    matrices = [weights[k].detach().cpu().numpy() for k in _weight_keys(weights)]
    widths = [matrices[0].shape[1]] + [m.shape[0] for m in matrices]
    figure = _figure(7.0, 4.2)
    axes = figure.add_subplot()
    shown = [min(w, MAX_DRAWN_UNITS) for w in widths]
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n) if n > 1 else np.zeros(1) for n in shown]
    scale = max(float(np.abs(m).max()) for m in matrices) or 1.0
    for column, matrix in enumerate(matrices):
        block = matrix[: shown[column + 1], : shown[column]]
        for i, j in np.ndindex(block.shape):
            value = float(block[i, j])
            axes.plot([column, column + 1], [ys[column][j], ys[column + 1][i]], linewidth=0.8,
                      color="#d62728" if value < 0 else "#1f77b4",
                      alpha=0.08 + 0.8 * abs(value) / scale)  # fmt: skip
    for column, (y, width) in enumerate(zip(ys, widths, strict=True)):
        axes.scatter(np.full(len(y), column), y, s=60, color="white", edgecolor="black",
                     zorder=3)  # fmt: skip
        extra = f"\n(+{width - len(y)} more)" if width > len(y) else ""
        axes.text(column, y.min() - 0.9, f"{layer_names[column]}{extra}", ha="center",
                  va="top", fontsize=8)  # fmt: skip
    axes.set_title("Best network (blue: positive weight, red: negative)")
    axes.set_xlim(-0.5, len(widths) - 0.5)
    axes.set_ylim(min(y.min() for y in ys) - 2.2, max(y.max() for y in ys) + 0.8)
    axes.axis("off")
    return _png(figure)


def _weight_keys(weights: dict[str, Any]) -> list[str]:
    keys = [k for k in weights if k.endswith(".weight")]
    return sorted(keys, key=lambda k: int(k.split(".")[0]))


def decision_boundary(grid: BoundaryGrid, values: np.ndarray, data: PreparedData) -> bytes:
    """What the best network predicts over the data's plane, with the training points."""
    figure = _figure(5.6, 4.6)
    axes = figure.add_subplot()
    points = grid.project(data.x_train)
    if grid.is_curve:
        scale, mean = data.target_scale, data.target_mean
        axes.scatter(points[:, 0], data.y_train * scale + mean, s=10, color="#7f7f7f",
                     label="training rows")  # fmt: skip
        axes.plot(grid.points[:, 0], values * scale + mean, color="#d62728", label="network")
        axes.set(xlabel=f"{data.feature_names[0]} (scaled)", ylabel=data.target_name)
        axes.legend()
    else:
        extent = (*grid.x_range, *grid.y_range)
        if data.task == "classification":
            probabilities = values.astype(np.float32)
            palette = np.array([_rgb(c) for c in _colours(probabilities.shape[2])])
            # each cell: the classes' colours weighted by probability (float16 sums may pass 1)
            image = np.clip(probabilities @ palette, 0.0, 1.0)
            axes.imshow(image, origin="lower", extent=extent, aspect="auto", alpha=0.55)
            palette_names = _colours(len(data.class_names))
            colours = np.array(palette_names, dtype=object)[data.y_train]
            axes.scatter(points[:, 0], points[:, 1], s=12, c=list(colours), edgecolor="black",
                         linewidth=0.3)  # fmt: skip
            for name, colour in zip(data.class_names, palette_names, strict=True):
                axes.scatter([], [], color=colour, label=name)
            axes.legend(loc="upper right", fontsize=8)
        else:
            shown = axes.imshow(values[:, :, 0].astype(np.float32) * data.target_scale
                                + data.target_mean, origin="lower", extent=extent,
                                aspect="auto", cmap="viridis")  # fmt: skip
            figure.colorbar(shown, ax=axes, label=data.target_name)
            axes.scatter(points[:, 0], points[:, 1], s=8, color="white", edgecolor="black",
                         linewidth=0.3)  # fmt: skip
        two = data.n_features == 2
        axes.set(xlabel=data.feature_names[0] if two else "principal component 1",
                 ylabel=data.feature_names[1] if two else "principal component 2")  # fmt: skip
    axes.set_title("Decision boundary of the best network" if data.task == "classification"
                   else "Fitted function of the best network")  # fmt: skip
    return _png(figure)


def _colours(n: int) -> list[str]:
    return [CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(n)]


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5))  # type: ignore[return-value]


def candidate_metrics(candidates: list[CandidateRecord], best: CandidateRecord,
                      metric: str) -> bytes:  # fmt: skip
    """Left: every candidate's validation metric against its size. Right: the best's losses."""
    figure = _figure(9.0, 3.8)
    left, right = figure.subplots(1, 2)
    ok = [c for c in candidates if c.val_metric is not None and c.status != "failed"]
    dots = left.scatter([c.params for c in ok], [c.val_metric for c in ok],
                        c=[c.generation for c in ok], cmap="viridis", s=18)  # fmt: skip
    ticks = sorted({c.generation for c in ok})
    figure.colorbar(dots, ax=left, label="generation", ticks=ticks if len(ticks) <= 10 else None)
    left.scatter([best.params], [best.val_metric], marker="*", s=220, color="#d62728",
                 label=f"best (candidate {best.candidate_id})")  # fmt: skip
    left.set(xscale="log", xlabel="parameters", ylabel=f"validation {metric}",
             title="Candidates")  # fmt: skip
    # Plain tick labels ("100", not mathtext "10^2"): a layout stall was seen in mathtext's
    # parser while a background report drew this axis.
    from matplotlib.ticker import LogFormatter

    left.xaxis.set_major_formatter(LogFormatter())
    left.xaxis.set_minor_formatter(LogFormatter(labelOnlyBase=True))
    left.grid(alpha=0.3)
    left.legend(loc="lower right", fontsize=8)
    epochs = np.arange(1, len(best.train_losses) + 1)
    right.plot(epochs, best.train_losses, label="training loss")
    right.plot(epochs[: len(best.val_losses)], best.val_losses, label="validation loss")
    right.set(xlabel="epoch", ylabel="loss", title=f"Losses of candidate {best.candidate_id}")
    right.grid(alpha=0.3)
    right.legend()
    return _png(figure)
