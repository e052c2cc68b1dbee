"""The arithmetic of a stack of MLPs: forward, hand-written backward, optimizer steps.

Rows are candidates. Backpropagation is written out instead of left to autograd because at
these sizes autograd's bookkeeping (graph nodes, zero-filled gradient buffers, accumulation,
a cat/split per mixed-activation layer, an autograd graph for the loss) costs as much as the
arithmetic: here every gradient is copied once into the optimizer's flat gradient buffer (no
zero-fill, no accumulation), each activation is applied to its rows' slices instead of a
cat, and the loss gradient is a closed form. The activation kernels are the
ones `torch.nn` and autograd use (`tanh` / `tanh_backward`, ...), so the numbers agree with a
single candidate's training up to the order of float additions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

_aten = torch.ops.aten
_nn = torch._C._nn

Forward = Callable[[torch.Tensor, torch.Tensor], object]  # (z, out)
Backward = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], object]


@dataclass(frozen=True)
class Activation:
    """`model._ACTIVATIONS`' modules as out= kernels: forward(z, out), backward(g, z, y, out)."""

    forward: Forward
    backward: Backward
    zero_at_zero: bool = True  # f(0) == 0, so a padded unit stays 0 without a mask


# Default arguments match `torch.nn`'s modules (LeakyReLU slope 0.01, ELU alpha 1, exact GELU).
ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(
        lambda z, o: torch.clamp_min(z, 0, out=o),
        lambda g, z, y, o: _aten.threshold_backward.grad_input(g, y, 0, grad_input=o),
    ),
    "tanh": Activation(
        lambda z, o: torch.tanh(z, out=o),
        lambda g, z, y, o: _aten.tanh_backward.grad_input(g, y, grad_input=o),
    ),
    "sigmoid": Activation(
        lambda z, o: torch.sigmoid(z, out=o),
        lambda g, z, y, o: _aten.sigmoid_backward.grad_input(g, y, grad_input=o),
        zero_at_zero=False,
    ),
    "gelu": Activation(
        lambda z, o: _nn.gelu(z, out=o),
        lambda g, z, y, o: _aten.gelu_backward.grad_input(g, z, grad_input=o),
    ),
    "leaky_relu": Activation(
        lambda z, o: _nn.leaky_relu(z, 0.01, out=o),
        lambda g, z, y, o: _aten.leaky_relu_backward.grad_input(g, z, 0.01, False, grad_input=o),
    ),
    "elu": Activation(
        lambda z, o: _nn.elu(z, 1.0, 1, 1, out=o),
        lambda g, z, y, o: _aten.elu_backward.grad_input(g, 1.0, 1, 1, False, z, grad_input=o),
    ),
    "silu": Activation(
        lambda z, o: _nn.silu(z, out=o),
        lambda g, z, y, o: _aten.silu_backward.grad_input(g, z, grad_input=o),
    ),
    "identity": Activation(lambda z, o: o.copy_(z), lambda g, z, y, o: o.copy_(g)),
}

Runs = list[tuple[Activation, int, int]]  # (activation, first row, row count)
Params = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: weight (P, in, out), bias (P, 1, out)
Exits = list[tuple[int, int, int]]  # (depth, first row, row count) of the rows of each depth


def runs_of(names: list[str]) -> Runs:
    """Maximal runs of rows with the same activation."""
    runs: Runs = []
    for row, name in enumerate(names):
        if runs and runs[-1][0] is ACTIVATIONS[name]:
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((ACTIVATIONS[name], row, 1))
    return runs


@dataclass(frozen=True)
class Mix:
    """One hidden layer's activations over its rows, as runs of rows with equal activations.
    Where one activation's rows lie scattered (the stack is ordered by earlier layers), the rows
    are gathered into activation order first (`order`) and back after (`restore`): two gathers
    in each direction cost less than a kernel call per short run."""

    runs: Runs
    order: torch.Tensor | None = None
    restore: torch.Tensor | None = None


def mix_of(names: list[str], device: torch.device | str = "cpu") -> Mix:
    runs = runs_of(names)
    order = sorted(range(len(names)), key=lambda row: names[row])  # stable
    grouped = runs_of([names[row] for row in order])
    if len(runs) - len(grouped) < 3:
        return Mix(runs)
    index = torch.tensor(order, device=device)
    restore = torch.empty_like(index)
    restore[index] = torch.arange(len(order), device=device)
    return Mix(grouped, index, restore)


def activate(mix: Mix, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z, y) in the mix's row order, for `activate_backward`, and y in the stack's order."""
    if mix.order is None:
        y = _apply(mix.runs, "forward", torch.empty_like(z), z)
        return z, y, y
    z = z.index_select(0, mix.order)
    y = _apply(mix.runs, "forward", torch.empty_like(z), z)
    return z, y, y.index_select(0, mix.restore)


def activate_backward(mix: Mix, dy: torch.Tensor, z: torch.Tensor, y: torch.Tensor):
    """d/dz in the stack's order, given dy in the stack's order and `activate`'s (z, y)."""
    if mix.order is None:
        return _apply(mix.runs, "backward", torch.empty_like(z), dy, z, y)
    dy = dy.index_select(0, mix.order)
    dz = _apply(mix.runs, "backward", torch.empty_like(z), dy, z, y)
    return dz.index_select(0, mix.restore)


def _apply(runs: Runs, kernel: str, out: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
    """Run each activation's forward or backward kernel on its rows, writing into `out`."""
    if len(runs) == 1:
        getattr(runs[0][0], kernel)(*args, out)
        return out
    sizes = [count for _, _, count in runs]
    pieces = zip(*(tensor.split_with_sizes(sizes) for tensor in (*args, out)), strict=True)
    for (activation, _, _), views in zip(runs, pieces, strict=True):
        getattr(activation, kernel)(*views)
    return out


@dataclass(frozen=True)
class Shape:
    """Which rows use which layers. Rows are ordered deepest first, so hidden layer k runs on
    the first `counts[k]` rows, and the rows of one depth d, a block `exits[i]`, leave after d
    hidden layers through their own output layer, `heads[i]`."""

    mixes: list[Mix]  # per hidden layer, over its rows
    counts: list[int]
    exits: Exits


@dataclass(frozen=True)
class Net:
    """A stack's layers sliced to the rows that use them, once per set of active rows rather
    than every step (at these sizes a slice or transpose costs about as much as a kernel):
    per hidden layer and per exit (head), (weight, bias, weight transposed)."""

    hidden: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
    heads: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
    shape: Shape
    rows: int


def bind(hidden: Params, heads: Params, shape: Shape) -> Net:
    """`hidden` layers and `heads` (one per exit, in the order of `shape.exits`) bound to the
    rows of `shape`."""

    def sliced(w: torch.Tensor, b: torch.Tensor, lo: int, n: int):
        w, b = w[lo : lo + n], b[lo : lo + n]
        return w, b, w.transpose(1, 2)

    return Net(
        [sliced(w, b, 0, n) for (w, b), n in zip(hidden, shape.counts, strict=True)],
        [sliced(w, b, lo, n) for (w, b), (_, lo, n) in zip(heads, shape.exits, strict=True)],
        shape,
        sum(n for _, _, n in shape.exits),
    )


def _first(t: torch.Tensor, lo: int, n: int) -> torch.Tensor:
    """Rows [lo, lo + n) of `t`, without a slice where that is all of it."""
    return t if lo == 0 and n == t.shape[0] else t[lo : lo + n]


def forward(
    net: Net,
    x: torch.Tensor,
    masks: Sequence[torch.Tensor | None],
    saved: list | None = None,
) -> torch.Tensor:
    """Outputs (P, outputs, rows) for inputs (P, rows, features) or shared (rows, features).

    `masks[k]` (broadcast to (counts[k], rows, width)) multiplies hidden layer k's activations:
    the 0/1 unit mask of padded units and/or dropout. With `saved` a list, what backward needs
    goes there.
    """
    inputs = [x if x.dim() == 3 else x.expand(net.rows, *x.shape)]  # inputs[k]: layer k's
    layers = zip(net.hidden, net.shape.mixes, masks, net.shape.counts, strict=True)
    for (w, b, _), mix, mask, n in layers:
        h = _first(inputs[-1], 0, n)
        z, y_mixed, y = activate(mix, torch.baddbmm(b, h, w))
        if saved is not None:
            saved.append((h, z, y_mixed, mask))
        inputs.append(y if mask is None else y * mask)
    heads_in = [_first(inputs[depth], lo, n) for depth, lo, n in net.shape.exits]
    if saved is not None:
        saved.append(heads_in)
    outs = [torch.baddbmm(b, h, w) for (w, b, _), h in zip(net.heads, heads_in, strict=True)]
    out = outs[0] if len(outs) == 1 else torch.cat(outs)
    # Handed out as (P, outputs, rows), the layout in which log_softmax over a few classes is
    # ~10x faster; the copy is tiny (a transposed matmul instead would cost 3x the head's).
    return out.transpose(1, 2).contiguous()


def backward(net: Net, grads: Net, saved: list, grad_out: torch.Tensor) -> None:
    """Write d(sum of losses)/d(parameters) into `grads` (`net`'s gradients, bound alike),
    given d/d(outputs) (P, outputs, rows). Rows that do not use a layer leave its gradient rows
    untouched."""
    heads_in = saved[-1]
    grad_out = grad_out.transpose(1, 2).contiguous()  # (P, rows, outputs), as the heads' output
    from_head: dict[int, torch.Tensor] = {}  # depth d -> d/d(inputs[d]) of that depth's rows
    heads = zip(net.heads, grads.heads, net.shape.exits, heads_in, strict=True)
    for (_, _, wt), (gw, gb, _), (depth, lo, n), h in heads:
        g = _first(grad_out, lo, n)
        # bmm into a strided `out=` falls back to one matmul per row: compute, then copy.
        gw.copy_(torch.bmm(h.transpose(1, 2), g))
        torch.sum(g, 1, keepdim=True, out=gb)
        if depth:
            from_head[depth] = torch.bmm(g, wt)
    dh = None  # d/d(output of layer k) of the rows that go deeper than k + 1
    for k in range(len(net.hidden) - 1, -1, -1):
        h, z, y, mask = saved[k]
        parts = [part for part in (dh, from_head.get(k + 1)) if part is not None]
        dy = parts[0] if len(parts) == 1 else torch.cat(parts)
        if mask is not None:
            dy = dy * mask
        dz = activate_backward(net.shape.mixes[k], dy, z, y)
        gw, gb, _ = grads.hidden[k]
        gw.copy_(torch.bmm(h.transpose(1, 2), dz))
        torch.sum(dz, 1, keepdim=True, out=gb)
        if k:
            dh = torch.bmm(dz, net.hidden[k][2])


def candidate_losses(task: str, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean loss per candidate of outputs (P, outputs, rows), as `trainer.loss_function`."""
    rows, _, batch = outputs.shape
    y = y.expand(rows, batch)
    if task == "classification":
        return F.cross_entropy(outputs, y, reduction="none").mean(1)
    return F.mse_loss(outputs[:, 0], y, reduction="none").mean(1)


def loss_and_gradient(task: str, outputs: torch.Tensor, y: torch.Tensor):
    """Per-candidate mean losses (P,) and d(their sum)/d(outputs), written out: at these sizes
    an autograd graph for the loss costs more than the loss."""
    batch = outputs.shape[2]
    if task == "classification":
        # Cross-entropy: loss = -mean(log p[target]); gradient = (softmax - one_hot) / batch.
        logp = torch.log_softmax(outputs, 1)
        target = y.unsqueeze(1)
        losses = logp.gather(1, target).mean(2).squeeze(1).neg_()
        grad = logp.exp_()
        grad.scatter_add_(1, target, torch.full(target.shape, -1.0, device=grad.device))
        return losses, grad.div_(batch)
    diff = outputs[:, 0] - y  # mean squared error: gradient = 2 (output - y) / batch
    return diff.square().mean(1), diff.mul_(2.0 / batch).unsqueeze(1)


# torch.optim's defaults, as `trainer.make_optimizer` uses them.
BETA1, BETA2, EPS, MOMENTUM = 0.9, 0.999, 1e-8, 0.9
# Lower bound kept in Adam's v instead of 0 (a dead ReLU unit's v stays 0 under torch.optim):
# sqrt(0) takes a slow path on x86 CPUs, ~15x slower than a normal value. Adding <= 1e-30
# leaves every v >= 2e-23 bit-identical and moves sqrt(v) by <= 1e-15, against eps * sqrt(bc2)
# >= 3e-10 in the denominator: below float32 resolution of the update.
V_FLOOR = 1e-30


@torch.no_grad()
def adam_step(
    p: torch.Tensor,
    g: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    step: int,
    inv_lr: torch.Tensor,
    l2: torch.Tensor | None,
    decay: torch.Tensor | None,
) -> None:
    """torch.optim.Adam / AdamW on rows, with per-row 1 / lr, L2 and decay columns (P, 1)."""
    if l2 is not None:  # Adam: weight decay added to the gradient
        g = g.addcmul(p, l2)
    if decay is not None:  # AdamW: param *= 1 - lr * wd
        p.mul_(decay)
    m.lerp_(g, 1 - BETA1)
    v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
    # p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
    #    = m / ((sqrt(v) + eps * sqrt(bc2)) * (-bc1 / (lr * sqrt(bc2)))): the per-row factor
    # goes into the denominator, as in torch.optim's capturable branch; two passes fewer.
    bc2_sqrt = (1 - BETA2**step) ** 0.5
    denom = v.sqrt().add_(EPS * bc2_sqrt).mul_(inv_lr * (-(1 - BETA1**step) / bc2_sqrt))
    p.addcdiv_(m, denom)


@torch.no_grad()
def sgd_step(
    p: torch.Tensor,
    g: torch.Tensor,
    buf: torch.Tensor,
    neg_lr: torch.Tensor,
    wd: torch.Tensor | None,
) -> None:
    """torch.optim.SGD(momentum=0.9, nesterov=True) on rows, with per-row lr and weight decay."""
    if wd is not None:
        g = g.addcmul(p, wd)
    # A zero buffer's first update equals torch's "buffer = first gradient".
    torch.add(g, buf, alpha=MOMENTUM, out=buf)
    p.addcmul_(g.add(buf, alpha=MOMENTUM), neg_lr)
