"""Optuna's samplers (TPE, CMA-ES, random, NSGA-II) behind the ask/tell protocol.

One NeuroLab generation is one batch of `population` trials asked together (`study.ask()`),
trained in parallel, then told (`study.tell`). TPE uses the constant-liar strategy so that the
trials of one batch spread out instead of piling onto the same point.

Resuming: a checkpoint holds every finished trial (parameters, value, state) and `restore`
rebuilds the same study from them (`create_trial` + `add_trial`). The sampler is rebuilt at
every `ask` with a seed derived from (run seed, generation), so what it proposes depends only on
the history and that seed, never on how much randomness earlier generations drew: a restored
study proposes exactly what the uninterrupted one would. CMA-ES keeps its distribution as a
pickle in Optuna's trial attributes; NeuroLab never unpickles the project file, so `restore`
re-creates that state by replaying the generations through the sampler instead.

Several objectives (`objectives=2`: maximise the validation metric, minimise the parameter
count): a multi-objective study, told each candidate's objective values; NSGA-II (or TPE, or
random) keeps the Pareto front, which `front()` returns. Optuna prunes single-objective studies
only.

Pruning: `report(position, first_epoch, val_losses)` records a running trial's epochs as
intermediate values (negated losses, see `optuna_study`) and asks the pruner after each; the
epoch it is pruned at is remembered, later epochs are ignored, and `tell` finishes it as
PRUNED. Checkpoints keep every trial's intermediate values, so pruners resume exactly too.

Shared storage (`storage=`): the study lives in an Optuna RDB or journal file that several
processes use at once; each proposes with its own random salt (else equal seeds would propose
equal networks), so a shared study is not reproducible, and a checkpoint only restores the
generation count (the history is in the storage).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import secrets
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.samplers import BaseSampler
from optuna.trial import Trial, TrialState

from neurolab.errors import SpecError
from neurolab.genome import Genome, LayerGene, SearchSpace
from neurolab.search.base import Evaluation, Proposal, front_ids
from neurolab.search.optuna_checkpoint import saved_trials, saved_values, study_state
from neurolab.search.optuna_samplers import SAMPLERS, make_sampler
from neurolab.search.optuna_study import make_pruner, make_storage, quiet

_log = logging.getLogger(__name__)


def generation_seed(seed: int, generation: int, salt: int | None = None) -> int:
    """The sampler's seed for one generation: well mixed, the same in every process."""
    entropy = [seed, generation] if salt is None else [seed, generation, salt]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


# --- the search space as Optuna parameters ----------------------------------------------
def suggest_genome(trial: Trial, space: SearchSpace) -> Genome:
    """Draw a genome through `trial`, define-by-run: a layer's genes exist only if it does.

    Parameters: `n_layers`; per layer k < n_layers `width_k` (log scale), `activation_k`,
    `dropout_k` (only when the space allows a range); then `optimizer`, `learning_rate` (log),
    `weight_decay`, `batch_size`, `epochs`.
    """
    depth = trial.suggest_int("n_layers", space.min_layers, space.max_layers)
    layers = []
    for k in range(depth):
        width = trial.suggest_int(f"width_{k}", space.min_width, space.max_width, log=True)
        activation = trial.suggest_categorical(f"activation_{k}", space.activations)
        dropout = space.min_dropout
        if space.max_dropout > space.min_dropout:
            dropout = trial.suggest_float(f"dropout_{k}", space.min_dropout, space.max_dropout)
        layers.append(LayerGene(width, activation, dropout))
    return Genome(
        layers=tuple(layers),
        optimizer=trial.suggest_categorical("optimizer", space.optimizers),
        learning_rate=trial.suggest_float("learning_rate", space.min_lr, space.max_lr, log=True),
        weight_decay=trial.suggest_categorical("weight_decay", space.weight_decays),
        batch_size=trial.suggest_categorical("batch_size", space.batch_sizes),
        epochs=trial.suggest_int("epochs", space.min_epochs, space.max_epochs),
    )


# --- the engine ---------------------------------------------------------------------------
class OptunaSearch:
    """An Optuna study driven one generation at a time.

    It maximises the validation metric, or with `objectives=2` also minimises the parameter
    count (a multi-objective study; `front()` is its Pareto front).

    `ask()` asks `population` trials and turns each into a genome; `tell(results)` finishes
    them in order (a failed candidate, fitness `-inf`, becomes a FAIL trial, which the samplers
    ignore; a pruned one a PRUNED trial); `done()` after `generations` batches. Between the
    two, `report()` feeds the pruner. `state()` / `restore()` checkpoint the study as JSON.
    `trials_table()` and `param_importances()` are for front ends.
    """

    def __init__(
        self,
        space: SearchSpace,
        *,
        population: int,
        generations: int,
        seed: int,
        sampler: str = "tpe",
        pruner: str = "none",
        storage: str | None = None,
        study_name: str = "neurolab",
        objectives: int = 1,
    ) -> None:
        if sampler not in SAMPLERS:
            raise SpecError(f"engine.sampler: {sampler!r} is not one of {', '.join(SAMPLERS)}")
        if sampler == "cmaes" and importlib.util.find_spec("cmaes") is None:
            raise SpecError(
                "engine.sampler: 'cmaes' needs the `cmaes` package (pip install cmaes);"
                " 'tpe' and 'random' work without it"
            )
        self.space, self.population, self.generations = space, population, generations
        self.seed, self.sampler, self.objectives = seed, sampler, objectives
        self.pruner_name, self.study_name = pruner, study_name
        self._pruner = make_pruner(pruner, space)
        self._storage = make_storage(storage)
        self._salt = None if self._storage is None else secrets.randbits(32)
        self.origin = f"optuna:{sampler}"
        self.generation = 0
        self.study = self._new_study()
        self._pending: list[Trial] = []
        self._reported: dict[int, int] = {}  # position -> last epoch reported
        self._pruned_at: dict[int, int] = {}  # position -> epoch its trial was pruned at

    def _new_study(self) -> optuna.Study:
        with quiet():
            return optuna.create_study(
                directions=["maximize"] + ["minimize"] * (self.objectives - 1),
                sampler=self._make_sampler(0),
                pruner=self._pruner,
                storage=self._storage,
                study_name=self.study_name,  # fixed: Hyperband's brackets hash it
                load_if_exists=self._storage is not None,
            )

    def _make_sampler(self, generation: int) -> BaseSampler:
        seed = generation_seed(self.seed, generation, self._salt)
        return make_sampler(self.sampler, self.space, self.population, seed)

    # --- ask / tell ---------------------------------------------------------------------
    def ask(self) -> list[Proposal]:
        if self._pending:
            raise RuntimeError("tell the results of the previous generation before asking again")
        # A fresh sampler seeded for this generation: its draws depend on the history and the
        # seed only, so a study restored from a checkpoint samples exactly the same.
        self.study.sampler = self._make_sampler(self.generation)
        proposals = []
        with quiet():
            for _ in range(self.population):
                trial = self.study.ask()
                trial.set_user_attr("generation", self.generation)
                self._pending.append(trial)
                proposals.append(Proposal(suggest_genome(trial, self.space), (), self.origin))
        return proposals

    def prunes(self) -> bool:
        return self.pruner_name != "none"

    def report(self, position: int, first_epoch: int, val_losses: Sequence[float]) -> int | None:
        """Epochs `first_epoch`, ... of pending trial `position`; the epoch it is pruned at."""
        if not self.prunes() or position in self._pruned_at:
            return self._pruned_at.get(position)
        trial, last = self._pending[position], self._reported.get(position, 0)
        with quiet():
            for epoch, loss in enumerate(val_losses, start=first_epoch):
                if epoch <= last:
                    continue  # already reported (a live report, then the whole curve)
                if not math.isfinite(loss):
                    break  # the NaN guard fails this candidate anyway
                trial.report(-loss, epoch)
                last = epoch
                if trial.should_prune():
                    self._pruned_at[position] = epoch
                    break
        self._reported[position] = last
        return self._pruned_at.get(position)

    def tell(self, results: list[Evaluation]) -> None:
        self._finish([(r.candidate_id, self._values(r), r.pruned) for r in results])

    def _values(self, result: Evaluation) -> tuple[float, ...]:
        if self.objectives == 1:
            return (result.fitness,)
        if len(result.objectives) < self.objectives:
            raise ValueError(f"expected {self.objectives} objectives, got {result.objectives}")
        return tuple(result.objectives[: self.objectives])

    def _finish(self, outcomes: list[tuple[int | None, tuple[float, ...], bool]]) -> None:
        """Tell the pending trials, in order, their (candidate id, objective values, pruned)."""
        if len(outcomes) != len(self._pending):
            raise ValueError(f"expected {len(self._pending)} results, got {len(outcomes)}")
        with quiet():
            for trial, (candidate_id, values, pruned) in zip(self._pending, outcomes, strict=True):
                if candidate_id is not None:
                    trial.set_user_attr("candidate_id", candidate_id)
                if pruned:
                    self.study.tell(trial, state=TrialState.PRUNED)
                elif all(math.isfinite(v) for v in values):
                    self.study.tell(trial, values if self.objectives > 1 else values[0])
                else:
                    self.study.tell(trial, state=TrialState.FAIL)
        self._pending = []
        self._reported.clear()
        self._pruned_at.clear()
        self.generation += 1
        if hasattr(self._pruner, "new_generation"):
            self._pruner.new_generation()

    def done(self) -> bool:
        return self.generation >= self.generations

    # --- checkpoints --------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Every finished trial, with each parameter's distribution stored once (JSON)."""
        return study_state(self.study, self.sampler, self.generation)

    def restore(self, state: dict[str, Any]) -> None:
        if state.get("sampler") != self.sampler:
            raise ValueError(
                f"checkpoint of the {state.get('sampler')!r} sampler, not {self.sampler!r}"
            )
        generation = int(state["generation"])
        self._pending = []
        self._reported.clear()
        self._pruned_at.clear()
        if hasattr(self._pruner, "new_generation"):  # what it kept was the old study's
            self._pruner.new_generation()
        if self._storage is not None:  # the history is in the shared storage already
            self.study, self.generation = self._new_study(), generation
            return
        if self.sampler == "cmaes" and self._replay(state["trials"], generation):
            return
        if self.sampler == "cmaes":
            _log.warning("CMA-ES could not replay its checkpoint; its distribution restarts")
        self.study = self._new_study()
        for trial in saved_trials(state):
            self.study.add_trial(trial)
        self.generation = generation

    def _replay(self, saved: list[dict[str, Any]], generations: int) -> bool:
        """Re-run the saved generations through the sampler, telling the saved values.

        True when every proposal matched the saved parameters (so the sampler's own state,
        e.g. CMA-ES's distribution, is exactly what it was). Needs the same Optuna version.
        """
        self.study, self.generation = self._new_study(), 0
        batches: dict[int, list[dict[str, Any]]] = {}
        for trial in saved:
            batches.setdefault(trial["generation"], []).append(trial)
        for generation in range(generations):
            self.ask()
            batch = batches.get(generation, [])
            if len(batch) != len(self._pending) or any(
                trial.params != record["params"]
                for trial, record in zip(self._pending, batch, strict=False)
            ):
                self._pending = []
                return False
            with quiet():
                for trial, record in zip(self._pending, batch, strict=True):
                    for step, value in record.get("intermediate", {}).items():
                        trial.report(value, int(step))
            self._finish(
                [
                    (
                        record.get("candidate_id"),
                        tuple(saved_values(record))
                        if record["state"] == "COMPLETE"
                        else (-math.inf,) * self.objectives,
                        record["state"] == "PRUNED",
                    )
                    for record in batch
                ]
            )
        return True

    # --- for front ends -----------------------------------------------------------------
    def trials_table(self) -> list[dict[str, Any]]:
        """One row per trial: number, generation, candidate id, params, value and state."""
        return [
            {
                "number": trial.number,
                "generation": trial.user_attrs.get("generation"),
                "candidate_id": trial.user_attrs.get("candidate_id"),
                "params": dict(trial.params),
                "value": None if trial.values is None else trial.values[0],
                "state": trial.state.name.lower(),
            }
            for trial in self.study.get_trials(deepcopy=False)
        ]

    def front(self) -> list[int]:
        """Several objectives: candidate ids of the study's Pareto front (over every trial so
        far), fewest parameters first, one network per point; else []."""
        if self.objectives == 1:
            return []
        return front_ids(
            [
                (tuple(t.values), t.user_attrs["candidate_id"])
                for t in self.study.best_trials
                if "candidate_id" in t.user_attrs
            ]
        )

    def param_importances(self) -> dict[str, float]:
        """fANOVA importance of each parameter every finished trial has ({} while too few);
        with several objectives, for the validation metric."""
        from neurolab.insights import fanova_importances

        target = None if self.objectives == 1 else (lambda trial: trial.values[0])
        return fanova_importances(self.study, self.seed, target)
