"""Drive a search engine with a toy fitness instead of training: fast tests of the search."""

from __future__ import annotations

from neurolab.search import Evaluation


def toy_fitness(genome) -> float:
    """Rewards exactly three layers of width near 32: something a working search should find."""
    layers = genome.layers
    return -abs(len(layers) - 3) - sum(abs(ly.width - 32) for ly in layers) / 64


def drive(
    engine, stop_after: int | None = None, next_id: int = 0, fitness=toy_fitness, objectives=None
):
    """Ask/tell until done (or `stop_after` generations); returns [(proposals, results)].

    `objectives(genome, fitness)`, where given, makes each result's objective values."""
    history = []
    while not engine.done() and (stop_after is None or engine.generation < stop_after):
        proposals = engine.ask()
        results = []
        for proposal in proposals:
            next_id += 1
            score = fitness(proposal.genome)
            values = objectives(proposal.genome, score) if objectives else ()
            results.append(Evaluation(proposal, next_id, score, values))
        engine.tell(results)
        history.append((proposals, results))
    return history
