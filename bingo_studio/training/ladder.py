"""The ladder: after the dense epochs of the one run, a curve of deployable networks.

Dense training ends when validation stops improving (LadderConfig.patience) or after all the
epochs; the epochs it did not need join the ladder's budget, so a network that learns fast spends
its run pruning and recovering rather than repeating itself. The ladder then starts from the dense
epoch best on validation (training/loop.py), not from the epochs past it.

Each rung removes ``rate`` of the surviving weights (as IMP's rounds do, but without rewinding or
retraining from scratch): the significance BINGO gathered decides what goes, the estimates are
tried on validation and the one that loses least is kept (a search over structured subsets), the
survivors then recover with the pruned weights held at zero, in chunks of half an epoch (200 steps
at most) until validation is back within ``start_drop`` of the target (at most six chunks or two
epochs); after each chunk a running average of the weights replaces them when it validates better,
and the recovered network is stored with its mask. A rung that recovered at once lets the next
remove more (up to MAX_RATE); one that did not sets a lower target, held from there in small steps
at twice the learning rate. The first rung starts at the sparsest level one-shot pruning of the dense network
reaches at almost no loss, so the recovery steps are spent where they pay. The steps of all rungs
together are at most ``recovery`` x the run's own steps plus those of the epochs dense training
left (LadderConfig).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from bingo_studio.bingo.estimators import log_magnitude_taylor
from bingo_studio.errors import UserError
from bingo_studio.models import prunable_layers
from bingo_studio.pruning.masks import apply_masks, flatten, ones_like_weights, prune_lowest, unflatten
from bingo_studio.pruning.schedule import geometric
from bingo_studio.training.evaluate import evaluate
from bingo_studio.training.task import Progress, TaskState

# the estimates a rung may choose among (train-time estimator); other estimators rank by their own score
CANDIDATES = ("magnitude-taylor", "obd", "taylor", "magnitude", "estimator")
CHUNKS_PER_EPOCH = 2  # recovery runs in chunks of this share of an epoch, validation checked after each
CHUNK_STEPS = 200  # ...and of at most this many steps: a rung recovers in steps, not epochs (Fashion-MNIST's
# half epoch is 800 steps; chunks of 200 kept 0.94x IMP's weights at -7 points against 2.55x)
MAX_CHUNKS = 6  # at most this many chunks for one rung...
MAX_RUNG_EPOCHS = 2  # ...and at most this many epochs (small datasets, whose chunks are half an epoch: with the
# weight average, MNIST-5k seeds 0-11 and digits seeds 0-8 kept fewer weights than with 3 epochs or 1.5)
LATE_LR = 2.0  # once a rung fails to recover in time, recovery goes on at this x the learning rate
MAX_RATE = 0.35  # the largest share of the survivors one rung removes
SIGNIFICANCE_EVERY = 4  # recovery steps between updates of the running gradient statistics...
EMA = 0.64  # ...and the weight of the past in them (0.8 a step pair before: the same memory, half the cost)
AVERAGE_EVERY = 2  # recovery steps between updates of the running average of the weights...
AVERAGE_SPAN = 0.25  # ...which remembers about this share of a chunk (see _WeightAverage)


@dataclass
class Rung:
    masks: dict[str, torch.Tensor]  # True = kept
    state: dict[str, torch.Tensor]  # the recovered network's parameters (pruned weights are zero)
    importance: torch.Tensor  # flat significance after recovery (higher = keep): refines towards the next rung
    val_accuracy: float
    candidate: str  # the estimate that chose this rung's cut

    @property
    def pruned(self) -> int:
        return sum(int((~m).sum()) for m in self.masks.values())


@dataclass
class Ladder:
    rungs: list[Rung]
    steps: int  # recovery steps spent, in all
    seconds: float  # CPU seconds of this process the ladder took

    def to_tensors(self) -> dict[str, torch.Tensor]:
        """Compact: masks are nested, so one tensor says at which rung each weight went; each rung
        stores only its surviving weights' values and significance, and its other parameters."""
        first = self.rungs[0].masks
        pruned_at = torch.zeros(sum(m.numel() for m in first.values()), dtype=torch.int16)
        out: dict[str, torch.Tensor] = {}
        for k, rung in enumerate(self.rungs, 1):
            keep = flatten(rung.masks)
            pruned_at[(~keep) & (pruned_at == 0)] = k
            weights = flatten({n: rung.state[f"{n}.weight"] for n in rung.masks})
            out[f"rung{k}.values"] = weights[keep].clone()
            out[f"rung{k}.importance"] = rung.importance[keep].clone()
            for name, t in rung.state.items():
                if name.removesuffix(".weight") not in rung.masks:
                    out[f"rung{k}.param.{name}"] = t.clone()
        out["pruned_at"] = pruned_at
        out["val_accuracy"] = torch.tensor([r.val_accuracy for r in self.rungs], dtype=torch.float64)
        out["candidate"] = torch.tensor([CANDIDATES.index(r.candidate) for r in self.rungs])
        out["meta"] = torch.tensor([self.steps, self.seconds], dtype=torch.float64)
        return out

    @classmethod
    def from_tensors(cls, data: dict, model: torch.nn.Module) -> Ladder:
        """The ladder of ``model``'s architecture; a file that does not fit it is refused (UserError)."""
        try:
            layers = prunable_layers(model)
            like = {n: m.weight.detach() for n, m in layers.items()}
            pruned_at = data["pruned_at"].long()
            if pruned_at.numel() != sum(t.numel() for t in like.values()):
                raise ValueError("mask size does not match the model")
            rungs = []
            for k in range(1, len(data["val_accuracy"]) + 1):
                keep = (pruned_at == 0) | (pruned_at > k)
                flat = torch.zeros(len(keep), dtype=torch.float32)
                flat[keep] = data[f"rung{k}.values"]
                imp = torch.full((len(keep),), -torch.inf, dtype=data[f"rung{k}.importance"].dtype)
                imp[keep] = data[f"rung{k}.importance"]
                state = {}
                for name, t in model.state_dict().items():
                    layer = name.removesuffix(".weight")
                    if layer in like and name.endswith(".weight"):
                        continue
                    state[name] = data[f"rung{k}.param.{name}"]
                    if state[name].shape != t.shape:
                        raise ValueError(f"{name} has shape {tuple(state[name].shape)}")
                weights = unflatten(flat, like)
                state.update({f"{n}.weight": w for n, w in weights.items()})
                rungs.append(Rung(unflatten(keep, like), state, imp, float(data["val_accuracy"][k - 1]),
                                  CANDIDATES[int(data["candidate"][k - 1])]))
            steps, seconds = data["meta"].tolist()
        except (KeyError, ValueError, RuntimeError, IndexError, TypeError) as e:
            raise UserError(f"the run's ladder.pt does not fit its model ({e})") from None
        return cls(rungs, int(steps), seconds)


class _Significance:
    """What decides each cut: the estimator's own scores, refreshed during recovery from the gradients
    those steps compute (running means of |g*w| and g^2 for the train-time estimates)."""

    def __init__(self, scorer, layers):
        self.layers = layers
        self.gradient = hasattr(scorer, "taylor_abs")
        if self.gradient:
            n = max(float(scorer.grad_steps), 1.0)
            self.taylor = scorer.taylor_abs / n
            self.grad_sq = scorer.grad_sq / n
            # per-layer views into the flat running means: updated in place, no concatenation a step
            sizes = [m.weight.numel() for m in layers.values()]
            self._views = list(zip(layers.values(), self.taylor.split(sizes), self.grad_sq.split(sizes)))
        else:
            self.fixed = scorer.flat_importance("intent").double()

    def update(self) -> None:
        if not self.gradient:
            return
        for layer, taylor, grad_sq in self._views:
            g, w = layer.weight.grad.reshape(-1), layer.weight.detach().reshape(-1)
            taylor.mul_(EMA).add_((g * w).abs(), alpha=1 - EMA)
            grad_sq.mul_(EMA).add_(g * g, alpha=1 - EMA)

    def shown(self, run, masks: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
        """Per layer, the significance the live plot shows during training (the same units), for the
        survivors; pruned weights are NaN."""
        if self.gradient:
            flat = log_magnitude_taylor(flatten({n: m.weight.detach() for n, m in self.layers.items()}), self.taylor)
        else:
            flat = run.scorer.flat_significance().double()
        flat = torch.where(flatten(masks), flat.double(), torch.nan)
        return {n: t.numpy().copy() for n, t in unflatten(flat, masks).items()}

    def candidates(self) -> dict[str, torch.Tensor]:
        if not self.gradient:
            return {"estimator": self.fixed}
        w = flatten({n: m.weight.detach() for n, m in self.layers.items()})
        return {
            "magnitude-taylor": w.abs() * self.taylor.sqrt(),
            "obd": w * w * self.grad_sq,
            "taylor": self.taylor.clone(),
            "magnitude": w.abs(),
        }


class _WeightAverage:
    """A running average of the weights over the last quarter of a chunk of recovery. Constant-rate
    steps jitter around a minimum; their average often sits nearer to it. After each chunk the average
    replaces the weights when it validates better, and recovery goes on from there (MNIST-5k seeds 0-11:
    weights kept at -1/-2 points from 1.55x/1.04x IMP's to 1.11x/0.88x; benchmarks/curve_vs_imp.py)."""

    def __init__(self, model, chunk: int):
        self.names, self.params = zip(*model.named_parameters())
        self.average = [p.detach().clone() for p in self.params]
        self.rate = 1 - (1 - 1 / max(1.0, AVERAGE_SPAN * chunk)) ** AVERAGE_EVERY  # memory: a span of steps

    @torch.no_grad()
    def restart(self) -> None:
        """From the weights as they are (a new rung's cut)."""
        torch._foreach_copy_(self.average, [p.detach() for p in self.params])

    @torch.no_grad()
    def update(self) -> None:
        torch._foreach_lerp_(self.average, [p.detach() for p in self.params], self.rate)

    @torch.no_grad()
    def keep_if_better(self, model, x_val, y_val, val: float) -> float:
        """The validation accuracy of the better of the weights and their average, which the model then holds."""
        averaged = evaluate(model, x_val, y_val, dict(zip(self.names, self.average)))
        if averaged <= val:
            return val
        torch._foreach_copy_(self.params, self.average)
        return averaged


def _masked_accuracy(model, layers, masks, x, y) -> float:
    params = {f"{n}.weight": layers[n].weight.detach() * masks[n] for n in masks}
    return evaluate(model, x, y, {**dict(model.named_parameters()), **params})


# Kept over the complexity limit: the ladder loop: cut, recover, keep or stop; its steps share the optimiser
# state and the budget
def grow_ladder(run, cfg, dataset, state: TaskState | None = None, optimizer_state: dict | None = None,  # noqa: C901
                extra_epochs: int = 0) -> Ladder:
    """The ladder of a trained dense run (``run.model`` is left as it is). ``optimizer_state``: the
    training's optimizer, continued (its moments); ``extra_epochs``: the epochs dense training left,
    added to the budget. Cancelling keeps the rungs done."""
    from bingo_studio.training.optimizers import OPTIMIZERS
    from bingo_studio.training.task import TaskCancelled

    state = state or TaskState()
    lc, tc = cfg.ladder, cfg.train
    start, cpu = time.perf_counter(), time.process_time()
    model = copy.deepcopy(run.model)
    model.eval()
    layers = prunable_layers(model)
    total = sum(m.weight.numel() for m in layers.values())
    x_tr, y_tr = dataset.tensors("train")
    x_val, y_val = dataset.tensors("val")
    significance = _Significance(run.scorer, layers)
    masks = ones_like_weights(layers)
    dense_val = evaluate(model, x_val, y_val)

    def cut(sparsity: float) -> tuple[str, dict[str, torch.Tensor], float]:
        """The estimate whose cut to ``sparsity`` loses least on validation (first listed on ties)."""
        best = None
        for name, scores in significance.candidates().items():
            new = prune_lowest(unflatten(scores, masks), masks, total_pruned=int(round(sparsity * total)))
            acc = _masked_accuracy(model, layers, new, x_val, y_val)
            if best is None or acc > best[2]:
                best = (name, new, acc)
        return best

    levels = geometric(lc.rate, lc.rate, lc.max_sparsity)
    lo, hi = 0, len(levels)  # bisection: the sparsest level one-shot reaches at almost no loss; rungs start there
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if cut(levels[mid])[2] >= dense_val - lc.start_drop - 1e-9 else (lo, mid)
    s = levels[lo]
    steps_per_epoch = (len(y_tr) + tc.batch_size - 1) // tc.batch_size
    budget = max(1, int(round((lc.recovery * tc.epochs + extra_epochs) * steps_per_epoch)))
    if extra_epochs:
        state.report(Progress("ladder", 0.0, f"validation stopped improving after epoch {tc.epochs - extra_epochs}: "
                                             f"the ladder takes the {extra_epochs} epochs left",
                              val_accuracy=dense_val, elapsed=time.perf_counter() - start))
    chunk = max(1, min(steps_per_epoch // CHUNKS_PER_EPOCH, CHUNK_STEPS))
    max_chunks = min(MAX_CHUNKS, -(-MAX_RUNG_EPOCHS * steps_per_epoch // chunk))
    opt = OPTIMIZERS[tc.optimizer](model.parameters(), tc)
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)
    shuffle = torch.Generator().manual_seed(tc.seed + 1)
    order, pos = torch.randperm(len(y_tr), generator=shuffle), 0
    rungs: list[Rung] = []
    steps, rate, target = 0, lc.rate, dense_val - lc.start_drop

    average = _WeightAverage(model, chunk)

    def recover(n: int) -> None:
        nonlocal order, pos, steps
        model.train()
        for step in range(n):
            if pos >= len(order):
                order, pos = torch.randperm(len(y_tr), generator=shuffle), 0
            idx = order[pos : pos + tc.batch_size]
            pos += tc.batch_size
            loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if step % SIGNIFICANCE_EVERY == 0:
                significance.update()
            opt.step()
            apply_masks(layers, kept)
            if step % AVERAGE_EVERY == 0:
                average.update()
            steps += 1
        model.eval()

    try:
        while steps < budget:
            state.check()
            name, masks, val = cut(s)
            kept = {n: m.to(layers[n].weight.dtype) for n, m in masks.items()}  # converted once a rung
            apply_masks(layers, kept)
            average.restart()
            # recover until validation is back at the target, or the rung's share of the budget is spent
            chunks = 0
            while val < target - 1e-9 and chunks < max_chunks and steps < budget:
                recover(min(chunk, budget - steps))
                chunks += 1
                val = average.keep_if_better(model, x_val, y_val, evaluate(model, x_val, y_val))
            imp = significance.candidates()[name].double()
            imp[~flatten(masks)] = -torch.inf
            rungs.append(Rung({n: m.clone() for n, m in masks.items()},
                              {k: v.detach().clone() for k, v in model.state_dict().items()}, imp, val, name))
            state.report(Progress("ladder", min(1.0, steps / budget),
                                  f"ladder rung {len(rungs)}: {s:.1%} pruned, validation {val:.2%}",
                                  val_accuracy=val, elapsed=time.perf_counter() - start,
                                  significance=significance.shown(run, masks),
                                  pruned={n: float((~m).sum()) / m.numel() for n, m in masks.items()}))
            if val < dense_val - lc.max_drop or s >= lc.max_sparsity:
                break
            if val >= target - lc.start_drop - 1e-9:  # recovered (within the tolerance): further if it came easily
                rate = min(MAX_RATE, rate * 1.5) if chunks <= 1 and len(rungs) > 1 else rate  # (rung 1 is free)
                target = min(target, val)
            else:  # not recovered in time: hold this accuracy from here, in small steps, and learn faster
                target, rate = val, lc.rate
                for group in opt.param_groups:  # (measured: -7 points on MNIST-5k kept 1.10x IMP's weights, not 1.47x)
                    group["lr"] = tc.lr * LATE_LR
            s = min(lc.max_sparsity, 1 - (1 - s) * (1 - rate))
    except TaskCancelled:
        pass
    return Ladder(rungs, steps, time.process_time() - cpu)
