"""Training with BINGO scoring: one run, the significance of every weight gathered on the way."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from bingo_studio.bingo.estimators import make_scorer
from bingo_studio.bingo.search import LotteryTicketSearch, SubsetSampler
from bingo_studio.config import RunConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.errors import UserError
from bingo_studio.models import build_model, prunable_layers
from bingo_studio.training.evaluate import accuracy_and_loss, evaluate
from bingo_studio.training.optimizers import OPTIMIZERS
from bingo_studio.training.run import Run
from bingo_studio.training.task import Progress, TaskCancelled, TaskState


# Kept over the complexity limit: the one training loop: epochs, steps, searches, cancel and saving share its
# local state
def train(  # noqa: C901
    cfg: RunConfig,
    dataset: Dataset,
    state: TaskState | None = None,
    on_epoch: Callable[[object], None] | None = None,
    model: nn.Module | None = None,
    masks: dict[str, torch.Tensor] | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
):
    """Train ``cfg.model`` on ``dataset`` with BINGO scoring; returns a ``Run``.

    ``on_epoch(run)`` is called with the run so far after every epoch (the CLI and GUI save it
    there, so an interrupted run keeps its last good state). A cancel request ends training
    between steps and returns the run with status "cancelled". ``masks`` (1 keep, 0 pruned)
    keep pruned weights at zero throughout, for methods that train a sparse network;
    ``init_state`` restarts from given weights (rewinding).
    """
    state = state or TaskState()
    tc, sc = cfg.train, cfg.scoring
    if tc.epochs < 1 or tc.batch_size < 1 or tc.lr <= 0:
        raise UserError("epochs and batch size must be at least 1 and the learning rate positive")
    if tc.optimizer not in OPTIMIZERS:
        raise UserError(f"unknown optimizer '{tc.optimizer}'; choose one of {', '.join(OPTIMIZERS)}")
    torch.manual_seed(tc.seed)
    if model is None:
        model = build_model(cfg.model, dataset.n_features, dataset.n_classes)
    if init_state is not None:
        model.load_state_dict(init_state)
    layers = prunable_layers(model)
    if masks is not None:
        _apply_masks(layers, masks)
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    init_weights = {n: initial[f"{n}.weight"] for n in layers}

    x_tr, y_tr = dataset.tensors("train")
    x_val, y_val = dataset.tensors("val")
    gen = torch.Generator().manual_seed(sc.seed)
    eval_idx = torch.randperm(len(y_val), generator=gen)[: sc.eval_batch]
    x_eval, y_eval = x_val[eval_idx], y_val[eval_idx]

    scorer = make_scorer(sc, layers, init_weights)
    search = None
    if scorer.uses_search:
        search = LotteryTicketSearch(
            model, layers, init_weights, scorer.reset_to, accuracy_only=scorer.metric == "accuracy"
        )
    sampler = None
    if search is not None and sc.searches_per_step > 0:
        m = max(1, round(sc.subset_fraction * search.n_weights))
        k = min(sc.searches_per_step, search.n_weights // m)
        sampler = SubsetSampler(search.n_weights, m, gen), k

    opt = OPTIMIZERS[tc.optimizer](model.parameters(), tc)
    steps_per_epoch = (len(y_tr) + tc.batch_size - 1) // tc.batch_size
    total = steps_per_epoch * tc.epochs
    # an estimator may search only late in training and less often than the settings (its own cost budget)
    search_from = int(max(sc.start_fraction, scorer.search_from) * total)
    search_every = sc.every * scorer.search_stride
    ladder = grows_ladder(cfg, masks, init_state)
    # of the progress bar: the rest is the ladder's (more of it when dense training ends early)
    share = 1.0 / (1.0 + cfg.ladder.recovery) if ladder else 1.0
    run = Run(config=cfg, model=model, initial_state=initial, scorer=scorer, dataset=dataset)
    run.masks = masks
    shuffle = torch.Generator().manual_seed(tc.seed)
    start = time.perf_counter()
    step = 0
    best = (-1.0, 0, {})  # validation accuracy, epoch and weights of the best dense epoch (for the ladder)
    try:
        for epoch in range(1, tc.epochs + 1):
            model.train()
            order = torch.randperm(len(y_tr), generator=shuffle)
            loss_sum = 0.0
            for b in range(steps_per_epoch):
                state.check()
                idx = order[b * tc.batch_size : (b + 1) * tc.batch_size]
                loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                scorer.on_gradients(step, total)
                opt.step()
                if masks is not None:
                    _apply_masks(layers, masks)
                step += 1
                if hasattr(model, "on_train_step"):  # a model's own schedule (MAM: vanishing contributions)
                    model.on_train_step(step, total)
                loss_sum += loss.item()
                if sampler is not None and step > search_from and step % search_every == 0:
                    scorer.on_search(search.run(sampler[0].take(sampler[1]), x_eval, y_eval))
                if b % max(1, steps_per_epoch // 10) == 0:
                    elapsed = time.perf_counter() - start
                    state.report(Progress(
                        "train", share * step / total, f"epoch {epoch}/{tc.epochs}", epoch, tc.epochs, step, total,
                        loss.item(), elapsed=elapsed, eta=elapsed / step * (total - step),
                    ))
            model.eval()
            val_accuracy, val_loss = accuracy_and_loss(model, x_val, y_val)
            record = {
                "epoch": epoch,
                "loss": loss_sum / steps_per_epoch,
                "train_accuracy": evaluate(model, x_tr, y_tr),
                "val_accuracy": val_accuracy,
                "val_loss": val_loss,
                "seconds": time.perf_counter() - start,
            }
            run.history.append(record)
            run.status = "complete" if epoch == tc.epochs else f"training (epoch {epoch} of {tc.epochs})"
            elapsed = time.perf_counter() - start
            state.report(Progress(
                "train", share * step / total, f"epoch {epoch}/{tc.epochs} done", epoch, tc.epochs, step, total,
                record["loss"], record["train_accuracy"], record["val_accuracy"], elapsed,
                elapsed / step * (total - step),
                significance={n: t.numpy().copy() for n, t in scorer.significance().items()},
            ))
            run.train_seconds = elapsed
            if ladder and val_accuracy > best[0]:
                best = (val_accuracy, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
            if ladder and epoch < tc.epochs and _stopped_improving(run.history, cfg):
                run.status = "complete"  # the epochs left are the ladder's
                # ...which starts from the epoch best on validation, not from the ones past it (MNIST-5k seeds
                # 0-11: -1 point went from 1.55x to 1.13x IMP's weights; benchmarks/curve_vs_imp.py)
                model.load_state_dict(best[2])
                run.metrics["dense_epoch"] = best[1]
            if on_epoch is not None:
                on_epoch(run)
            if run.status == "complete":
                break
    except TaskCancelled:
        run.status = "cancelled"
    model.eval()
    if run.status == "complete" and ladder:
        from bingo_studio.pruning.methods.base import sub_state  # (pruning imports this module)
        from bingo_studio.training.ladder import grow_ladder

        run.ladder = grow_ladder(run, cfg, dataset, sub_state(state, share * step / total, 1.0, "ladder"),
                                 opt.state_dict(), extra_epochs=run.epochs_left_to_ladder)
    run.train_seconds = time.perf_counter() - start
    run.finish_metrics()
    return run


MIN_DENSE_SHARE = 0.3  # dense training runs at least this share of the epochs before the ladder may start


def _stopped_improving(history: list[dict], cfg: RunConfig) -> bool:
    """Neither validation accuracy nor validation loss has beaten its best for ``patience`` epochs
    (after the least dense share): from here the run's steps prune and recover instead (measured:
    benchmarks/curve_vs_imp.py). Both: on a small validation set accuracy stalls in steps while the
    loss still falls, and the loss may rise (over-confidence) while accuracy still climbs."""
    patience = cfg.ladder.patience
    if not patience or len(history) < MIN_DENSE_SHARE * cfg.train.epochs:
        return False
    accs = [h["val_accuracy"] for h in history]
    losses = [h["val_loss"] for h in history]
    since_acc = len(accs) - 1 - accs.index(max(accs))
    since_loss = len(losses) - 1 - losses.index(min(losses))
    return min(since_acc, since_loss) >= patience


def grows_ladder(cfg: RunConfig, masks, init_state) -> bool:
    """The ladder follows a dense, scored training from scratch (not IMP's rounds or sparse retraining)."""
    return (cfg.ladder.recovery > 0 and masks is None and init_state is None and cfg.scoring.estimator != "none"
            and (cfg.model.family or "dense") == "dense")


@torch.no_grad()
def _apply_masks(layers: dict[str, nn.Module], masks: dict[str, torch.Tensor]) -> None:
    for name, mask in masks.items():
        layers[name].weight.mul_(mask.to(layers[name].weight.dtype))
