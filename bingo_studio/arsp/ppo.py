"""A compact PPO (Schulman et al. 2017) for small discrete action spaces, in plain torch.

Actor and critic share a small trunk. ``update`` takes one batch of rollouts, computes
generalised advantage estimates (gamma, lambda) per trajectory and runs a few epochs of the
clipped surrogate objective with a value-function loss and an entropy bonus. Sized for ARSP's
agent (a handful of layers, a few hundred decisions per update): no vectorised environments,
no replay, nothing to configure beyond the usual knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.distributions import Categorical


@dataclass
class PPOConfig:
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    lr: float = 3e-3
    epochs: int = 4
    minibatch: int = 64
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    hidden: int = 32
    seed: int = 0


class ActorCritic(nn.Module):
    def __init__(self, state_dim: int, n_actions: int, hidden: int = 32):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(state_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.policy = nn.Linear(hidden, n_actions)
        self.value = nn.Linear(hidden, 1)
        nn.init.zeros_(self.policy.weight)  # start from the uniform policy
        nn.init.zeros_(self.policy.bias)

    def forward(self, s: torch.Tensor) -> tuple[Categorical, torch.Tensor]:
        h = self.trunk(s)
        return Categorical(logits=self.policy(h)), self.value(h).squeeze(-1)


@dataclass
class Trajectory:
    """One agent's decisions in one episode, in order."""

    states: list[torch.Tensor] = field(default_factory=list)
    actions: list[int] = field(default_factory=list)
    logps: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)

    def add(self, state, action, logp, value, reward) -> None:
        self.states.append(state)
        self.actions.append(int(action))
        self.logps.append(float(logp))
        self.values.append(float(value))
        self.rewards.append(float(reward))


class PPOAgent:
    def __init__(self, state_dim: int, n_actions: int, cfg: PPOConfig | None = None):
        self.cfg = cfg or PPOConfig()
        torch.manual_seed(self.cfg.seed)
        self.net = ActorCritic(state_dim, n_actions, self.cfg.hidden)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=self.cfg.lr)
        self.gen = torch.Generator().manual_seed(self.cfg.seed)
        self.updates = 0

    @torch.no_grad()
    def act(self, states: torch.Tensor, greedy: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Actions, their log-probabilities and the state values for a (n, state_dim) batch."""
        dist, value = self.net(states)
        if greedy:
            actions = dist.probs.argmax(-1)
        else:
            actions = torch.multinomial(dist.probs, 1, generator=self.gen).squeeze(-1)
        return actions, dist.log_prob(actions), value

    def advantages(self, traj: Trajectory) -> tuple[torch.Tensor, torch.Tensor]:
        """GAE advantages and the returns the critic is fitted to (the episode ends at its last step)."""
        c = self.cfg
        adv = torch.zeros(len(traj.rewards))
        running = 0.0
        for t in reversed(range(len(traj.rewards))):
            next_value = traj.values[t + 1] if t + 1 < len(traj.values) else 0.0
            delta = traj.rewards[t] + c.gamma * next_value - traj.values[t]
            running = delta + c.gamma * c.gae_lambda * running
            adv[t] = running
        return adv, adv + torch.tensor(traj.values)

    def update(self, trajectories: list[Trajectory]) -> dict[str, float]:
        c = self.cfg
        parts = [self.advantages(t) for t in trajectories]
        states = torch.stack([s for t in trajectories for s in t.states])
        actions = torch.tensor([a for t in trajectories for a in t.actions])
        old_logp = torch.tensor([lp for t in trajectories for lp in t.logps])
        adv = torch.cat([a for a, _ in parts])
        returns = torch.cat([r for _, r in parts])
        adv = (adv - adv.mean()) / (adv.std() + 1e-8) if len(adv) > 1 else adv
        n = len(actions)
        stats = {"policy_loss": 0.0, "value_loss": 0.0, "entropy": 0.0}
        batches = 0
        for _ in range(c.epochs):
            perm = torch.randperm(n, generator=self.gen)
            for b in range(0, n, c.minibatch):
                idx = perm[b : b + c.minibatch]
                dist, value = self.net(states[idx])
                ratio = torch.exp(dist.log_prob(actions[idx]) - old_logp[idx])
                surr = torch.min(ratio * adv[idx], ratio.clamp(1 - c.clip, 1 + c.clip) * adv[idx])
                policy_loss = -surr.mean()
                value_loss = (value - returns[idx]).pow(2).mean()
                entropy = dist.entropy().mean()
                loss = policy_loss + c.value_coef * value_loss - c.entropy_coef * entropy
                self.opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), 0.5)
                self.opt.step()
                stats["policy_loss"] += policy_loss.item()
                stats["value_loss"] += value_loss.item()
                stats["entropy"] += entropy.item()
                batches += 1
        self.updates += 1
        return {k: v / max(batches, 1) for k, v in stats.items()}
