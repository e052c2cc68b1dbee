"""`Genome` and `SearchSpace`: what a candidate network is, and the operators that vary it.

Genomes are plain frozen data (no DEAP classes), so they cross process boundaries as dicts and
live in the project file as JSON. Every operator is a pure function of its inputs and an explicit
`random.Random`, so a run is reproducible from its seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from neurolab.spec import SearchSpaceSpec


@dataclass(frozen=True)
class LayerGene:
    """One hidden layer: how many units, which non-linearity, how much dropout after it."""

    width: int
    activation: str
    dropout: float = 0.0


@dataclass(frozen=True)
class Genome:
    """A candidate network and how to train it. Zero layers is a linear model."""

    layers: tuple[LayerGene, ...]
    optimizer: str = "adam"
    learning_rate: float = 1e-2
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 40

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = [asdict(layer) for layer in self.layers]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Genome:
        layers = tuple(
            LayerGene(int(ly["width"]), str(ly["activation"]), float(ly.get("dropout", 0.0)))
            for ly in data["layers"]
        )
        return cls(
            layers=layers,
            optimizer=str(data["optimizer"]),
            learning_rate=float(data["learning_rate"]),
            weight_decay=float(data["weight_decay"]),
            batch_size=int(data["batch_size"]),
            epochs=int(data["epochs"]),
        )

    def describe(self) -> str:
        """A one-line summary such as ``16 tanh → 8 relu (drop 0.10) | adam lr 3.2e-03``."""
        if self.layers:
            parts = []
            for layer in self.layers:
                text = f"{layer.width} {layer.activation}"
                if layer.dropout > 0:
                    text += f" (drop {layer.dropout:.2f})"
                parts.append(text)
            body = " → ".join(parts)
        else:
            body = "no hidden layer (linear)"
        return (
            f"{body} | {self.optimizer} lr {self.learning_rate:.1e}"
            f" wd {self.weight_decay:g} batch {self.batch_size} × {self.epochs} epochs"
        )


@dataclass(frozen=True)
class SearchSpace:
    """Bounds and choices for genomes; built from the spec's `search_space` section."""

    min_layers: int
    max_layers: int
    min_width: int
    max_width: int
    activations: tuple[str, ...]
    min_dropout: float
    max_dropout: float
    optimizers: tuple[str, ...]
    min_lr: float
    max_lr: float
    weight_decays: tuple[float, ...]
    batch_sizes: tuple[int, ...]
    min_epochs: int
    max_epochs: int

    @classmethod
    def from_spec(cls, spec: SearchSpaceSpec) -> SearchSpace:
        return cls(
            min_layers=spec.min_layers,
            max_layers=spec.max_layers,
            min_width=spec.min_width,
            max_width=spec.max_width,
            activations=tuple(spec.activations),
            min_dropout=spec.min_dropout,
            max_dropout=spec.max_dropout,
            optimizers=tuple(spec.optimizers),
            min_lr=spec.min_lr,
            max_lr=spec.max_lr,
            weight_decays=tuple(spec.weight_decays),
            batch_sizes=tuple(spec.batch_sizes),
            min_epochs=spec.min_epochs,
            max_epochs=spec.max_epochs,
        )

    # --- sampling -----------------------------------------------------------------------
    def random_width(self, rng: random.Random) -> int:
        # Log-uniform: 4 vs 8 units matters as much as 32 vs 64.
        low, high = math.log(self.min_width), math.log(self.max_width + 1)
        return min(self.max_width, max(self.min_width, int(math.exp(rng.uniform(low, high)))))

    def random_layer(self, rng: random.Random) -> LayerGene:
        dropout = 0.0
        if self.max_dropout > 0 and rng.random() < 0.5:
            dropout = round(rng.uniform(self.min_dropout, self.max_dropout), 3)
        dropout = max(dropout, self.min_dropout)
        return LayerGene(self.random_width(rng), rng.choice(self.activations), dropout)

    def random_lr(self, rng: random.Random) -> float:
        return math.exp(rng.uniform(math.log(self.min_lr), math.log(self.max_lr)))

    def random_genome(self, rng: random.Random) -> Genome:
        depth = rng.randint(self.min_layers, self.max_layers)
        return Genome(
            layers=tuple(self.random_layer(rng) for _ in range(depth)),
            optimizer=rng.choice(self.optimizers),
            learning_rate=self.random_lr(rng),
            weight_decay=rng.choice(self.weight_decays),
            batch_size=rng.choice(self.batch_sizes),
            epochs=rng.randint(self.min_epochs, self.max_epochs),
        )

    def clip(self, genome: Genome) -> Genome:
        """The nearest genome inside the space (after crossover mixes depths, for instance)."""
        layers = list(genome.layers)[: self.max_layers]
        while len(layers) < self.min_layers:
            layers.append(LayerGene(self.min_width, self.activations[0], self.min_dropout))
        layers = [
            LayerGene(
                width=min(self.max_width, max(self.min_width, layer.width)),
                activation=layer.activation
                if layer.activation in self.activations
                else self.activations[0],
                dropout=min(self.max_dropout, max(self.min_dropout, layer.dropout)),
            )
            for layer in layers
        ]
        return replace(
            genome,
            layers=tuple(layers),
            optimizer=genome.optimizer
            if genome.optimizer in self.optimizers
            else self.optimizers[0],
            learning_rate=min(self.max_lr, max(self.min_lr, genome.learning_rate)),
            weight_decay=genome.weight_decay
            if genome.weight_decay in self.weight_decays
            else self.weight_decays[0],
            batch_size=genome.batch_size
            if genome.batch_size in self.batch_sizes
            else self.batch_sizes[0],
            epochs=min(self.max_epochs, max(self.min_epochs, genome.epochs)),
        )


# --- variation operators ----------------------------------------------------------------
def _mutate_add_layer(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    if len(g.layers) >= space.max_layers:
        return None
    layers = list(g.layers)
    layers.insert(rng.randint(0, len(layers)), space.random_layer(rng))
    return replace(g, layers=tuple(layers))


def _mutate_remove_layer(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    if len(g.layers) <= space.min_layers:
        return None
    layers = list(g.layers)
    del layers[rng.randrange(len(layers))]
    return replace(g, layers=tuple(layers))


def _change_one_layer(
    g: Genome, rng: random.Random, change: Callable[[LayerGene], LayerGene]
) -> Genome:
    """A copy of `g` with one randomly chosen hidden layer replaced by `change(layer)`."""
    layers = list(g.layers)
    i = rng.randrange(len(layers))
    layers[i] = change(layers[i])
    return replace(g, layers=tuple(layers))


def _mutate_width(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    if not g.layers or space.min_width == space.max_width:
        return None

    def resize(layer: LayerGene) -> LayerGene:
        # Multiplicative step: halve, double, or nudge, so small and large layers both move.
        factor = rng.choice((0.5, 0.75, 1.5, 2.0))
        width = int(round(layer.width * factor))
        if width == layer.width:
            width += 1 if factor > 1 else -1
        return replace(layer, width=min(space.max_width, max(space.min_width, width)))

    return _change_one_layer(g, rng, resize)


def _mutate_activation(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    if not g.layers or len(space.activations) < 2:
        return None

    def switch(layer: LayerGene) -> LayerGene:
        choices = [a for a in space.activations if a != layer.activation]
        return replace(layer, activation=rng.choice(choices))

    return _change_one_layer(g, rng, switch)


def _mutate_dropout(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    if not g.layers or space.min_dropout == space.max_dropout:
        return None
    return _change_one_layer(
        g,
        rng,
        lambda layer: replace(
            layer, dropout=round(rng.uniform(space.min_dropout, space.max_dropout), 3)
        ),
    )


def _mutate_optimizer(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    choices = [o for o in space.optimizers if o != g.optimizer]
    return replace(g, optimizer=rng.choice(choices)) if choices else None


def _mutate_learning_rate(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    if space.min_lr == space.max_lr:
        return None
    # Gaussian step in log space (sigma = half a decade's third), clipped to the range.
    lr = math.exp(math.log(g.learning_rate) + rng.gauss(0.0, 0.5))
    return replace(g, learning_rate=min(space.max_lr, max(space.min_lr, lr)))


def _mutate_training(g: Genome, space: SearchSpace, rng: random.Random) -> Genome | None:
    options = []
    if len(space.batch_sizes) > 1:
        options.append("batch")
    if len(space.weight_decays) > 1:
        options.append("decay")
    if space.min_epochs < space.max_epochs:
        options.append("epochs")
    if not options:
        return None
    what = rng.choice(options)
    if what == "batch":
        return replace(
            g, batch_size=rng.choice([b for b in space.batch_sizes if b != g.batch_size])
        )
    if what == "decay":
        return replace(
            g, weight_decay=rng.choice([w for w in space.weight_decays if w != g.weight_decay])
        )
    step = max(1, int(g.epochs * rng.uniform(0.1, 0.4)))
    epochs = g.epochs + (step if rng.random() < 0.5 else -step)
    return replace(g, epochs=min(space.max_epochs, max(space.min_epochs, epochs)))


MUTATIONS = {
    "add_layer": _mutate_add_layer,
    "remove_layer": _mutate_remove_layer,
    "width": _mutate_width,
    "activation": _mutate_activation,
    "dropout": _mutate_dropout,
    "optimizer": _mutate_optimizer,
    "learning_rate": _mutate_learning_rate,
    "training": _mutate_training,
}


STRUCTURAL = ("add_layer", "remove_layer", "width", "activation")


def mutate(
    genome: Genome,
    space: SearchSpace,
    rng: random.Random,
    names: tuple[str, ...] | None = None,
) -> tuple[Genome, str]:
    """One mutation that applies to this genome (drawn from `names`, default all); returns the
    child and the mutation's name."""
    names = list(MUTATIONS if names is None else names)
    rng.shuffle(names)
    for name in names:
        child = MUTATIONS[name](genome, space, rng)
        if child is not None and child != genome:
            return child, name
    return genome, "none"


def crossover(
    a: Genome, b: Genome, space: SearchSpace, rng: random.Random
) -> tuple[Genome, Genome]:
    """One-point crossover on the layer lists (depths may differ) plus uniform training genes.

    Each child takes a prefix of one parent's layers and a suffix of the other's, so layers
    travel whole and the children's depths can differ from both parents'.
    """
    child_1, child_2, _, _ = crossover_with_cuts(a, b, space, rng)
    return child_1, child_2


def crossover_with_cuts(
    a: Genome, b: Genome, space: SearchSpace, rng: random.Random
) -> tuple[Genome, Genome, int, int]:
    """`crossover`, also returning where each parent's layers were cut (for weight carrying)."""
    cut_a = rng.randint(0, len(a.layers))
    cut_b = rng.randint(0, len(b.layers))
    layers_1 = a.layers[:cut_a] + b.layers[cut_b:]
    layers_2 = b.layers[:cut_b] + a.layers[cut_a:]
    genes_1, genes_2 = {}, {}
    for field in ("optimizer", "learning_rate", "weight_decay", "batch_size", "epochs"):
        first, second = getattr(a, field), getattr(b, field)
        if rng.random() < 0.5:
            first, second = second, first
        genes_1[field], genes_2[field] = first, second
    child_1 = space.clip(Genome(layers=layers_1, **genes_1))
    child_2 = space.clip(Genome(layers=layers_2, **genes_2))
    return child_1, child_2, cut_a, cut_b


def genome_distance(a: Genome, b: Genome) -> float:
    """How different two genomes are; 1 is about one layer more, a factor 4 in one layer's
    width, or a decade in learning rate.

    Layers are compared position by position (a missing layer counts 1); widths on a log
    scale, a different activation 0.5; then the learning rate (decades) and the optimizer.
    """
    distance = 0.0
    for la, lb in zip(a.layers, b.layers, strict=False):
        distance += abs(math.log2(la.width) - math.log2(lb.width)) / 2
        distance += 0.5 * (la.activation != lb.activation)
    distance += abs(len(a.layers) - len(b.layers))
    distance += abs(math.log10(a.learning_rate) - math.log10(b.learning_rate))
    return distance + 0.5 * (a.optimizer != b.optimizer)


def mean_distance(genomes: list[Genome]) -> float:
    """The population's diversity: the mean `genome_distance` over all pairs (0 for one)."""
    pairs = [genome_distance(a, b) for i, a in enumerate(genomes) for b in genomes[i + 1 :]]
    return sum(pairs) / len(pairs) if pairs else 0.0
