"""Significance estimators: how a weight's score is built during training (a registry).

Every estimator keeps its state as flat tensors over all prunable weights (the order of
``bingo_studio.models.prunable_layers``) and answers two questions:
``importance(order)`` — higher means keep (the pruning order), and ``significance()`` — the
user-facing number, higher means more important, for plots.

The paper's estimator (Panangat, BINGO) stores ``S`` exactly as written:
``S_new = (S_prev + (1 - |A_before - A_after| / A_before)) / 2``, starting at 0.5. A weight whose
reset changes nothing gets S -> 1, yet the paper prunes "lowest significance first". We store S as
written and, by default, prune in the order that matches the paper's intent (high S, i.e. reset
changed nothing, goes first); ``order="literal"`` prunes lowest S first, as the text says.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from bingo_studio.bingo.search import SearchResult
from bingo_studio.config import ScoringConfig

ORDERS = ("intent", "literal")


class Scorer:
    """Base class; subclasses override the hooks they need."""

    name = "base"
    description = ""
    uses_search = True  # runs the lottery-ticket search after steps
    reset_to = "init"
    metric = "accuracy"
    search_from = 0.0  # the loop searches only after this share of training (and the config's start)
    search_stride = 1  # ... and at every search_stride-th search point of the config's cadence

    def __init__(self, layers: dict[str, nn.Module], init_weights: dict[str, torch.Tensor], cfg: ScoringConfig):
        self.layer_names = list(layers)
        self.layers = layers
        self.shapes = {n: tuple(m.weight.shape) for n, m in layers.items()}
        self.sizes = [m.weight.numel() for m in layers.values()]
        self.n_weights = sum(self.sizes)
        self.cfg = cfg
        self.count = torch.zeros(self.n_weights)  # how often each weight was reset

    # hooks called by the training loop
    def on_gradients(self, step: int, total_steps: int) -> None:
        """After backward, before the optimizer step (gradients are in .grad)."""

    def on_search(self, result: SearchResult) -> None:
        """After the lottery-ticket searches of a step."""

    # answers
    def flat_importance(self, order: str = "intent") -> torch.Tensor:
        raise NotImplementedError

    def flat_significance(self) -> torch.Tensor:
        return self.flat_importance("intent")

    def split(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        parts = torch.split(flat, self.sizes)
        return {n: p.reshape(self.shapes[n]) for n, p in zip(self.layer_names, parts)}

    def importance(self, order: str = "intent") -> dict[str, torch.Tensor]:
        if order not in ORDERS:
            raise ValueError(f"order is one of {ORDERS}")
        return self.split(self.flat_importance(order))

    def significance(self) -> dict[str, torch.Tensor]:
        return self.split(self.flat_significance())

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in vars(self).items() if isinstance(v, torch.Tensor)}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for k, v in state.items():
            mine = getattr(self, k, None)
            if isinstance(mine, torch.Tensor):
                if mine.shape != v.shape:
                    raise ValueError(f"score '{k}' has shape {tuple(v.shape)}, expected {tuple(mine.shape)}")
                setattr(self, k, v.to(mine.dtype))


def log_magnitude_taylor(w: torch.Tensor, taylor_mean: torch.Tensor) -> torch.Tensor:
    """The significance the live plot shows: log10 of |w| * sqrt(running mean |g*w|) (the
    magnitude-taylor estimate); one unit up = 10x more important. Weights at zero show as -12."""
    return torch.log10((w.abs() * taylor_mean.sqrt()).clamp(min=1e-12))


def _relative_change(result: SearchResult, metric: str) -> torch.Tensor:
    """|before - after| / |before| per subset, in [0, 1] (a change larger than the base clips)."""
    before = getattr(result, f"{metric}_before")
    after = getattr(result, f"{metric}_after")
    denom = max(abs(before), 1e-12)
    return ((after - before).abs() / denom).clamp(max=1.0).to(torch.float32)


class PaperScorer(Scorer):
    """BINGO as written: halving update of S toward 1 - relative change of the metric."""

    name = "paper"
    description = "the paper's score: accuracy change when a random subset is reset to init, halving update"

    def __init__(self, layers, init_weights, cfg, metric: str = "accuracy", reset_to: str = "init"):
        super().__init__(layers, init_weights, cfg)
        self.metric = metric
        self.reset_to = reset_to
        self.S = torch.full((self.n_weights,), 0.5)
        self.sum_change = torch.zeros(self.n_weights)

    def on_search(self, result: SearchResult) -> None:
        change = _relative_change(result, self.metric)  # (K,)
        m = result.subsets.shape[1]
        idx = result.subsets.reshape(-1)
        r = (1.0 - change).repeat_interleave(m)
        self.S[idx] = (self.S[idx] + r) / 2  # subsets of one step are disjoint (SubsetSampler)
        self.count[idx] += 1
        self.sum_change[idx] += change.repeat_interleave(m)

    def flat_importance(self, order: str = "intent") -> torch.Tensor:
        # intent: a weight whose reset changed the metric least (S high) is pruned first
        return self.S.clone() if order == "literal" else 1.0 - self.S

    def flat_significance(self) -> torch.Tensor:
        return 1.0 - self.S


class MeanChangeScorer(PaperScorer):
    """The paper's search, but each weight's score is the mean relative change over all its resets.

    The halving update lets the last 2-3 resets decide a score; averaging uses every reset.
    Weights never reset get the mean of the others (no information either way).
    """

    name = "mean-change"
    description = "mean |change| over all resets of a weight instead of the halving update"

    def flat_importance(self, order: str = "intent") -> torch.Tensor:
        seen = self.count > 0
        mean = torch.zeros(self.n_weights)
        mean[seen] = self.sum_change[seen] / self.count[seen]
        if (~seen).any():
            mean[~seen] = mean[seen].mean() if seen.any() else 0.0
        return -mean if order == "literal" else mean

    def flat_significance(self) -> torch.Tensor:
        return self.flat_importance("intent")


class NoScorer(Scorer):
    """Plain training: no searches, no gradient statistics (the baseline the overhead is measured on)."""

    name = "none"
    description = "no scoring: plain training (for baselines, IMP and random pruning)"
    uses_search = False

    def flat_importance(self, order: str = "intent") -> torch.Tensor:
        return torch.zeros(self.n_weights)


class TrainTimeScorer(Scorer):
    """Significance gathered during the one training run from the gradients the steps already
    compute, checked by BINGO's lottery-ticket searches (reset to zero, the change in validation loss).

    Candidates (all flat, higher = keep), averaged over the last three quarters of training:
      ``taylor``    mean |g * w|: first-order loss change of removing the weight (Molchanov et al.)
      ``obd``       w^2 * mean g^2: second-order estimate with the Fisher diagonal (LeCun's OBD)
      ``magnitude`` |w| at the end of training
      ``magnitude-taylor`` |w| * sqrt(mean |g * w|): magnitude weighed by the Taylor estimate
      ``search``    mean relative loss change over the random resets to zero of each weight
                    (shown for comparison; measured to prune far less than the others)
    Every search also records, for each candidate, the subset's summed estimate beside the loss
    change it really measured; ``check()`` reports how well each candidate predicts the
    measurements (rank correlation), i.e. the searches are used to check the cheap estimates.
    ``flat_importance`` is the candidate named by ``primary``; the pruning method "bingo" may
    instead choose among the candidates on the validation curve (see pruning/methods/bingo.py).
    """

    name = "train-time"
    description = "train-time Taylor/OBD/magnitude significance checked by loss searches (reset to zero)"
    reset_to = "zero"
    metric = "loss"
    CANDIDATES = ("magnitude-taylor", "obd", "taylor", "magnitude")  # "bingo" chooses among these
    # share of training after which gradient statistics are collected: before the least share dense
    # training runs when the ladder starts early (training/loop.MIN_DENSE_SHARE)
    gradient_from = 0.25
    gradient_every = 2
    early_stride = 4  # before gradient_from, only the shown significance is updated, every 4th gathering step
    recent_decay = 0.9
    # the searches check the gradient estimates where they are gathered, at an eighth of the configured
    # cadence: they decide no cut, and this leaves the ladder its share of the cost (benchmarks/curve_vs_imp.py)
    search_from = 0.25
    search_stride = 8

    def __init__(self, layers, init_weights, cfg, primary: str = "magnitude-taylor", select: bool = True):
        super().__init__(layers, init_weights, cfg)
        self.primary = primary
        self.select = select  # let the "bingo" pruning method choose a candidate on validation
        self.grad_sum = torch.zeros(self.n_weights)
        self.grad_sq = torch.zeros(self.n_weights)
        self.taylor_abs = torch.zeros(self.n_weights)
        self.grad_steps = torch.zeros(1)
        self.taylor_recent = torch.zeros(self.n_weights)
        self.sum_change = torch.zeros(self.n_weights)
        # per search: the measured relative loss change and each candidate's summed prediction
        self.check_measured = torch.zeros(0)
        self.check_predicted = torch.zeros(0, len(self.CANDIDATES))

    def _flat(self, attr: str) -> torch.Tensor:
        return torch.cat([getattr(m.weight, attr).detach().reshape(-1) for m in self.layers.values()])

    def on_gradients(self, step: int, total_steps: int) -> None:
        # every other step is enough for a mean and halves the (small) cost
        early = step < int(self.gradient_from * total_steps)
        if step % (self.gradient_every * (self.early_stride if early else 1)):
            return
        if any(m.weight.grad is None for m in self.layers.values()):
            return
        g = self._flat("grad")
        w = self._flat("data")
        taylor = (g * w).abs()
        # a running mean from the first steps on, so the significance shown is measured from epoch 1
        self.taylor_recent.mul_(self.recent_decay).add_(taylor, alpha=1 - self.recent_decay)
        if early:
            return
        self.grad_sum += g
        self.grad_sq += g * g
        self.taylor_abs += taylor
        self.grad_steps += 1

    def on_search(self, result: SearchResult) -> None:
        change = _relative_change(result, self.metric)
        m = result.subsets.shape[1]
        idx = result.subsets.reshape(-1)
        self.count[idx] += 1
        self.sum_change[idx] += change.repeat_interleave(m)
        if self.grad_steps.item() > 0:  # check the cheap estimates against this measurement
            sub = result.subsets
            w = self._flat("data")[sub]
            taylor = self.taylor_abs[sub]
            pred = torch.stack([
                (w.abs() * taylor.sqrt()).sum(1), (w * w * self.grad_sq[sub]).sum(1), taylor.sum(1), w.abs().sum(1),
            ], 1)  # the order of CANDIDATES; constant factors (1 / steps) do not change rank correlations
            self.check_measured = torch.cat([self.check_measured, change])
            self.check_predicted = torch.cat([self.check_predicted, pred])

    def candidates(self, include_search: bool = True) -> dict[str, torch.Tensor]:
        n = max(self.grad_steps.item(), 1.0)
        w = self._flat("data")
        taylor = self.taylor_abs / n
        out = {
            "magnitude-taylor": w.abs() * taylor.sqrt(),
            "obd": w * w * self.grad_sq / n,
            "taylor": taylor,
            "magnitude": w.abs(),
        }
        if include_search:
            seen = self.count > 0
            mean = torch.zeros(self.n_weights)
            mean[seen] = self.sum_change[seen] / self.count[seen]
            if (~seen).any():
                mean[~seen] = mean[seen].mean() if seen.any() else 0.0
            out["search"] = mean
        return out

    def check(self) -> dict[str, float]:
        """Rank correlation between each candidate's summed estimate and the measured changes."""
        if len(self.check_measured) < 3:
            return {}
        def ranks(x):
            return torch.argsort(torch.argsort(x)).double()
        out = {}
        r_m = ranks(self.check_measured)
        for j, c in enumerate(self.CANDIDATES):
            r_p = ranks(self.check_predicted[:, j])
            out[c] = float(torch.corrcoef(torch.stack([r_m, r_p]))[0, 1])
        return out

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        state = dict(state)
        for k in ("check_measured", "check_predicted"):  # their length is the number of searches
            if k in state:
                setattr(self, k, state.pop(k).float())
        super().load_state_dict(state)

    def flat_importance(self, order: str = "intent") -> torch.Tensor:
        imp = self.candidates(include_search=self.primary == "search")[self.primary]
        return -imp if order == "literal" else imp

    def flat_significance(self) -> torch.Tensor:
        """What drives pruning, shown from the first epoch (log_magnitude_taylor of the recent steps)."""
        return log_magnitude_taylor(self._flat("data"), self.taylor_recent)


ESTIMATORS: dict[str, tuple[str, Callable[..., Scorer]]] = {
    "paper": (PaperScorer.description, lambda l, i, c: PaperScorer(l, i, c)),
    "paper-loss": (
        "the paper's update on the relative change in validation loss instead of accuracy",
        lambda l, i, c: PaperScorer(l, i, c, metric="loss"),
    ),
    "paper-margin": (
        "the paper's update on the relative change in the correct-class margin",
        lambda l, i, c: PaperScorer(l, i, c, metric="margin"),
    ),
    "paper-zero": (
        "the paper's update, but resetting subsets to zero (what pruning really does)",
        lambda l, i, c: PaperScorer(l, i, c, reset_to="zero"),
    ),
    "mean-loss-zero": (
        "mean relative loss change over all resets to zero",
        lambda l, i, c: MeanChangeScorer(l, i, c, metric="loss", reset_to="zero"),
    ),
    "none": (NoScorer.description, lambda l, i, c: NoScorer(l, i, c)),
    "train-time": (TrainTimeScorer.description, lambda l, i, c: TrainTimeScorer(l, i, c)),
}


def make_scorer(cfg: ScoringConfig, layers: dict[str, nn.Module], init_weights: dict[str, torch.Tensor]) -> Scorer:
    from bingo_studio.errors import UserError

    if cfg.estimator not in ESTIMATORS:
        raise UserError(f"unknown estimator '{cfg.estimator}'; choose one of {', '.join(ESTIMATORS)}")
    scorer = ESTIMATORS[cfg.estimator][1](layers, init_weights, cfg)
    scorer.name = cfg.estimator
    return scorer
