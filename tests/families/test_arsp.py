"""ARSP: keep-probabilities by the formula, weighted reservoirs, PPO learning, the whole loop."""

import pytest
import torch

from bingo_studio.arsp import (
    ARSPConfig,
    PPOAgent,
    PPOConfig,
    ReservoirEnv,
    Trajectory,
    keep_probabilities,
    loss_gradients,
    run_arsp,
    sample_reservoir,
    static_masks,
)


def test_keep_probabilities_follow_the_formula():
    w = torch.tensor([[0.5, -1.0, 0.0], [2.0, -0.25, 1.0]])
    g = torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.05, -1.0]])
    raw = (w.abs() / w.abs().sum()) / g.abs()
    p = keep_probabilities(w, g)
    assert torch.allclose(p, raw / raw.sum())
    assert p[0, 2] == 0.0  # a pruned weight is never kept
    # a zero gradient is guarded: large but finite
    g0 = g.clone()
    g0[1, 0] = 0.0
    p0 = keep_probabilities(w, g0)
    assert torch.isfinite(p0).all() and p0[1, 0] == p0.max()
    guard = 1e-3 * g0.abs().mean()
    assert p0[1, 0] / p0[0, 0] == pytest.approx(float((2.0 / guard) / (0.5 / 0.1)), rel=1e-4)


def test_reservoir_draws_k_by_weight():
    p = torch.tensor([0.5, 0.3, 0.2, 0.0])
    gen = torch.Generator().manual_seed(0)
    for k in (1, 2, 3, 4):
        m = sample_reservoir(p, k, gen)
        assert int(m.sum()) == min(k, 3) and not m[3]
    counts = torch.zeros(4)
    for _ in range(4000):
        counts += sample_reservoir(p, 1, gen)
    assert torch.allclose(counts / 4000, p, atol=0.03)  # one draw is chosen with probability p


class Corridor:
    """Toy environment: a density that the actions shrink/keep/grow; reward is -|density - 0.3|."""

    def __init__(self):
        self.d = 1.0

    def reset(self):
        self.d = 1.0
        return torch.tensor([[self.d]])

    def step(self, a):
        self.d = min(1.0, max(0.0, self.d + (-0.1, 0.0, 0.1)[int(a[0])]))
        return torch.tensor([[self.d]]), -abs(self.d - 0.3)


def test_ppo_improves_its_reward_on_a_toy_environment():
    env = Corridor()
    agent = PPOAgent(1, 3, PPOConfig(seed=0, lr=1e-2))
    totals = []
    for _ in range(30):
        trajs = []
        for _ in range(4):
            s, t, total = env.reset(), Trajectory(), 0.0
            for _ in range(12):
                a, logp, v = agent.act(s)
                s2, r = env.step(a)
                t.add(s[0], a[0], logp[0], v[0], r)
                s, total = s2, total + r
            trajs.append(t)
            totals.append(total)
        agent.update(trajs)
    first, last = sum(totals[:8]) / 8, sum(totals[-8:]) / 8
    assert last > first + 1.0  # from a random walk near the start to walking down to 0.3 and staying
    s, greedy = env.reset(), 0.0
    for _ in range(12):
        a, _, _ = agent.act(s, greedy=True)
        s, r = env.step(a)
        greedy += r
    assert greedy > first


def test_environment_reward_is_accuracy_minus_lambda_density(binary_run, digits):
    x, y = digits.tensors("val")
    grads = loss_gradients(binary_run.model, binary_run.layers, *digits.tensors("train"))
    cfg = ARSPConfig(seed=0)
    env = ReservoirEnv(binary_run.model, binary_run.layers, grads, x, y, cfg)
    env.reset()
    _, reward, info = env.step(torch.tensor([0, 0, 1]))  # shrink fc0 and fc1, keep fc2
    assert info["densities"] == pytest.approx([0.7, 0.7, 1.0])
    assert reward == pytest.approx(info["accuracy"] - 0.1 * (1 - info["sparsity"]))
    literal = ReservoirEnv(binary_run.model, binary_run.layers, grads, x, y, ARSPConfig(reward="literal"))
    literal.reset()
    _, r2, info2 = literal.step(torch.tensor([0, 0, 1]))
    assert r2 == pytest.approx(info2["accuracy"] - 0.1 * info2["sparsity"])


def test_run_arsp_prunes_and_fine_tunes(binary_run):
    res = run_arsp(binary_run, ARSPConfig(episodes=4, steps=6, episodes_per_update=2, finetune_epochs=1))
    kept = sum(int(m.sum()) for m in res.masks.values())
    total = sum(m.numel() for m in res.masks.values())
    assert res.sparsity == pytest.approx(1 - kept / total)
    for name, layer in res.model.named_modules():
        if name in res.masks:
            assert torch.all(layer.weight[res.masks[name] == 0] == 0)
    assert res.ppo_updates == 2 and res.evaluations == 4 * 6 + 6
    assert 0.0 <= res.val_accuracy <= 1.0


def test_static_masks_share_the_sparsity_in_every_layer(binary_run):
    masks = static_masks(binary_run.layers, 0.75, seed=0)
    for name, m in masks.items():
        assert int(m.sum()) == round(0.25 * binary_run.layers[name].weight.numel())


def test_arsp_command_saves_a_pruned_run_that_loads(binary_run, tmp_path, capsys):
    import argparse

    from bingo_studio.cli.arsp_commands import register
    from bingo_studio.errors import UserError
    from bingo_studio.runs import load_run, load_tensors, save_run

    src = save_run(binary_run, tmp_path / "run")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    a = parser.parse_args(["arsp", str(src), "--out", str(tmp_path / "pruned"), "--episodes", "2", "--steps", "3",
                           "--finetune-epochs", "1"])
    assert a.func(a) == 0
    assert "ARSP: sparsity" in capsys.readouterr().out
    pruned = load_run(tmp_path / "pruned")
    masks = load_tensors(tmp_path / "pruned" / "mask.pt")
    for name, layer in pruned.layers.items():
        assert torch.all(layer.weight[~masks[name]] == 0)
    bad = parser.parse_args(["arsp", str(src), "--episodes", "0"])
    with pytest.raises(UserError):
        bad.func(bad)
