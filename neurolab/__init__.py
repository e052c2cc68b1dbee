"""NeuroLab: evolve neural network structures and weights (engine; never imports Qt)."""

__version__ = "0.1.0"
