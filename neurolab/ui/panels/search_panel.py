"""The Search panel: mode, engine, objectives, population, budget, search space, device,
workers and backend.

It edits the spec's `mode`, `engine`, `budget`, `training`, `execution`, `neuroevolution`,
`search_space` and `seed` sections and nothing else; the main window validates the whole spec and hands each error back
through `mark_errors`.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from neurolab.spec import BudgetSpec, EngineSpec, ExecutionSpec, NeuroevolutionSpec, TrainingSpec
from neurolab.ui.panels.fields import float_box, int_box, signals_blocked
from neurolab.ui.panels.search_space_editor import SearchSpaceEditor
from neurolab.ui.panels.validation import mark_fields

# A first run should finish in about a minute on one CPU core (one worker): a small GA over
# networks trained for few epochs. Everything else starts at the spec's defaults.
QUICK_START: dict[str, Any] = {
    "engine": {"population": 10},
    "budget": {"generations": 6},
    "search_space": {"max_layers": 3, "max_width": 32, "min_epochs": 10, "max_epochs": 40},
}
ENGINES = {"ga": "Genetic algorithm (DEAP)", "optuna": "Optuna", "random": "Random search"}
SAMPLERS = {
    "tpe": "TPE (Bayesian)",
    "cmaes": "CMA-ES",
    "random": "random",
    "nsga2": "NSGA-II (for score and size)",
}
PRUNERS = {
    "none": "none (train every network fully)",
    "median": "median",
    "halving": "successive halving",
    "hyperband": "Hyperband",
}
BACKENDS = {"local": "This computer", "ray": "Ray cluster"}
MODES = {
    "train": "Evolve structure, train weights",
    "inherit": "Evolve structure, inherit weights",
    "neuroevolution": "Evolve the weights (no gradients)",
}
OBJECTIVES = {"metric": "Best validation score", "metric,params": "Score and size (Pareto)"}
# Neuroevolution's algorithm and topology, as one choice.
WEIGHT_SEARCH = {
    "cmaes:fixed": "CMA-ES, one fixed network",
    "ga:fixed": "GA, one fixed network",
    "ga:evolving": "GA, evolving networks",
}


class SearchPanel(QScrollArea):
    """How the search runs; `values()` gives the raw spec sections, `set_values` fills them."""

    changed = Signal()
    cluster_requested = Signal(object)  # "Connect" pressed: the Ray address (None = local)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)

        search = QGroupBox("Search")
        form = QFormLayout(search)
        self.engine = QComboBox()
        for kind, text in ENGINES.items():
            self.engine.addItem(text, kind)
        self.engine.setToolTip(
            "The genetic algorithm breeds new networks from the best so far; "
            "Optuna models which settings score well; random search is the "
            "baseline both have to beat."
        )
        self.sampler = QComboBox()
        for kind, text in SAMPLERS.items():
            self.sampler.addItem(text, kind)
        self.sampler.setToolTip("How Optuna proposes the next networks.")
        self.pruner = QComboBox()
        for kind, text in PRUNERS.items():
            self.pruner.addItem(text, kind)
        self.pruner.setToolTip(
            "Stop training a network early when its validation loss lags behind the networks "
            "trained before it at the same epoch (single objective only)."
        )
        self._storage: str | None = None  # a shared Optuna storage from the spec, kept as is
        self._cv_folds = TrainingSpec().cv_folds  # from the spec, kept as is
        self.mode = QComboBox()
        for kind, text in MODES.items():
            self.mode.addItem(text, kind)
        self.mode.setToolTip(
            "Train: every network learns its weights by gradient descent from scratch. "
            "Inherit: a child starts from its parent's trained weights and trains briefly. "
            "Weights: the weights themselves evolve, with no gradient step (GA engine only)."
        )
        self.weight_search = QComboBox()
        for key, text in WEIGHT_SEARCH.items():
            self.weight_search.addItem(text, key)
        self.weight_search.setToolTip(
            "How the weights evolve: CMA-ES or a real-valued GA on one network "
            "(Neuroevolution section of the spec), or a GA that also changes the structure."
        )
        self.objectives = QComboBox()
        for key, text in OBJECTIVES.items():
            self.objectives.addItem(text, key)
        self.objectives.setToolTip(
            "Score and size: keep the networks that no other beats on both the validation "
            "score and the parameter count (the GA's NSGA-II, or a multi-objective Optuna "
            "study); see the Pareto front in Insight."
        )
        self.population = int_box(1, 100_000, "Networks per generation.")
        self.generations = int_box(0, 100_000, "How many generations to evolve.")
        self.seconds = int_box(0, 10**7, "Stop after this much wall time (0 = no limit).", " s")
        self.seconds.setSpecialValueText("no limit")
        self.seed = int_box(0, 2**31 - 1, "The same seed reproduces the same run.")
        self.patience = int_box(
            0, 100_000, "Stop training a network after this many epochs without improvement."
        )
        self.finalists = int_box(
            0,
            64,
            "After the search, train this many of the best again on folds of train + "
            "validation; the best cross-validated one is the run's best (0: the validation "
            "score alone decides).",
        )
        self.total = QLabel()
        self.total.setObjectName("hint")
        form.addRow("Mode", self.mode)
        form.addRow("Weights by", self.weight_search)
        form.addRow("Engine", self.engine)
        form.addRow("Optuna sampler", self.sampler)
        form.addRow("Optuna pruner", self.pruner)
        form.addRow("Objectives", self.objectives)
        form.addRow("Population", self.population)
        form.addRow("Generations", self.generations)
        form.addRow("Time limit", self.seconds)
        form.addRow("", self.total)
        form.addRow("Early stopping", self.patience)
        form.addRow("Finalists", self.finalists)
        form.addRow("Seed", self.seed)

        self.evolution = QGroupBox("Evolution")
        form = QFormLayout(self.evolution)
        self.tournament = int_box(0, 1000, "Parents are the best of this many random picks.")
        self.crossover = float_box(0, 1, 0.05, tip="Chance that two parents swap layers.")
        self.mutation = float_box(0, 1, 0.05, tip="Chance that a child is mutated.")
        self.elites = int_box(0, 100_000, "The best few pass to the next generation unchanged.")
        form.addRow("Tournament size", self.tournament)
        form.addRow("Crossover", self.crossover)
        form.addRow("Mutation", self.mutation)
        form.addRow("Elites", self.elites)

        self.space = SearchSpaceEditor()

        execution = QGroupBox("Execution")
        form = QFormLayout(execution)
        self.device = QComboBox()
        self.device.setToolTip("auto = the GPU when there is one, else the CPU.")
        self.set_devices(["auto", "cpu"])
        self.workers = int_box(
            0,
            256,
            f"Networks trained at once; 1 trains in this process "
            f"(this machine has {os.cpu_count() or 1} cores).",
        )
        # Either limit trains in worker processes, one even with Workers = 1 (see the README).
        self.timeout = int_box(
            0,
            7 * 24 * 3600,
            "Stop a network that trains longer than this and count it as failed (0 = no limit).",
            " s",
        )
        self.timeout.setSpecialValueText("no limit")
        self.memory = int_box(
            0,
            1_048_576,
            "Fail a network whose worker needs more memory than "
            "this on top of what it holds at start (0 = no limit).",
            " MB",
        )
        self.memory.setSpecialValueText("no limit")
        self.slots = int_box(
            0,
            64,
            "On a GPU: worker processes per GPU, each training its share of a generation as "
            "stacked networks (Workers counts CPU workers).",
        )
        form.addRow("Device", self.device)
        form.addRow("Workers", self.workers)
        form.addRow("Workers per GPU", self.slots)
        self.backend = QComboBox()
        for kind, text in BACKENDS.items():
            self.backend.addItem(text, kind)
        self.backend.setToolTip(
            "Where the workers run: processes on this computer, or Ray "
            "actors on a cluster (needs pip install 'neurolab[ray]')."
        )
        self.address = QLineEdit()
        self.address.setPlaceholderText("empty: start Ray here")
        self.address.setToolTip(
            "auto = the cluster started on this machine (ray start --head); "
            "ray://HOST:10001 = a remote head node; empty = a local Ray."
        )
        self.connect_button = QPushButton("Connect")
        self.connect_button.setToolTip(
            "Connect now and show the cluster's CPUs and GPUs in the "
            "status bar (a run also connects by itself)."
        )
        address_row = QWidget()
        row = QHBoxLayout(address_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.address, 1)
        row.addWidget(self.connect_button)
        self.gpus = float_box(
            0,
            64,
            0.25,
            tip="The share of a GPU each Ray worker asks for "
            "(0.25 = four workers per GPU; 0 = CPU only).",
        )
        form.addRow("Time per network", self.timeout)
        form.addRow("Memory per worker", self.memory)
        form.addRow("Backend", self.backend)
        form.addRow("Ray address", address_row)
        form.addRow("GPUs per worker", self.gpus)

        for group in (search, self.evolution, self.space, execution):
            layout.addWidget(group)
        layout.addStretch(1)
        self.setWidget(body)

        for box in (
            self.population,
            self.generations,
            self.seconds,
            self.seed,
            self.patience,
            self.finalists,
            self.tournament,
            self.elites,
            self.workers,
            self.crossover,
            self.mutation,
            self.timeout,
            self.memory,
            self.gpus,
            self.slots,
        ):
            box.valueChanged.connect(self.changed)
        for combo in (
            self.mode,
            self.weight_search,
            self.objectives,
            self.engine,
            self.sampler,
            self.pruner,
            self.device,
            self.backend,
        ):
            combo.currentIndexChanged.connect(self.changed)
        self.address.textChanged.connect(self.changed)
        self.connect_button.clicked.connect(
            lambda: self.cluster_requested.emit(self.address.text().strip() or None)
        )
        self.space.changed.connect(self.changed)
        self.changed.connect(self._update_hints)
        self.set_values(QUICK_START)

    # --- spec sections ------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        budget: dict[str, Any] = {"generations": self.generations.value()}
        if self.seconds.value() > 0:
            budget["seconds"] = self.seconds.value()
        algorithm, topology = self.weight_search.currentData().split(":")
        single = self.objectives.currentData() == "metric"
        return {
            "mode": self.mode.currentData(),
            "neuroevolution": {"algorithm": algorithm, "topology": topology},
            "engine": {
                "kind": self.engine.currentData(),
                "sampler": self.sampler.currentData(),
                # Optuna prunes single-objective studies only (the combo is disabled then).
                "pruner": self.pruner.currentData() if single else "none",
                "storage": self._storage,
                "objectives": self.objectives.currentData().split(","),
                "population": self.population.value(),
                "tournament_size": self.tournament.value(),
                "crossover_prob": round(self.crossover.value(), 4),
                "mutation_prob": round(self.mutation.value(), 4),
                "elites": self.elites.value(),
            },
            "budget": budget,
            "training": {
                "patience": self.patience.value(),
                "finalists": self.finalists.value(),
                "cv_folds": self._cv_folds,  # (the TOML's; the panel does not edit it)
            },
            "execution": self._execution(),
            "search_space": self.space.values(),
            "seed": self.seed.value(),
        }

    def set_values(self, spec: dict[str, Any]) -> None:
        """Fill from (part of) a spec dict; what it leaves out takes the spec's defaults."""
        engine = {**EngineSpec().model_dump(), **spec.get("engine", {})}
        budget = {**BudgetSpec().model_dump(), **spec.get("budget", {})}
        training = {**TrainingSpec().model_dump(), **spec.get("training", {})}
        execution = {**ExecutionSpec().model_dump(), **spec.get("execution", {})}
        neuro = {**NeuroevolutionSpec().model_dump(), **spec.get("neuroevolution", {})}
        with signals_blocked(self):
            self.mode.setCurrentIndex(max(0, self.mode.findData(spec.get("mode", "train"))))
            weights = f"{neuro['algorithm']}:{neuro['topology']}"
            self.weight_search.setCurrentIndex(max(0, self.weight_search.findData(weights)))
            objectives = ",".join(engine["objectives"])
            self.objectives.setCurrentIndex(max(0, self.objectives.findData(objectives)))
            self.engine.setCurrentIndex(max(0, self.engine.findData(engine["kind"])))
            self.sampler.setCurrentIndex(max(0, self.sampler.findData(engine["sampler"])))
            self.pruner.setCurrentIndex(max(0, self.pruner.findData(engine["pruner"])))
            self._storage = engine["storage"]
            self.population.setValue(engine["population"])
            self.tournament.setValue(engine["tournament_size"])
            self.crossover.setValue(engine["crossover_prob"])
            self.mutation.setValue(engine["mutation_prob"])
            self.elites.setValue(engine["elites"])
            self.generations.setValue(budget["generations"])
            self.seconds.setValue(round(budget["seconds"] or 0))
            self.patience.setValue(training["patience"])
            self.finalists.setValue(training["finalists"])
            self._cv_folds = training["cv_folds"]
            self.workers.setValue(execution["workers"])
            self.slots.setValue(execution["candidates_per_gpu"])
            self.timeout.setValue(round(execution["candidate_timeout"] or 0))
            self.memory.setValue(execution["memory_limit_mb"] or 0)
            self.backend.setCurrentIndex(max(0, self.backend.findData(execution["backend"])))
            self.address.setText(execution["address"] or "")
            self.gpus.setValue(execution["gpus_per_candidate"])
            if self.device.findText(execution["device"]) < 0:
                self.device.addItem(execution["device"])
            self.device.setCurrentText(execution["device"])
            self.seed.setValue(spec.get("seed", 0))
            self.space.set_values(spec.get("search_space", {}))
        self.changed.emit()

    def _execution(self) -> dict[str, Any]:
        execution: dict[str, Any] = {
            "workers": self.workers.value(),
            "device": self.device.currentText(),
            "candidates_per_gpu": self.slots.value(),
            "backend": self.backend.currentData(),
        }
        if self.timeout.value():
            execution["candidate_timeout"] = self.timeout.value()
        if self.memory.value():
            execution["memory_limit_mb"] = self.memory.value()
        if execution["backend"] == "ray":  # the Ray fields mean nothing (and are refused) locally
            execution["address"] = self.address.text().strip() or None
            execution["gpus_per_candidate"] = round(self.gpus.value(), 4)
        return execution

    def set_devices(self, devices: list[str]) -> None:
        """The devices this machine has (known once torch is loaded); keeps the choice."""
        current = self.device.currentText() or "auto"
        with signals_blocked(self.device):
            self.device.clear()
            self.device.addItems(devices)
            if current not in devices:
                self.device.addItem(current)
            self.device.setCurrentText(current)

    # --- validation ---------------------------------------------------------------------
    def fields(self) -> dict[str, QWidget]:
        return {
            "mode": self.mode,
            "neuroevolution": self.weight_search,
            "engine.objectives": self.objectives,
            "engine.kind": self.engine,
            "engine.sampler": self.sampler,
            "engine.pruner": self.pruner,
            "engine.population": self.population,
            "engine.tournament_size": self.tournament,
            "engine.crossover_prob": self.crossover,
            "engine.mutation_prob": self.mutation,
            "engine.elites": self.elites,
            "budget.generations": self.generations,
            "budget.seconds": self.seconds,
            "training.patience": self.patience,
            "training.finalists": self.finalists,
            "execution.workers": self.workers,
            "execution.device": self.device,
            "execution.candidates_per_gpu": self.slots,
            "execution.candidate_timeout": self.timeout,
            "execution.memory_limit_mb": self.memory,
            "execution.backend": self.backend,
            "execution.address": self.address,
            "execution.gpus_per_candidate": self.gpus,
            "seed": self.seed,
            **self.space.fields(),
        }

    def mark_errors(self, errors: dict[str, str]) -> list[str]:
        """Mark the widgets of `errors`; returns the messages no widget of this panel shows."""
        return mark_fields(self.fields(), errors)

    def _update_hints(self) -> None:
        self.evolution.setEnabled(self.engine.currentData() == "ga")
        optuna = self.engine.currentData() == "optuna"
        self.sampler.setEnabled(optuna)
        self.pruner.setEnabled(optuna and self.objectives.currentData() == "metric")
        self.weight_search.setEnabled(self.mode.currentData() == "neuroevolution")
        self.objectives.setEnabled(self.engine.currentData() in ("ga", "optuna"))
        ray = self.backend.currentData() == "ray"
        for widget in (self.address, self.connect_button, self.gpus):
            widget.setEnabled(ray)
        total = self.population.value() * self.generations.value()
        self.total.setText(f"trains up to {total:,} networks")
