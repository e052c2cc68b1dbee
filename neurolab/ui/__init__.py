"""The NeuroLab desktop app (PySide6 + pyqtgraph): the only part of NeuroLab that imports Qt.

It talks to the engine only through `ExperimentSpec`, `Runner`, `ProjectStore` and events. The
heavy engine modules (torch, pandas, scikit-learn) are imported off the GUI thread after the
window shows, so the window appears at once.
"""
