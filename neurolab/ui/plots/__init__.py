"""Live views of a run (pyqtgraph plots and the candidates table), driven by the main window.

Each follows the `LiveView` contract in `common`: `reset`, `handle`, `redraw`, `load`.
"""

from neurolab.ui.plots.boundary_plot import BoundaryPlot
from neurolab.ui.plots.candidates_table import CandidatesTable
from neurolab.ui.plots.common import LiveView
from neurolab.ui.plots.fitness_plot import FitnessPlot
from neurolab.ui.plots.loss_plot import LossPlot

__all__ = ["BoundaryPlot", "CandidatesTable", "FitnessPlot", "LiveView", "LossPlot"]
