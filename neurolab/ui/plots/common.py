"""What the live views share: the view contract, colours, a plot panel, and text formatting.

Every view (loss, fitness, boundary, candidates table) follows one lifecycle, driven by the main
window: `reset` when a run or dataset starts, `handle` for each engine event (cheap: it only
buffers), `redraw` from the window's ~15 Hz timer (applies the buffer to items created once), and
`load` to show a finished run read back from the project file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from neurolab.data.dataset import PreparedData
from neurolab.events import CandidateRecord, GenerationFinished
from neurolab.ranking import rank

# tab10: ten qualitative colours that stay distinguishable on white (and match matplotlib users'
# expectations); class k and candidate k always get the same colour everywhere.
PALETTE: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
INK = "#202020"  # axes, text, and the highlighted best-so-far curves
NEUTRAL = "#8a8a8a"
FAINT = (110, 110, 110, 70)
FAILED_RED = "#c62828"


class LiveView(Protocol):
    """The contract the main window drives (see the module docstring)."""

    def reset(self, data: PreparedData | None, metric: str) -> None: ...

    def handle(self, event: object) -> None: ...

    def redraw(self) -> None: ...

    def load(
        self, records: list[CandidateRecord], generations: list[GenerationFinished]
    ) -> None: ...


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def hex_rgb(text: str) -> tuple[int, int, int]:
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def with_alpha(text: str, alpha: int) -> tuple[int, int, int, int]:
    return (*hex_rgb(text), alpha)


def colour_rgb(index: int) -> np.ndarray:
    """Palette entry `index` as float RGB in 0..255."""
    return np.array(hex_rgb(colour(index)), dtype=np.float32)


def lighten(rgb: np.ndarray, amount: float = 0.5) -> np.ndarray:
    """Mix with white, so shaded regions stay behind full-colour points."""
    return rgb + (255.0 - rgb) * amount


def metric_label(metric: str) -> str:
    return {"r2": "R²"}.get(metric, metric)


def format_metric(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def layers_text(genome: dict[str, Any]) -> str:
    """``16 tanh → 8 relu``, or ``linear`` for a genome without hidden layers."""
    layers = genome.get("layers") or []
    return " → ".join(f"{ly['width']} {ly['activation']}" for ly in layers) or "linear"


def is_scored(record: CandidateRecord) -> bool:
    """Finished with a usable validation metric (failed candidates are never plotted)."""
    value = record.val_metric
    return record.status == "ok" and value is not None and math.isfinite(value)


def best_record(records: Iterable[CandidateRecord]) -> CandidateRecord | None:
    """The best of a stored run, ranked as the runner ranks them live (`neurolab.ranking.rank`)."""
    return min((r for r in records if is_scored(r)), key=rank, default=None)


def finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Floats with ±inf as NaN: pyqtgraph skips NaN gaps (connect="finite") but inf breaks ranges."""
    array = np.asarray(values, dtype=np.float64)
    array[np.isinf(array)] = np.nan
    return array


class IntegerAxis(pg.AxisItem):
    """An axis for counts (epochs, generations): ticks only on whole numbers."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph's names
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            whole = [v for v in values if float(v).is_integer()]
            if whole:
                levels.append((max(spacing, 1.0), whole))
        return levels


class PlotPanel(QWidget):
    """A QWidget around one white pyqtgraph plot with dark axes, a grid and a legend."""

    def __init__(
        self,
        x_label: str,
        y_label: str,
        parent: QWidget | None = None,
        integer_x: bool = False,
        grid: bool = True,
    ) -> None:
        super().__init__(parent)
        self._title_text: str | None = None
        axes = {"bottom": IntegerAxis("bottom")} if integer_x else {}
        # Background per widget: pg.setConfigOptions would change every plot in the process.
        self.plot_widget = pg.PlotWidget(background="w", axisItems=axes)
        self.plot_widget.setAntialiasing(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # The title is a QLabel, not the plot's own: pyqtgraph's title forces the plot's minimum
        # width to the text's, so a long title pushed the plot out of a narrow dock.
        self.title_label = QLabel(self)
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.title_label.setStyleSheet("background: white; color: #222; padding: 3px;")
        self.title_label.hide()
        layout.addWidget(self.title_label)
        layout.addWidget(self.plot_widget)
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(INK)
            axis.setTextPen(INK)
            axis.enableAutoSIPrefix(False)  # accuracy 0.95, not "950 (x0.001)"
        if grid:  # (a third of a plot's paint time)
            self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.set_labels(x_label, y_label)
        self.legend: pg.LegendItem = self.plot_item.addLegend(
            offset=(-10, 10), labelTextColor=INK, brush=(255, 255, 255, 210), pen=(180, 180, 180)
        )
        self._dirty = False

    def set_labels(self, x_label: str, y_label: str) -> None:
        self.plot_item.setLabel("bottom", x_label, color=INK)
        self.plot_item.setLabel("left", y_label, color=INK)

    @property
    def title(self) -> str:
        return self._title_text or ""

    def set_title(self, text: str) -> None:
        if text != self._title_text:  # a new title re-lays out the panel: not on every redraw
            self._title_text = text
            self.title_label.setText(text)
            self.title_label.setToolTip(text)
            self.title_label.setVisible(bool(text))

    def line(
        self,
        pen: Any,
        width: int = 1,
        dashed: bool = False,
        name: str | None = None,
        **options: Any,
    ) -> pg.PlotDataItem:
        """A curve added once to the plot; callers update it with `setData`."""
        item = pg.PlotDataItem(
            pen=make_pen(pen, width, dashed),
            antialias=True,
            connect="finite",
            name=name,
            **options,
        )
        self.plot_item.addItem(item)
        return item

    def legend_entry(self, name: str, **style: Any) -> None:
        """A legend row for a look that no single item carries (e.g. "dashed = train")."""
        self.legend.addItem(pg.PlotDataItem(**style), name)


def make_pen(pen: Any, width: int = 1, dashed: bool = False) -> Any:
    # Whole-pixel widths: antialiased 1.5 px (dashed) lines cost Qt ~4x more to paint than 1 px.
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return pg.mkPen(pen, width=width, style=style)
