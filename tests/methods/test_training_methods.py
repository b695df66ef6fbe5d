"""Methods that train again (IMP, random masks, fine-tuning) on real digits, with short runs."""

from dataclasses import replace

import pytest
import torch

from bingo_studio.config import RunConfig, TrainConfig
from bingo_studio.models import build_model, prunable_layers
from bingo_studio.pruning.methods import TRAINING_METHODS
from bingo_studio.pruning.methods.random_ratio import erk_densities, snip_counts
from bingo_studio.training import TaskState

SHORT = 6  # epochs of every network these tests train


@pytest.fixture(scope="module")
def short_cfg(cfg):
    return RunConfig(cfg.dataset, cfg.model, TrainConfig(epochs=SHORT, seed=0), cfg.scoring)


def test_imp_masks_are_nested_and_survivors_rewound_to_init(digits, short_cfg):
    imp = replace(TRAINING_METHODS["imp"], max_rounds=3)
    rounds = []
    reports = []
    result = imp.run(short_cfg, digits, 0.0, TaskState(reports.append),
                     on_round=lambda r, masks, run: rounds.append((masks, run)))
    assert len(rounds) == 3 and result.training_runs == 4
    torch.manual_seed(0)  # the initialisation every round rewinds to
    init = {n: m.weight.detach() for n, m in prunable_layers(build_model(short_cfg.model, 64, 10)).items()}
    previous = None
    for r, (masks, run) in enumerate(rounds, start=1):
        kept = sum(int(m.sum()) for m in masks.values())
        total = sum(m.numel() for m in masks.values())
        assert kept == pytest.approx(total * 0.8**r, abs=3)
        if previous is not None:
            assert all(torch.all(masks[n] <= previous[n]) for n in masks)  # nested: never regrown
        for n, m in masks.items():
            start = run.initial_state[f"{n}.weight"]
            assert torch.equal(start[m], init[n][m])  # survivors start from their initial values
            assert torch.all(start[~m] == 0) and torch.all(getattr(run.model, n).weight[~m] == 0)
        previous = masks
    assert any(p.phase.startswith("imp round 3") for p in reports)
    assert result.sparsity == pytest.approx(1 - 0.8**3, abs=1e-3)


def test_imp_stops_at_the_floor_and_can_be_cancelled(digits, short_cfg, floor):
    imp = replace(TRAINING_METHODS["imp"], rate=0.5)  # fewer rounds for the test
    result = imp.run(short_cfg, digits, floor)
    assert result.floor_met and result.val_accuracy >= floor
    last_sparsity, last_val = result.points[-1]
    assert last_val < floor and last_sparsity > result.sparsity  # the round that fell under is discarded
    state = TaskState()
    state.cancel()
    cancelled = imp.run(short_cfg, digits, floor, state)
    assert cancelled.notes == "cancelled" and cancelled.training_runs == 1


def test_erk_densities_follow_the_formula():
    shapes = {"fc0": (300, 784), "fc1": (100, 300), "fc2": (10, 100)}
    sizes = {n: a * b for n, (a, b) in shapes.items()}
    for density in (0.05, 0.2, 0.5):
        d = erk_densities(shapes, density)
        kept = sum(d[n] * sizes[n] for n in shapes)
        assert kept == pytest.approx(density * sum(sizes.values()))
        free = [n for n in shapes if d[n] < 1.0]
        ratios = {n: d[n] / ((sum(shapes[n])) / sizes[n]) for n in free}
        assert max(ratios.values()) == pytest.approx(min(ratios.values()))  # one scale for every free layer
        assert all(v <= 1.0 for v in d.values())
    assert erk_densities(shapes, 0.5)["fc2"] == 1.0  # the small output layer is capped at dense


def test_snip_ratio_keeps_snips_layer_counts_but_not_its_positions(digits, cfg):
    method = TRAINING_METHODS["random-snip"]
    masks = method.masks(cfg, digits, 0.8)
    counts = snip_counts(cfg, digits, 0.2)
    assert {n: int(m.sum()) for n, m in masks.items()} == counts
    assert len(set(counts.values())) > 1 and counts != {n: round(0.2 * m.numel()) for n, m in masks.items()}
    # SNIP's own choice: the top 20% of |w * g|; the random placement overlaps it only by chance
    torch.manual_seed(0)
    model = build_model(cfg.model, digits.n_features, digits.n_classes)
    x, y = digits.tensors("train")
    idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))[:256]
    torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
    layers = prunable_layers(model)
    n = "fc0"
    sens = (layers[n].weight * layers[n].weight.grad).abs()
    top = torch.zeros_like(masks[n]).reshape(-1)
    top[torch.argsort(sens.reshape(-1), descending=True)[: counts[n]]] = True
    overlap = float((masks[n].reshape(-1) & top).sum()) / counts[n]
    assert overlap < 0.5


@pytest.mark.parametrize("method", ["random-uniform", "random-erk", "random-snip"])
def test_random_ratio_methods_meet_the_floor_and_count_their_runs(method, digits, cfg, floor):
    m = replace(TRAINING_METHODS[method], runs=2)  # probes at 50%, then 25% or 75%
    result = m.run(cfg, digits, floor)
    assert result.training_runs == 2 and len(result.points) == 2
    assert result.floor_met and result.val_accuracy >= floor and result.sparsity > 0
    kept = sum(int(v.sum()) for v in result.masks.values())
    assert kept == pytest.approx((1 - result.sparsity) * sum(v.numel() for v in result.masks.values()))


def test_fine_tune_prunes_at_least_the_one_shot_share_and_meets_the_floor(digits, cfg, default_run, floor):
    from bingo_studio.pruning.methods import plan_for

    ft = replace(TRAINING_METHODS["bingo+ft"], probes=2)
    result = ft.run(cfg, digits, floor, base_run=default_run)
    one_shot = plan_for(default_run, "bingo").prune(floor)
    assert result.sparsity >= one_shot.sparsity and result.val_accuracy >= floor
    assert result.training_runs == pytest.approx(2 * ft.epochs / cfg.train.epochs)


def test_gradual_pruning_during_training_meets_the_floor_in_one_run(digits, cfg, floor):
    result = TRAINING_METHODS["bingo-gradual"].run(cfg, digits, floor)
    assert result.training_runs == 1 and result.floor_met and result.val_accuracy >= floor
    assert result.sparsity > 0.3  # measured ~0.8 with seed 0
    sparsities = [s for s, _ in result.points]
    assert sparsities == sorted(sparsities)  # pruned weights never come back
    assert mask_share(result.masks) == pytest.approx(1 - result.sparsity)


def mask_share(masks):
    return sum(int(m.sum()) for m in masks.values()) / sum(m.numel() for m in masks.values())
