"""The activation gallery: every activation NeuroLab offers with its derivative, and why a
non-linearity matters — three stacked layers without one collapse into a single straight line.

Computed with the engine's own activation modules and torch's autograd (the derivative is the
real gradient, not a formula typed in twice).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from neurolab.spec import ACTIVATIONS
from neurolab.ui.plots.common import INK, PlotPanel, colour

X_RANGE = 4.0
STACK_WIDTH, STACK_DEPTH = 8, 3


def activation_curves(name: str, points: int = 201) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, f(x) and f'(x) for the activation the spec calls `name`."""
    import torch

    from neurolab.model import activation

    x = torch.linspace(-X_RANGE, X_RANGE, points, requires_grad=True)
    y = activation(name)(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    return x.detach().numpy(), y.detach().numpy(), grad.numpy()


def stacked_outputs(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The output of `STACK_DEPTH` random layers of `STACK_WIDTH` units (activation `name`)
    over a 1-D input: x and y."""
    import torch

    from neurolab.model import activation

    generator = torch.Generator().manual_seed(seed)
    x = torch.linspace(-X_RANGE, X_RANGE, 201)[:, None]
    h, width_in = x, 1
    for _ in range(STACK_DEPTH):
        w = torch.randn(width_in, STACK_WIDTH, generator=generator) * 2 / width_in**0.5
        b = torch.randn(STACK_WIDTH, generator=generator) * 0.5
        h, width_in = activation(name)(h @ w + b), STACK_WIDTH
    head = torch.randn(width_in, 1, generator=generator) / width_in**0.5
    return x[:, 0].numpy(), (h @ head)[:, 0].numpy()


def straight_line_error(x: np.ndarray, y: np.ndarray) -> float:
    """Largest distance of y from its best straight-line fit, relative to y's range."""
    fit = np.polyval(np.polyfit(x, y, 1), x)
    return float(np.abs(y - fit).max() / max(float(np.ptp(y)), 1e-12))


class ActivationGallery(QWidget):
    """One small plot per activation (solid f, dashed f'), then the stacking demonstration."""

    COLUMNS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        self.plots: dict[str, PlotPanel] = {}
        for i, name in enumerate(ACTIVATIONS):
            plot = PlotPanel("x", "", self)
            plot.plot_item.hideButtons()
            x, y, dy = activation_curves(name)
            plot.line(colour(0), 2, name=f"{name}(x)").setData(x, y)
            plot.line(colour(1), 2, dashed=True, name="derivative").setData(x, dy)
            plot.set_title(name)
            if i > 0:  # one legend explains them all; on every plot they hide the curves
                plot.legend.hide()
            else:
                plot.legend.setOffset((10, 10))  # top left, where relu is flat
            plot.setMinimumHeight(150)
            grid.addWidget(plot, i // self.COLUMNS, i % self.COLUMNS)
            self.plots[name] = plot
        row = (len(ACTIVATIONS) + self.COLUMNS - 1) // self.COLUMNS
        self.stack = PlotPanel("input x", "network output (scaled)", self)
        self.stack.plot_item.hideButtons()
        self.errors: dict[str, float] = {}
        for k, name in enumerate(("identity", "tanh", "relu")):
            x, y = stacked_outputs(name)
            self.errors[name] = straight_line_error(x, y)
            label = f"{STACK_DEPTH}×{STACK_WIDTH} {name}"
            # Each scaled to -1..1, so the shapes compare whatever the random weights' scale.
            scaled = 2 * (y - y.min()) / max(float(np.ptp(y)), 1e-12) - 1
            pen = INK if name == "identity" else colour(k + 1)
            self.stack.line(pen, 2, name=label).setData(x, scaled)
        self.stack.set_title(
            f"{STACK_DEPTH} stacked layers, random weights: without a non-linearity (identity) "
            "the output is still a straight line"
        )
        self.stack.setMinimumHeight(200)
        grid.addWidget(self.stack, row, 0, 1, self.COLUMNS)
        self.explain = QLabel(
            "Linear layers compose into one: W₃(W₂(W₁x + b₁) + b₂) + b₃ = Wx + b. "
            f"Distance from a straight line: identity {self.errors['identity']:.1e}, "
            f"tanh {self.errors['tanh']:.2f}, relu {self.errors['relu']:.2f} (of the output's "
            "range). So a network without non-linear activations can only draw straight "
            "decision boundaries, however deep."
        )
        self.explain.setWordWrap(True)
        grid.addWidget(self.explain, row + 1, 0, 1, self.COLUMNS)
