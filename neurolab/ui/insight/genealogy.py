"""The family tree of one candidate: its ancestors by generation, each child's operator on the
edges from its parents (mutation, crossover); clicking a node inspects that candidate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from neurolab.events import CandidateRecord
from neurolab.ui.insight.pareto import candidate_tip
from neurolab.ui.plots.common import INK, NEUTRAL, PlotPanel, format_metric, is_scored

MAX_ANCESTORS = 60  # a tree wider than this is unreadable; the oldest generations are cut


@dataclass(frozen=True)
class FamilyTree:
    """Nodes (candidate ids, newest first) and edges (parent, child) of one candidate's ancestry."""

    root: int
    nodes: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]


def family_tree(records: dict[int, CandidateRecord], root: int) -> FamilyTree:
    """Walk the stored parents breadth-first from `root` (parents missing from the file end a
    branch: e.g. a resumed run's first generation)."""
    nodes, edges, frontier = [root], [], [root]
    while frontier and len(nodes) < MAX_ANCESTORS:
        next_frontier = []
        for child in frontier:
            for parent in records[child].parents:
                if parent not in records or parent == child:
                    continue
                edges.append((parent, child))
                if parent not in nodes:
                    nodes.append(parent)
                    next_frontier.append(parent)
        frontier = next_frontier
    return FamilyTree(root, tuple(nodes), tuple(dict.fromkeys(edges)))


def tree_layout(
    tree: FamilyTree, records: dict[int, CandidateRecord]
) -> dict[int, tuple[float, float]]:
    """x spreads each generation's members evenly; y is minus the generation (oldest on top)."""
    by_generation: dict[int, list[int]] = {}
    for cid in tree.nodes:
        by_generation.setdefault(records[cid].generation, []).append(cid)
    positions = {}
    for generation, members in by_generation.items():
        members.sort()
        for i, cid in enumerate(members):
            positions[cid] = (i - (len(members) - 1) / 2, -float(generation))
    return positions


class GenealogyView(PlotPanel):
    """Draws `show_tree(records, candidate_id)`; `candidateClicked(id)` on a click on a node."""

    candidateClicked = Signal(int)  # noqa: N815 - Qt signal naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", "generation", parent, grid=False)
        self.plot_item.hideButtons()
        self.legend.hide()  # nothing here needs one; empty, it would draw a stray box
        self.plot_item.hideAxis("bottom")
        self.edges = pg.PlotCurveItem(pen=pg.mkPen(NEUTRAL, width=1.5), connect="pairs")
        self.plot_item.addItem(self.edges)
        self.nodes = pg.ScatterPlotItem(
            size=26, pen=pg.mkPen(INK, width=1.2), hoverable=True, tip=self._tip
        )
        self._records: dict[int, CandidateRecord] = {}
        self.nodes.setZValue(5)
        self.nodes.sigClicked.connect(self._on_click)
        self.plot_item.addItem(self.nodes)
        self._texts: list[pg.TextItem] = []
        self.tree: FamilyTree | None = None

    def show_tree(self, records: dict[int, CandidateRecord], root: int | None) -> None:
        for text in self._texts:
            self.plot_item.removeItem(text)
        self._texts.clear()
        if root is None or root not in records:
            self.tree = None
            self.edges.setData(np.zeros(0), np.zeros(0))
            self.nodes.setData([])
            self.set_title("Select a candidate to see its ancestors.")
            return
        self._records = records
        self.tree = tree = family_tree(records, root)
        pos = tree_layout(tree, records)
        xs, ys = [], []
        for parent, child in tree.edges:
            xs += [pos[parent][0], pos[child][0]]
            ys += [pos[parent][1], pos[child][1]]
        self.edges.setData(np.asarray(xs, float), np.asarray(ys, float))
        scores = [records[c].val_metric if is_scored(records[c]) else None for c in tree.nodes]
        spots = []
        viridis = pg.colormap.get("viridis")
        finite = [s for s in scores if s is not None]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        for cid, score in zip(tree.nodes, scores, strict=True):
            share = 0.5 if score is None or hi == lo else (score - lo) / (hi - lo)
            brush = viridis.map(share, mode="qcolor") if score is not None else pg.mkBrush("w")
            pen = pg.mkPen("#d62728", width=3) if cid == root else pg.mkPen(INK, width=1.2)
            spots.append({"pos": pos[cid], "data": cid, "brush": brush, "pen": pen})
            self._text(f"{cid}\n{format_metric(score)}", pos[cid], (0.5, -0.25))
        self.nodes.setData(spots)
        for cid in tree.nodes:  # the operator that made each child, just above it
            record = records[cid]
            if record.parents:
                x, y = pos[cid]
                self._text(record.origin, (x, y + 0.45), (0.5, 0.5), NEUTRAL)
        rows = sorted({records[c].generation for c in tree.nodes})
        self.plot_item.getAxis("left").setTicks([[(-float(g), str(g)) for g in rows]])
        self.set_title(
            f"ancestors of candidate {root}: {len(tree.nodes) - 1} found (click one to inspect it)"
        )
        # Room for the operator labels even when the tree is a single line of ancestors.
        xs_all = [x for x, _ in pos.values()]
        ys_all = [y for _, y in pos.values()]
        self.plot_item.setRange(
            xRange=(min(xs_all) - 1.2, max(xs_all) + 1.2),
            yRange=(min(ys_all) - 0.8, max(ys_all) + 0.7),
            padding=0,
        )

    def _text(self, text: str, at: tuple[float, float], anchor, ink: str = INK) -> None:
        item = pg.TextItem(text, color=ink, anchor=anchor)
        item.setPos(*at)
        self.plot_item.addItem(item)
        self._texts.append(item)

    def _tip(self, x: float, y: float, data: int) -> str:
        return candidate_tip(self._records[data]) if data in self._records else ""

    def _on_click(self, item, points, event=None) -> None:
        if len(points):
            self.candidateClicked.emit(int(points[0].data()))

    def node_position(self, cid: int) -> np.ndarray:
        """Where a node is drawn, in plot coordinates (tests click there)."""
        for spot in self.nodes.points():
            if spot.data() == cid:
                return np.array([spot.pos().x(), spot.pos().y()])
        raise KeyError(cid)
