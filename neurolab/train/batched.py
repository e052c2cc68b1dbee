"""Training a whole population at once: parameters stacked per layer, one `bmm` per layer.

Small networks spend their time in per-op overhead, so P candidates trained as one stack cost
little more than one (DESIGN.md, "Speed"). `train_population` returns, per candidate, the
`TrainResult` that `train_candidate` would, and on CPU the same losses up to float rounding
(~1e-6 relative): each candidate is initialised by `build_model` from its seed, sees the same
minibatch order (its own `torch.Generator().manual_seed(seed)`), gets the same optimizer
arithmetic (Adam / AdamW / SGD-Nesterov on stacked rows, `batched_ops`), the same dropout masks
(`dropout`: drawn from the candidate's own generator a block of steps at a time, on CPU, so the
same on CUDA too) and the same early stopping.

A group (`batched_plan.plan_groups` decides who trains with whom) keeps all parameters of a
candidate in one row of a `(P, N)` tensor; each layer's weight `(P, in, out)` and bias
`(P, 1, out)` are views of it, and its gradients are views of a `(P, N)` buffer, so the
optimizer is a few element-wise passes over the rows (the Adam family's block, then SGD's; a
planned group holds one family), whatever the depths. Members of different depths share the
stack: rows go deepest first, hidden layer k runs on the first rows (those that have it), and
each depth has an output layer of its own, so a row's unused layers stay zero with zero
gradients. Widths are padded with zero weights; a padded unit stays exactly zero because its
pre-activation is zero, an activation with f(0) != 0 (sigmoid) gets a 0/1 unit mask, and zero
gradients leave zero weights unchanged under all three optimizers. A candidate that stops
(patience, its own epoch count, a non-finite loss, a cancel) leaves the stack at the end of the
epoch: its rows are dropped, so its parameters and optimizer state never change again, and its
best epoch's weights were kept.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from safetensors.torch import save as safetensors_save
from torch import nn

from neurolab.data.dataset import PreparedData
from neurolab.genome import Genome
from neurolab.model import build_model, parameter_count
from neurolab.train import batched_ops as ops
from neurolab.train import dropout
from neurolab.train.batched_plan import (
    CostModel,
    assign_to_workers,
    can_batch,
    family,
    plan_groups,
)
from neurolab.train.trainer import TrainResult, _tensors, metrics, non_finite_loss

__all__ = [
    "BatchEpochCallback",
    "CostModel",
    "assign_to_workers",
    "can_batch",
    "plan_groups",
    "train_population",
]

# Called after every epoch of every candidate with (index into `genomes`, epoch, train_loss,
# val_loss, val_metric, model) where `model()` builds that candidate's current network (costly:
# call it only when needed); returning False stops that candidate (status "cancelled").
BatchEpochCallback = Callable[[int, int, float, float, float, Callable[[], nn.Module]], bool | None]

EVAL_ELEMENTS = 1 << 24  # largest activation tensor of an evaluation pass (rows are chunked)


def train_population(
    genomes: Sequence[Genome],
    data: PreparedData,
    *,
    seeds: Sequence[int],
    patience: int,
    device: str | torch.device = "cpu",
    on_epoch: BatchEpochCallback | None = None,
    keep_going: Callable[[], bool] | None = None,
    cost: CostModel | None = None,
    initial_states: Sequence[Mapping[str, torch.Tensor] | None] | None = None,
    subsets: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[TrainResult]:
    """Train every genome (candidate i from `seeds[i]`) in as few stacked groups as pays off.

    `initial_states[i]`, where given, is candidate i's starting state_dict (inherited weights),
    loaded after its seeded initialisation as `train_candidate` does.

    `subsets[i]`, where given, is candidate i's own (training rows, validation rows): indices
    into `data`'s train and validation splits, as many for every candidate (cross-validation
    folds train side by side in one stack). Its train and val metrics are on those rows.

    `keep_going()` is asked after every epoch; False cancels everything still training (results
    "cancelled", with the best weights so far) and everything not started. A group that raises
    (out of memory, say) fails its own candidates only. `seconds` is each candidate's share of
    its group's wall time, in proportion to the epochs it trained.
    """
    if len(seeds) != len(genomes):
        raise ValueError(f"{len(genomes)} genomes but {len(seeds)} seeds")
    device = torch.device(device)
    splits = _tensors(data, device)
    rows = [
        (torch.as_tensor(t, dtype=torch.long), torch.as_tensor(v, dtype=torch.long))
        for t, v in (subsets or [])
    ]
    if rows and len({(len(t), len(v)) for t, v in rows}) != 1:
        raise ValueError("every candidate's subsets must have as many rows")
    n_train = len(rows[0][0]) if rows else len(data.y_train)
    groups = plan_groups(genomes, data.n_features, data.n_outputs, n_train, str(device), cost)
    results: list[TrainResult | None] = [None] * len(genomes)
    stop = [False]  # set when keep_going() says no: later groups do not start
    for members in groups:
        if stop[0]:
            for i in members:
                results[i] = TrainResult("cancelled", error="stopped before it started")
            continue
        start = time.perf_counter()
        try:
            states = [initial_states[i] if initial_states else None for i in members]
            group = _Group(
                [genomes[i] for i in members],
                [seeds[i] for i in members],
                members,
                states,
                [rows[i] for i in members] if rows else None,
            )
            with torch.no_grad():
                outcome = group.train(data, splits, device, patience, on_epoch, keep_going, stop)
        except Exception as exc:  # a group must never take the population down
            detail = traceback.format_exception_only(exc)[-1].strip()
            outcome = [TrainResult("failed", error=f"training raised {detail}") for _ in members]
        elapsed = time.perf_counter() - start
        total_epochs = sum(max(1, r.epochs) for r in outcome)
        for i, result in zip(members, outcome, strict=True):
            result.seconds = elapsed * max(1, result.epochs) / total_epochs
            results[i] = result
    return results  # type: ignore[return-value]


class _Group:
    """One group's candidates ("members", in stacking order: deepest first) as stacked, padded
    tensors. Hidden layer k is padded to the widest member that has it; each depth present has
    its own output layer ("head"), since its input is the last hidden layer of that depth."""

    def __init__(
        self,
        genomes: list[Genome],
        seeds: list[int],
        indices: list[int],
        states: Sequence[Mapping[str, torch.Tensor] | None] | None = None,
        subsets: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
    ) -> None:
        self.genomes, self.seeds, self.indices = genomes, seeds, indices
        self.subsets = subsets  # each member's (training rows, validation rows), or shared
        self.states = list(states) if states is not None else [None] * len(genomes)
        self.depths = [len(g.layers) for g in genomes]
        if self.depths != sorted(self.depths, reverse=True):
            raise ValueError("a group's members must come deepest first")
        self.depth = self.depths[0]  # hidden layers of the stack
        self.widths = [[ly.width for ly in g.layers] for g in genomes]

    # --- layout -------------------------------------------------------------------------
    def _layout(self, n_in: int, n_out: int) -> None:
        hidden = [max(w[k] for w in self.widths if len(w) > k) for k in range(self.depth)]
        self.dims = [n_in, *hidden, n_out]
        self.head_depths = sorted(set(self.depths), reverse=True)
        shapes = [(self.dims[k], self.dims[k + 1]) for k in range(self.depth)]
        shapes += [(self.dims[d], n_out) for d in self.head_depths]
        self.slots: list[tuple[int, int, int]] = []  # (offset, fan-in, fan-out) per layer
        offset = 0
        for a, b in shapes:
            self.slots.append((offset, a, b))
            offset += a * b + b
        self.size = offset

    def _views(self, theta: torch.Tensor) -> ops.Params:
        """Every layer's (weight, bias) views: the hidden layers, then one head per depth."""
        rows = theta.shape[0]
        return [
            (
                theta[:, o : o + a * b].view(rows, a, b),
                theta[:, o + a * b : o + a * b + b].view(rows, 1, b),
            )
            for o, a, b in self.slots
        ]

    def _member_views(self, views: ops.Params, member: int) -> ops.Params:
        """The layers `member` uses, in its network's order: its hidden layers, its head."""
        depth = self.depths[member]
        return [*views[:depth], views[self._head_slot(depth)]]

    def _head_slot(self, depth: int) -> int:
        """Index into `_views` of the output layer of the members of `depth`."""
        return self.depth + self.head_depths.index(depth)

    def _real(self, member: int) -> list[tuple[int, int]]:
        sizes = [self.dims[0], *self.widths[member], self.dims[-1]]
        return list(zip(sizes, sizes[1:], strict=False))

    def _init(self, device: torch.device) -> torch.Tensor:
        """Each row from `build_model` after seeding, exactly as `train_candidate` does."""
        theta = torch.zeros(len(self.genomes), self.size)
        views = self._views(theta)
        self.names: list[list[str]] = []
        # Only the CPU generator matters for `build_model`; seeding just it skips the ~1 ms
        # `torch.manual_seed` spends queueing seeds for other devices, and fork_rng gives the
        # caller its generator state back.
        with torch.random.fork_rng(devices=[]):
            for row, (genome, seed) in enumerate(zip(self.genomes, self.seeds, strict=True)):
                torch.default_generator.manual_seed(seed)
                model = build_model(genome, self.dims[0], self.dims[-1])
                if self.states[row] is not None:
                    model.load_state_dict(self.states[row])
                linears = [m for m in model if isinstance(m, nn.Linear)]
                layers = zip(self._member_views(views, row), linears, self._real(row), strict=True)
                for (w, b), linear, (a, c) in layers:
                    w[row, :a, :c] = linear.weight.T
                    b[row, 0, :c] = linear.bias
                self.names.append(list(model.state_dict()))
        self.dropout_rngs = [
            dropout.generator(g, s) for g, s in zip(self.genomes, self.seeds, strict=True)
        ]
        return theta.to(device)

    def _real_mask(self, device: torch.device) -> torch.Tensor:
        """(P, N): 1 where a row holds a real parameter, 0 where it is padding."""
        mask = torch.zeros(len(self.genomes), self.size)
        views = self._views(mask)
        for row in range(len(self.genomes)):
            for (w, b), (a, c) in zip(self._member_views(views, row), self._real(row), strict=True):
                w[row, :a, :c] = 1.0
                b[row, 0, :c] = 1.0
        return mask.to(device)

    def state_dict(self, theta_row: torch.Tensor, member: int) -> dict[str, torch.Tensor]:
        """One candidate's row in `build_model`'s state_dict layout (unpadded, on CPU)."""
        state = {}
        names = iter(self.names[member])
        layers = self._member_views(self._views(theta_row.unsqueeze(0)), member)
        for (w, b), (a, c) in zip(layers, self._real(member), strict=True):
            state[next(names)] = w[0, :a, :c].T.contiguous().cpu()
            state[next(names)] = b[0, 0, :c].contiguous().cpu()
        return state

    def model(self, theta_row: torch.Tensor, member: int) -> nn.Module:
        model = build_model(self.genomes[member], self.dims[0], self.dims[-1])
        model.load_state_dict(self.state_dict(theta_row, member))
        return model.eval()

    # --- the active stack ---------------------------------------------------------------
    def _activate(self, rows: list[int], device: torch.device) -> None:
        """Per-row constants for the members still training (`rows`, in stacking order)."""
        self.rows = rows
        genomes = [self.genomes[m] for m in rows]
        self.n_adam = sum(family(g) == "adam" for g in genomes)  # rows [0, n_adam) are Adam
        adam, sgd = genomes[: self.n_adam], genomes[self.n_adam :]

        def column(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.float32, device=device).view(-1, 1)

        self.adam_inv_lr = column([1 / g.learning_rate for g in adam])
        # Adam adds wd * param to the gradient; AdamW multiplies the param by 1 - lr * wd.
        l2 = [g.weight_decay if g.optimizer == "adam" else 0.0 for g in adam]
        decay = [
            1 - g.learning_rate * g.weight_decay if g.optimizer == "adamw" else 1.0 for g in adam
        ]
        self.adam_l2 = column(l2) if any(l2) else None
        self.adam_decay = column(decay) if any(d != 1.0 for d in decay) else None
        self.sgd_neg_lr = column([-g.learning_rate for g in sgd])
        self.sgd_wd = (
            column([g.weight_decay for g in sgd]) if any(g.weight_decay for g in sgd) else None
        )
        # Hidden layers with rows left: the deepest members may have stopped already.
        self.active_depth = max(self.depths[m] for m in rows)
        counts = [sum(self.depths[m] > k for m in rows) for k in range(self.active_depth)]
        exits, lo = [], 0
        for depth in self.head_depths:
            n = sum(self.depths[m] == depth for m in rows)
            if n:
                exits.append((depth, lo, n))
                lo += n
        self.heads = [self._head_slot(depth) for depth, _, _ in exits]
        mixes = [
            ops.mix_of([g.layers[k].activation for g in genomes[: counts[k]]], device)
            for k in range(self.active_depth)
        ]
        self.shape = ops.Shape(mixes, counts, exits)
        self.unit_masks: list[torch.Tensor | None] = []
        for k, mix in enumerate(mixes):
            mask = None
            if not all(activation.zero_at_zero for activation, _, _ in mix.runs):
                mask = torch.zeros(counts[k], 1, self.dims[k + 1], device=device)
                for r, m in enumerate(rows[: counts[k]]):
                    mask[r, 0, : self.widths[m][k]] = 1.0
            self.unit_masks.append(mask)
        self.dropouts = [
            [
                (r, g.layers[k].dropout, self.widths[m][k], self.dropout_rngs[m])
                for r, (m, g) in enumerate(
                    zip(rows[: counts[k]], genomes[: counts[k]], strict=True)
                )
                if g.layers[k].dropout > 0
            ]
            for k in range(self.active_depth)
        ]

    def _net(self, params: ops.Params) -> ops.Net:
        """The active stack's hidden layers and heads (in the order of its exits), bound."""
        return ops.bind(params[: self.active_depth], [params[i] for i in self.heads], self.shape)

    def _bind(self, theta: torch.Tensor) -> None:
        """Train `theta` (after `_activate`): its views, and those of its gradient buffer."""
        self.theta, self.grad = theta, torch.zeros_like(theta)
        self.net, self.grad_net = self._net(self._views(theta)), self._net(self._views(self.grad))
        k = self.n_adam  # the optimizers' rows: the Adam family's, then SGD's
        self.rows_adam = (theta[:k], self.grad[:k])
        self.rows_sgd = (theta[k:], self.grad[k:])

    def _compact(self, keep: list[int], device: torch.device) -> None:
        """Drop the rows of stopped candidates; `keep` are positions in the active stack."""
        self.m = self.m[[k for k in keep if k < self.n_adam]]
        self.v = self.v[[k for k in keep if k < self.n_adam]]
        self.buf = self.buf[[k - self.n_adam for k in keep if k >= self.n_adam]]
        self.order_rngs = [self.order_rngs[k] for k in keep]
        if self.subsets is not None:  # each member's own validation rows
            self.val_x, self.val_y = self.val_x[keep], self.val_y[keep]
        self._activate([self.rows[k] for k in keep], device)
        self._bind(self.theta.index_select(0, torch.tensor(keep, device=device)))

    # --- arithmetic ---------------------------------------------------------------------
    def _block_masks(self, rows: int) -> list[torch.Tensor | None]:
        """Per layer: the unit mask, times the next block's dropout masks where there is dropout
        ((P, rows, width) then): each candidate's uniforms from its own generator, as
        `dropout.draw_block` draws them, turned into masks for the whole stack at once."""
        masks = []
        for layer, draws in enumerate(self.dropouts):
            unit = self.unit_masks[layer]
            if not draws:
                masks.append(unit)
                continue
            # Rows without dropout keep u = 1 >= p = 0: a mask of ones.
            n = self.shape.counts[layer]
            u = np.ones((n, rows, self.dims[layer + 1]), dtype=np.float32)
            p = np.zeros((n, 1, 1), dtype=np.float32)
            for row, rate, width, rng in draws:
                u[row, :, :width] = dropout.uniforms(rng, rows, width)
                p[row] = rate
            mask = dropout.to_mask(torch.from_numpy(u), torch.from_numpy(p)).to(self.theta.device)
            masks.append(mask if unit is None else mask.mul_(unit))
        return masks

    def _step(self, step: int) -> None:
        if self.n_adam:
            p, g = self.rows_adam
            ops.adam_step(
                p, g, self.m, self.v, step, self.adam_inv_lr, self.adam_l2, self.adam_decay
            )
            if step % 1000 == 0:  # β2^t would take the floor to denormals (slow) by ~18k steps
                self.v.clamp_min_(ops.V_FLOOR)
        if self.n_adam < self.theta.shape[0]:
            p, g = self.rows_sgd
            ops.sgd_step(p, g, self.buf, self.sgd_neg_lr, self.sgd_wd)

    def _evaluate(self, net: ops.Net, x: torch.Tensor) -> torch.Tensor:
        """Outputs (P, outputs, rows) for a whole split (no dropout), chunked to bound memory."""
        chunk = max(1, EVAL_ELEMENTS // max(1, net.rows * max(self.dims)))
        if x.shape[-2] <= chunk:
            return ops.forward(net, x, self.unit_masks)
        parts = [
            ops.forward(net, x[..., lo : lo + chunk, :], self.unit_masks)
            for lo in range(0, x.shape[-2], chunk)
        ]
        return torch.cat(parts, dim=2)

    def _rows(self, split, which: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) of a split for the active rows: shared, or each member's own subset (`which`:
        0 training rows, 1 validation rows; None: the whole split, as for the test rows)."""
        if self.subsets is None or which is None:
            return split.x, split.y
        index = torch.stack([self.subsets[m][which] for m in self.rows]).to(split.x.device)
        return split.x[index], split.y[index]

    def _epoch(self, train, task: str, batch: int) -> list[float]:
        """One epoch of minibatch steps for every active row; returns their train losses."""
        n, rows = self.n_train, len(self.rows)
        orders = torch.stack([torch.randperm(n, generator=g) for g in self.order_rngs])
        if self.subsets is not None:  # each member's own rows, in its own order
            orders = torch.stack([self.subsets[m][0] for m in self.rows]).gather(1, orders)
        orders = orders.to(self.theta.device).view(-1)
        # Each row's data in its own shuffled order, gathered once; steps take slices.
        xs = train.x.index_select(0, orders).view(rows, n, -1)
        ys = train.y.index_select(0, orders).view(rows, n)
        total = torch.zeros(rows, dtype=torch.float64, device=self.theta.device)
        block = dropout.block_rows(batch)
        for lo in range(0, n, batch):
            x, y = xs[:, lo : lo + batch], ys[:, lo : lo + batch]
            size, at = x.shape[1], lo % block
            if at == 0:
                masks = self._block_masks(min(block, n - lo))
            step_masks = [
                mask[:, at : at + size] if draws else mask
                for mask, draws in zip(masks, self.dropouts, strict=True)
            ]
            saved: list = []
            out = ops.forward(self.net, x, step_masks, saved)
            losses, grad_out = ops.loss_and_gradient(task, out, y)
            ops.backward(self.net, self.grad_net, saved, grad_out)
            self.step += 1
            self._step(self.step)
            total.add_(losses, alpha=size)  # in float64, as the single trainer's float sum
        return (total / n).tolist()

    # --- training -----------------------------------------------------------------------
    def train(self, data, splits, device, patience, on_epoch, keep_going, stop) -> list:
        train, val, _ = splits
        self._layout(data.n_features, data.n_outputs)
        theta = self._init(device)
        members = len(self.genomes)
        self.results = [
            TrainResult("ok", params=parameter_count(g, self.dims[0], self.dims[-1]))
            for g in self.genomes
        ]
        self.best_theta = torch.zeros_like(theta)
        self.best_val = [math.inf] * members
        self.waited = [0] * members
        self.order_rngs = [torch.Generator().manual_seed(s) for s in self.seeds]
        self._activate(list(range(members)), device)
        self.m = torch.zeros(self.n_adam, self.size, device=device)
        # v never holds 0 (sqrt(0) is ~15x slower than a normal sqrt on this CPU): padded
        # entries start at 1 (their update stays exactly 0, as m does), real ones at V_FLOOR.
        real = self._real_mask(device)[: self.n_adam]
        self.v = torch.where(real > 0, ops.V_FLOOR, 1.0)
        self.buf = torch.zeros(members - self.n_adam, self.size, device=device)
        self._bind(theta)

        self.n_train = train.x.shape[0] if self.subsets is None else len(self.subsets[0][0])
        batch = max(1, min(self.genomes[0].batch_size, self.n_train))
        self.step, epoch = 0, 0
        self.val_x, self.val_y = self._rows(val, 1)  # kept in step with the active rows
        while self.rows:
            epoch += 1
            train_losses = self._epoch(train, data.task, batch)
            val_out = self._evaluate(self.net, self.val_x)
            val_losses = ops.candidate_losses(data.task, val_out, self.val_y).tolist()
            go_on = keep_going() if keep_going is not None else True
            stop[0] = stop[0] or not go_on
            keep = self._end_epoch(
                epoch,
                train_losses,
                val_losses,
                val_out,
                self.val_y,
                data.task,
                patience,
                on_epoch,
                go_on,
            )
            if len(keep) < len(self.rows):
                if not keep:
                    break
                self._compact(keep, device)
        self._finish(data.task, splits)
        return self.results

    def _end_epoch(
        self, epoch, train_losses, val_losses, val_out, val_y, task, patience, on_epoch, go_on
    ) -> list[int]:
        """The single trainer's end-of-epoch logic per row; returns the rows that go on."""
        keep: list[int] = []
        improved: list[int] = []
        val_metrics = metrics(task, val_out, val_y) if on_epoch is not None else None
        for r, member in enumerate(self.rows):
            result, genome = self.results[member], self.genomes[member]
            result.epochs = epoch
            train_loss, val_loss = train_losses[r], val_losses[r]
            error = non_finite_loss(train_loss, val_loss, epoch, genome)
            if error is not None:
                result.status, result.error = "failed", error
                continue
            result.train_losses.append(train_loss)
            result.val_losses.append(val_loss)
            if val_loss < self.best_val[member] - 1e-6:
                self.best_val[member], self.waited[member] = val_loss, 0
                improved.append(r)
            else:
                self.waited[member] += 1
            if on_epoch is not None:
                val_metric = val_metrics[r]

                def build(row=self.theta[r], member=member) -> nn.Module:
                    return self.model(row, member)

                index = self.indices[member]
                if on_epoch(index, epoch, train_loss, val_loss, val_metric, build) is False:
                    result.status = "cancelled"
                    continue
            if not go_on:
                result.status = "cancelled"
            elif self.waited[member] < patience and epoch < genome.epochs:
                keep.append(r)
        if improved:
            device = self.theta.device
            source = torch.tensor(improved, device=device)
            target = torch.tensor([self.rows[r] for r in improved], device=device)
            self.best_theta.index_copy_(0, target, self.theta.index_select(0, source))
        return keep

    def _finish(self, task: str, splits) -> None:
        """Metrics and weights from each candidate's best epoch, all members in one pass."""
        self._activate(list(range(len(self.genomes))), self.best_theta.device)
        net = self._net(self._views(self.best_theta))
        scores = []
        for split, which in zip(splits, (0, 1, None), strict=True):
            x, y = self._rows(split, which)
            scores.append(metrics(task, self._evaluate(net, x), y))
        for member, result in enumerate(self.results):
            if self.best_val[member] == math.inf:
                if result.status == "ok":
                    result.status, result.error = "failed", "no epoch finished"
                continue
            result.train_metric, result.val_metric, result.test_metric = (
                split_scores[member] for split_scores in scores
            )
            result.weights = safetensors_save(self.state_dict(self.best_theta[member], member))
