"""Where each layer of a child's network takes its trained weights from (mode "inherit").

A child's *sources* name, for each of its linear layers (the hidden layers, then the output
head), the parent layer whose weights it starts from: ``(candidate id, layer index)``, where
the index counts the parent's linear layers (its head is ``len(parent.layers)``), or ``None``
for a layer that is new. The GA keeps sources beside every individual and updates them with
each operator; `neurolab.inherit.carry_weights` turns them into the child's starting weights.
Plain tuples only, so they travel in engine checkpoints as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence

from neurolab.genome import Genome, LayerGene

Source = tuple[int, int] | None
Sources = tuple[Source, ...]


def own_sources(candidate_id: int, genome: Genome) -> Sources:
    """A trained candidate's layers come from itself."""
    return tuple((candidate_id, i) for i in range(len(genome.layers) + 1))


def after_crossover(
    a: Sources, b: Sources, cut_a: int, cut_b: int, child_1: Genome, child_2: Genome
) -> tuple[Sources, Sources]:
    """Sources of `crossover`'s children: a's layers before `cut_a`, b's from `cut_b` on.

    Each child keeps the head of the parent its last layers come from; a layer that `clip`
    added to reach the minimum depth is new.
    """
    hidden_1 = a[:-1][:cut_a] + b[:-1][cut_b:]
    hidden_2 = b[:-1][:cut_b] + a[:-1][cut_a:]
    return _fit(hidden_1, child_1, b[-1]), _fit(hidden_2, child_2, a[-1])


def after_mutation(before: Genome, after: Genome, sources: Sources) -> Sources:
    """Sources after one mutation: an added layer is new, a removed one is dropped.

    Width, activation and dropout changes keep the layer's source (the weights are resized
    when they are carried). The added or removed position is found by comparing the layers.
    """
    hidden, head = sources[:-1], sources[-1]
    old, new = before.layers, after.layers
    if len(new) == len(old) + 1:
        i = _first_difference(new, old)
        hidden = hidden[:i] + (None,) + hidden[i:]
    elif len(new) == len(old) - 1:
        i = _first_difference(old, new)
        hidden = hidden[:i] + hidden[i + 1 :]
    elif len(new) != len(old):
        hidden = (None,) * len(new)
    return _fit(hidden, after, head)


def _first_difference(longer: Sequence[LayerGene], shorter: Sequence[LayerGene]) -> int:
    for i, layer in enumerate(shorter):
        if longer[i] != layer:
            return i
    return len(shorter)


def _fit(hidden: Sources, genome: Genome, head: Source) -> Sources:
    depth = len(genome.layers)
    hidden = tuple(hidden[:depth]) + (None,) * max(0, depth - len(hidden))
    return (*hidden, head)


def sources_to_json(sources: Sources) -> list:
    return [list(s) if s is not None else None for s in sources]


def sources_from_json(data: list | None) -> Sources:
    return tuple(tuple(s) if s is not None else None for s in data or ())  # type: ignore[misc]
