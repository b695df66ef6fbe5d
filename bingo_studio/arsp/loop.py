"""ARSP, adaptive reservoir sampling pruning: a PPO agent sizes per-layer reservoirs, then fine-tune.

1. From the trained model take |w| and the training-set gradient dL/dw of every prunable layer and
   fix each layer's keep-probabilities (``reservoir.keep_probabilities``).
2. An episode starts dense. At each step every layer (one agent, shared policy, layer id in the
   state) chooses shrink / stay / grow for its reservoir (density x0.7, x1, /0.7); each layer's
   reservoir is then redrawn and the masked model is measured on a validation batch.
   State per layer: one-hot layer id, mean |w| and mean |dL/dw| of the kept connections (over the
   layer's dense means) and the layer's sparsity. Reward (shared): ``accuracy - lambda * density``
   with lambda 0.1, gamma 0.99.
   Decision: the source writes ``accuracy - lambda * sparsity``; taken literally that penalises
   pruning and the agent's best move is to keep everything. As with BINGO's orientation
   (shared/design/method.md) we implement the intent, a reward for sparsity, and keep the literal
   form as ``reward="literal"``.
3. The configuration with the best reward the agent reached (its greedy rollout or any training
   episode) is kept, and the surviving weights are fine-tuned at a lower learning rate.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from bingo_studio.arsp.ppo import PPOAgent, PPOConfig, Trajectory
from bingo_studio.arsp.reservoir import keep_probabilities, loss_gradients, sample_reservoir
from bingo_studio.errors import UserError

ACTIONS = ("shrink", "stay", "grow")
REWARDS = ("intent", "literal")


@dataclass
class ARSPConfig:
    episodes: int = 40
    steps: int = 12  # decisions per layer in an episode
    episodes_per_update: int = 4
    shrink: float = 0.7  # a shrink multiplies a layer's density by this, a grow divides by it
    min_density: float = 0.002
    lam: float = 0.1
    reward: str = "intent"
    eval_batch: int = 512
    finetune_epochs: int = 5
    finetune_lr_factor: float = 0.1
    seed: int = 0
    ppo: PPOConfig = field(default_factory=PPOConfig)


class ReservoirEnv:
    """The pruning environment: per-layer densities, reservoirs drawn from fixed keep-probabilities."""

    def __init__(self, model: nn.Module, layers: dict[str, nn.Module], grads: dict[str, torch.Tensor],
                 x_eval: torch.Tensor, y_eval: torch.Tensor, cfg: ARSPConfig):
        if cfg.reward not in REWARDS:
            raise UserError(f"ARSP reward is one of {', '.join(REWARDS)}")
        self.model, self.cfg = model, cfg
        self.names = list(layers)
        self.params = {k: v.detach() for k, v in model.named_parameters()}
        self.weights = {n: layers[n].weight.detach() for n in self.names}
        self.grads = {n: grads[n].detach().abs() for n in self.names}
        self.probs = {n: keep_probabilities(self.weights[n], grads[n]) for n in self.names}
        self.sizes = torch.tensor([float(self.weights[n].numel()) for n in self.names])
        self.present = torch.tensor([float((self.weights[n] != 0).sum()) for n in self.names])
        self.x_eval, self.y_eval = x_eval, y_eval
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.density = torch.ones(len(self.names))
        self.masks: dict[str, torch.Tensor] = {}
        self.evaluations = 0

    @property
    def state_dim(self) -> int:
        return len(self.names) + 3

    def reset(self) -> torch.Tensor:
        self.density = self.present / self.sizes
        self.masks = {n: self.weights[n] != 0 for n in self.names}
        return self.states()

    def states(self) -> torch.Tensor:
        rows = []
        for i, n in enumerate(self.names):
            m = self.masks[n]
            w, g = self.weights[n].abs(), self.grads[n]
            kept = max(int(m.sum()), 1)
            mean_w = float((w * m).sum()) / kept / max(float(w.mean()), 1e-12)
            mean_g = float((g * m).sum()) / kept / max(float(g.mean()), 1e-12)
            onehot = [1.0 if j == i else 0.0 for j in range(len(self.names))]
            rows.append(onehot + [math.log1p(mean_w), math.log1p(mean_g), 1.0 - float(m.float().mean())])
        return torch.tensor(rows)

    @torch.no_grad()
    def step(self, actions: torch.Tensor) -> tuple[torch.Tensor, float, dict]:
        c = self.cfg
        factor = torch.tensor([c.shrink, 1.0, 1.0 / c.shrink])[actions]
        self.density = (self.density * factor).clamp(min=c.min_density).minimum(self.present / self.sizes)
        params = dict(self.params)
        for i, n in enumerate(self.names):
            k = max(1, round(float(self.density[i] * self.sizes[i])))
            self.masks[n] = sample_reservoir(self.probs[n], k, self.gen)
            params[f"{n}.weight"] = self.weights[n] * self.masks[n]
        logits = torch.func.functional_call(self.model, params, (self.x_eval,))
        acc = float((logits.argmax(1) == self.y_eval).float().mean())
        self.evaluations += 1
        kept = sum(int(m.sum()) for m in self.masks.values())
        density = kept / float(self.sizes.sum())
        penalty = density if c.reward == "intent" else 1.0 - density
        reward = acc - c.lam * penalty
        info = {"accuracy": acc, "sparsity": 1.0 - density, "densities": self.density.tolist(),
                "masks": {n: m.clone() for n, m in self.masks.items()}}
        return self.states(), reward, info


@dataclass
class ARSPResult:
    masks: dict[str, torch.Tensor]
    sparsity: float
    densities: dict[str, float]
    search_val_accuracy: float  # on the evaluation batch, before fine-tuning
    val_accuracy: float  # after fine-tuning
    test_accuracy: float
    episode_rewards: list[float]
    greedy_reward: float
    best_from: str  # "greedy rollout" or "episode N"
    ppo_seconds: float  # the agent's episodes and updates (environment evaluations included)
    evaluations: int
    ppo_updates: int
    finetune_seconds: float
    model: nn.Module = field(repr=False)

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k not in ("masks", "model")}


def arsp_search(model: nn.Module, layers: dict[str, nn.Module], dataset, cfg: ARSPConfig, state=None):
    """Steps 1-2: train the agent; returns (best info dict, env, agent, episode rewards, greedy reward)."""
    x_tr, y_tr = dataset.tensors("train")
    x_val, y_val = dataset.tensors("val")
    idx = torch.randperm(len(y_val), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.eval_batch]
    grads = loss_gradients(model, layers, x_tr, y_tr)
    env = ReservoirEnv(model, layers, grads, x_val[idx], y_val[idx], cfg)
    agent = PPOAgent(env.state_dim, len(ACTIONS), replace(cfg.ppo, seed=cfg.seed))
    best: dict = {"reward": -math.inf}
    rewards: list[float] = []
    batch: list[Trajectory] = []

    def rollout(greedy: bool, label: str) -> float:
        nonlocal best
        s = env.reset()
        trajs = [Trajectory() for _ in env.names]
        total = 0.0
        for _ in range(cfg.steps):
            a, logp, v = agent.act(s, greedy=greedy)
            s_next, r, info = env.step(a)
            for i, t in enumerate(trajs):
                t.add(s[i], a[i], logp[i], v[i], r)
            if r > best["reward"]:
                best = {"reward": r, "from": label, **info}
            s = s_next
            total += r
        if not greedy:
            batch.extend(trajs)
        return total

    for ep in range(cfg.episodes):
        if state is not None:
            state.check()
        rewards.append(rollout(False, f"episode {ep + 1}"))
        if (ep + 1) % cfg.episodes_per_update == 0 or ep + 1 == cfg.episodes:
            agent.update(batch)
            batch = []
    greedy = rollout(True, "greedy rollout")
    return best, env, agent, rewards, greedy


def run_arsp(run, cfg: ARSPConfig | None = None, state=None) -> ARSPResult:
    """ARSP on a trained run (any family; the source pairs it with binary layers)."""
    from bingo_studio.models import prunable_layers
    from bingo_studio.pruning.methods.base import plain_config
    from bingo_studio.training import train
    from bingo_studio.training.loop import evaluate

    cfg = cfg or ARSPConfig()
    ds = run.get_dataset()
    t0 = time.perf_counter()
    best, env, agent, rewards, greedy = arsp_search(run.model, run.layers, ds, cfg, state)
    ppo_seconds = time.perf_counter() - t0
    masks = {n: m.float() for n, m in best["masks"].items()}
    tuned_cfg = plain_config(run.config)
    tc = run.config.train
    tuned_cfg.train = replace(tc, epochs=cfg.finetune_epochs, lr=tc.lr * cfg.finetune_lr_factor, seed=tc.seed + 1)
    t1 = time.perf_counter()
    start = copy.deepcopy(run.model)
    if hasattr(start, "vanish_fraction"):
        start.vanish_fraction = 0.0  # a MAM model is fine-tuned as MAM, without re-blending the dense sum
    tuned = train(tuned_cfg, ds, model=start, masks=masks)
    finetune_seconds = time.perf_counter() - t1
    model = tuned.model
    total = sum(m.numel() for m in masks.values())
    kept = sum(int(m.sum()) for m in masks.values())
    layers = prunable_layers(model)
    return ARSPResult(
        masks=masks,
        sparsity=1.0 - kept / total,
        densities={n: float(masks[n].mean()) for n in layers},
        search_val_accuracy=best["accuracy"],
        val_accuracy=evaluate(model, *ds.tensors("val")),
        test_accuracy=evaluate(model, *ds.tensors("test")),
        episode_rewards=rewards,
        greedy_reward=greedy,
        best_from=best["from"],
        ppo_seconds=ppo_seconds,
        evaluations=env.evaluations,
        ppo_updates=agent.updates,
        finetune_seconds=finetune_seconds,
        model=model,
    )


def static_masks(layers: dict[str, nn.Module], sparsity: float, seed: int = 0) -> dict[str, torch.Tensor]:
    """The static-sparsity baseline's masks: the same sparsity in every layer, placed at random."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for n, m in layers.items():
        numel = m.weight.numel()
        keep = max(1, round((1.0 - sparsity) * numel))
        flat = torch.zeros(numel)
        flat[torch.randperm(numel, generator=gen)[:keep]] = 1.0
        out[n] = flat.reshape(m.weight.shape)
    return out
