"""`ExperimentSpec`: everything that defines one experiment, validated on load.

A spec is read from TOML (or built by the GUI), stored in the project file as JSON and written
back to TOML. Every user-facing mistake becomes a `SpecError` whose message is one line naming the
field, the bad value and what is allowed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from neurolab.errors import SpecError

SPEC_VERSION = 1

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu", "elu", "silu", "identity")
OPTIMIZERS = ("adam", "adamw", "sgd")
ENGINES = ("ga", "random", "optuna")
MODES = ("train", "inherit", "neuroevolution")
OBJECTIVES = ("metric", "params")

Activation = Literal["relu", "tanh", "sigmoid", "gelu", "leaky_relu", "elu", "silu", "identity"]
Optimizer = Literal["adam", "adamw", "sgd"]
Task = Literal["classification", "regression"]


class _Section(BaseModel):
    # Unknown keys are mistakes (a typo silently ignored would run the wrong experiment).
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataSpec(_Section):
    """Where the data comes from: a built-in dataset by name, or a CSV file."""

    name: str | None = None
    params: dict[str, float | int] = Field(default_factory=dict)
    csv: str | None = None
    target: str | None = None
    features: list[str] | None = None
    test_fraction: float = Field(0.2, gt=0.0, lt=0.5)
    val_fraction: float = Field(0.2, gt=0.0, lt=0.5)

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.name is None) == (self.csv is None):
            raise ValueError("give either a built-in dataset `name` or a `csv` path, not both")
        if self.csv is not None and not self.target:
            raise ValueError("a CSV needs a `target` column")
        return self

    def describe(self) -> str:
        if self.name is not None:
            extra = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
            return f"{self.name} ({extra})" if extra else self.name
        return f"{Path(self.csv or '').name} -> {self.target}"


class SearchSpaceSpec(_Section):
    """The bounds and choices every genome is drawn from."""

    min_layers: int = Field(0, ge=0, le=8)
    max_layers: int = Field(3, ge=0, le=8)
    min_width: int = Field(2, ge=1, le=1024)
    max_width: int = Field(64, ge=1, le=1024)
    activations: list[Activation] = Field(
        default_factory=lambda: ["relu", "tanh", "gelu", "leaky_relu", "elu", "silu"],
        min_length=1,
    )
    min_dropout: float = Field(0.0, ge=0.0, lt=0.9)
    max_dropout: float = Field(0.2, ge=0.0, lt=0.9)
    optimizers: list[Optimizer] = Field(default_factory=lambda: ["adam", "adamw"], min_length=1)
    min_lr: float = Field(1e-3, gt=0.0, le=1.0)
    max_lr: float = Field(5e-2, gt=0.0, le=1.0)
    weight_decays: list[float] = Field(default_factory=lambda: [0.0, 1e-4, 1e-3], min_length=1)
    batch_sizes: list[int] = Field(default_factory=lambda: [16, 32, 64], min_length=1)
    min_epochs: int = Field(30, ge=1, le=10_000)
    max_epochs: int = Field(120, ge=1, le=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> SearchSpaceSpec:
        for low, high in (
            ("min_layers", "max_layers"),
            ("min_width", "max_width"),
            ("min_dropout", "max_dropout"),
            ("min_lr", "max_lr"),
            ("min_epochs", "max_epochs"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(
                    f"{low} ({getattr(self, low)}) must not exceed {high} ({getattr(self, high)})"
                )
        if any(b < 1 for b in self.batch_sizes):
            raise ValueError("batch_sizes must be positive")
        if any(w < 0 for w in self.weight_decays):
            raise ValueError("weight_decays must be ≥ 0")
        return self


class EngineSpec(_Section):
    """The search engine and its settings."""

    kind: Literal["ga", "random", "optuna"] = "ga"
    population: int = Field(16, ge=2, le=100_000)
    sampler: Literal["tpe", "cmaes", "random", "nsga2"] = "tpe"
    """Optuna's sampler (kind "optuna" only); its trials per generation = `population`.
    "nsga2" is Optuna's NSGA-II, for several objectives (with one it is a plain GA)."""
    pruner: Literal["none", "median", "halving", "hyperband"] = "none"
    """Optuna's pruner (kind "optuna" only): stops candidates whose validation loss lags."""
    storage: str | None = None
    """Optuna storage shared by several processes (kind "optuna" only): an RDB URL such as
    "postgresql://user:password@host/db", or a journal file path; none = in the project file."""
    tournament_size: int = Field(3, ge=1, le=100)
    crossover_prob: float = Field(0.5, ge=0.0, le=1.0)
    mutation_prob: float = Field(0.8, ge=0.0, le=1.0)
    elites: int = Field(2, ge=0, le=1000)
    objectives: list[Literal["metric", "params"]] = Field(
        default_factory=lambda: ["metric"], min_length=1, max_length=2
    )
    """["metric"]: one objective; ["metric", "params"]: maximise the validation metric and
    minimise the parameter count, by DEAP's NSGA-II (kind "ga") or a multi-objective Optuna
    study (kind "optuna", sampler "nsga2", "tpe" or "random"; no pruner)."""
    diversity: Literal["none", "sharing"] = "none"
    """"sharing": tournaments compare fitness shared among genomes closer than `sharing_radius`
    (fitness sharing), so one family of near-copies cannot take over the population."""
    sharing_radius: float = Field(1.0, gt=0.0, le=100.0)
    seeds: list[dict[str, Any]] = Field(default_factory=list)
    """Genomes (as dicts) that start generation 0 of a GA run, e.g. a network built by hand in
    the Playground; the rest of generation 0 is random."""

    @model_validator(mode="after")
    def _elites_fit(self) -> EngineSpec:
        if self.elites >= self.population:
            raise ValueError(
                f"elites ({self.elites}) must be fewer than population ({self.population})"
            )
        if len(set(self.objectives)) != len(self.objectives) or self.objectives[0] != "metric":
            raise ValueError('objectives must be ["metric"] or ["metric", "params"]')
        if len(self.objectives) > 1 and self.kind == "random":
            raise ValueError('several objectives need kind "ga" or "optuna", not "random"')
        if len(self.objectives) > 1 and self.kind == "optuna" and self.sampler == "cmaes":
            raise ValueError(
                'CMA-ES optimises one objective: with several use sampler "nsga2", "tpe" or'
                ' "random"'
            )
        if len(self.objectives) > 1 and self.kind == "optuna" and self.pruner != "none":
            raise ValueError('Optuna prunes single-objective studies only: set pruner "none"')
        if self.seeds and self.kind != "ga":
            raise ValueError("seeds start a GA run only (engine.kind = 'ga')")
        if len(self.seeds) > self.population:
            raise ValueError(
                f"{len(self.seeds)} seeds do not fit a population of {self.population}"
            )
        return self


class NeuroevolutionSpec(_Section):
    """Gradient-free neuroevolution (mode "neuroevolution"): the weights are the chromosome.

    `topology` "fixed" evolves the weights of one network (`layers` hidden widths, all with
    `activation`) with a real-valued GA (`algorithm` "ga": Gaussian mutation of scale `sigma`,
    `crossover` "blend" or "sbx") or CMA-ES (`algorithm` "cmaes", initial step `sigma`).
    "evolving" draws structures from `search_space` and mutates structure and weights together.
    """

    algorithm: Literal["ga", "cmaes"] = "cmaes"
    topology: Literal["fixed", "evolving"] = "fixed"
    layers: list[int] = Field(default_factory=lambda: [8], max_length=8)
    activation: Activation = "tanh"
    sigma: float = Field(0.5, gt=0.0, le=10.0)
    crossover: Literal["blend", "sbx"] = "blend"
    weight_mutation_prob: float = Field(0.1, ge=0.0, le=1.0)
    """Per-weight chance of a Gaussian step in the GA (each child is mutated)."""

    @model_validator(mode="after")
    def _widths(self) -> NeuroevolutionSpec:
        if any(not 1 <= w <= 1024 for w in self.layers):
            raise ValueError("layers: every hidden width must be between 1 and 1024")
        if self.algorithm == "cmaes" and self.topology == "evolving":
            raise ValueError('CMA-ES evolves one fixed topology: use topology "fixed" or "ga"')
        return self


class BudgetSpec(_Section):
    """When the search stops: after `generations`, or after `seconds` of wall time, first wins."""

    generations: int = Field(8, ge=1, le=100_000)
    seconds: float | None = Field(None, gt=0)


class TrainingSpec(_Section):
    """How each candidate is trained (the genome picks optimizer, rate, batch size, epochs)."""

    patience: int = Field(15, ge=1, le=10_000)
    inherit_epochs: int = Field(10, ge=1, le=10_000)
    """Mode "inherit": epochs a child trains from the weights it inherited (gen 0: genome's)."""
    finalists: int = Field(8, ge=0, le=64)
    """Candidates cross-validated after the search to choose the best (`neurolab.finalists`);
    0 or 1: the validation metric alone decides."""
    cv_folds: int = Field(5, ge=2, le=20)


class ExecutionSpec(_Section):
    """Where candidates run.

    Backend "local": `workers` = 1 trains in the runner's process, more uses a process pool
    (and so does a `candidate_timeout` or `memory_limit_mb`, which need a process to enforce).
    Backend "ray": `workers` Ray actors on the cluster at `address` (None starts a local Ray
    instance, "auto" joins the one started on this machine with `ray start --head`,
    "ray://host:port" a remote one), each asking Ray for `gpus_per_candidate` of a GPU.
    """

    workers: int = Field(1, ge=1, le=256)
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda|cuda:\d+)$")
    # On CUDA the pool has this many worker slots per GPU (and `workers` counts CPU workers):
    # each slot is one process that trains its share of a generation on its GPU.
    candidates_per_gpu: int = Field(1, ge=1, le=64)
    # auto: train a generation's candidates in stacked groups where they allow it (same results
    # on CPU, many times faster for small networks); off: one candidate at a time.
    batching: Literal["auto", "off"] = "auto"
    # Bounds on one candidate, enforced in worker processes (so either one implies a worker
    # process even with workers = 1): wall seconds before it is stopped and stored as failed...
    candidate_timeout: float | None = Field(None, gt=0, le=7 * 24 * 3600)
    # ... and megabytes a worker may allocate beyond what it holds at start (torch and the data).
    memory_limit_mb: int | None = Field(None, ge=16, le=1_048_576)
    backend: Literal["local", "ray"] = "local"
    address: str | None = None
    gpus_per_candidate: float = Field(0.0, ge=0.0, le=64.0)

    @field_validator("address")
    @classmethod
    def _ray_address(cls, address: str | None, info: ValidationInfo) -> str | None:
        if address is None:
            return None
        if info.data.get("backend") != "ray":
            raise ValueError('an address applies to backend = "ray" only')
        if not re.fullmatch(r"auto|(ray://)?[A-Za-z0-9_.\-]+:\d{1,5}", address):
            raise ValueError('give "auto", "ray://HOST:PORT" or "HOST:PORT"')
        return address

    @field_validator("gpus_per_candidate")
    @classmethod
    def _gpu_share(cls, gpus: float, info: ValidationInfo) -> float:
        if not gpus:
            return gpus
        if info.data.get("backend") != "ray":
            raise ValueError('GPU shares apply to backend = "ray" only')
        if info.data.get("device") == "cpu":
            raise ValueError('GPU shares need device = "auto" or "cuda", not "cpu"')
        if gpus > 1 and not float(gpus).is_integer():
            raise ValueError("give at most 1 (a share of one GPU) or a whole number of GPUs")
        return gpus


class ExperimentSpec(_Section):
    """One experiment: data, task, search space, engine, budget, training, execution and seed."""

    version: int = SPEC_VERSION
    name: str = "experiment"
    data: DataSpec
    task: Task | None = None
    mode: Literal["train", "inherit", "neuroevolution"] = "train"
    """train: every candidate trains from a fresh initialisation; inherit: a child starts from
    its parents' trained weights and trains `training.inherit_epochs`; neuroevolution: weights
    evolve without gradients (see `neuroevolution`)."""
    search_space: SearchSpaceSpec = Field(default_factory=SearchSpaceSpec)
    engine: EngineSpec = Field(default_factory=EngineSpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    neuroevolution: NeuroevolutionSpec = Field(default_factory=NeuroevolutionSpec)
    seed: int = Field(0, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _known_version(self) -> ExperimentSpec:
        if self.version > SPEC_VERSION:
            raise ValueError(
                f"spec version {self.version} is newer than this NeuroLab understands "
                f"({SPEC_VERSION}); update NeuroLab"
            )
        if self.mode != "train" and self.engine.kind != "ga":
            raise ValueError(f'mode {self.mode!r} needs engine kind "ga", not {self.engine.kind!r}')
        return self

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ExperimentSpec:
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise SpecError(_first_error(exc)) from None

    @classmethod
    def from_toml(cls, path: str | Path) -> ExperimentSpec:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError(f"{path}: no such spec file") from None
        except UnicodeDecodeError:
            raise SpecError(f"{path}: not a UTF-8 text file") from None
        except OSError as exc:
            raise SpecError(f"{path}: cannot read ({exc.strerror})") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path}: not valid TOML ({exc})") from None
        spec = cls.from_dict(raw)
        # A relative CSV path in a spec file means "relative to the spec file".
        if spec.data.csv and not Path(spec.data.csv).is_absolute():
            candidate = path.parent / spec.data.csv
            if candidate.exists():
                spec.data.csv = str(candidate)
        return spec

    def with_overrides(self, overrides: dict[str, Any]) -> ExperimentSpec:
        """A copy with dotted-key overrides applied (``{"engine.population": 8}``), re-validated."""
        raw = self.model_dump(mode="json")
        for dotted, value in overrides.items():
            node = raw
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
        return ExperimentSpec.from_dict(raw)

    # --- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def save_toml(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml(), encoding="utf-8")


def _first_error(exc: ValidationError) -> str:
    """One line: the field, the bad value and what is allowed."""
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err["loc"]) or "spec"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{field}: unknown key (check the spelling; see the README for the spec format)"
    if err["type"] == "missing":
        return f"{field}: required but missing"
    if "input" in err and err["type"] not in ("model_type",) and not isinstance(err["input"], dict):
        return f"{field}: {err['input']!r} is not allowed ({message})"
    return f"{field}: {message}"
