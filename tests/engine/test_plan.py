"""Pruning plans on a trained digits run: the floor is met, orders differ as measured."""

import pytest
import torch

from bingo_studio.pruning.methods import plan_for
from bingo_studio.pruning.plan import PruningPlan


@pytest.fixture(scope="module")
def floor(digits_run):
    return digits_run.metrics["dense_val_accuracy"] - 0.07


def test_prune_to_floor_meets_the_floor_and_stops_at_its_edge(digits_run, floor):
    plan = plan_for(digits_run, "bingo")
    result = plan.prune(floor)
    assert result.floor_met and result.val_accuracy >= floor
    assert plan.accuracy_at(result.n_pruned) == pytest.approx(result.val_accuracy)
    # one more weight would take validation accuracy under the floor (the bisection's edge)
    assert plan.accuracy_at(result.n_pruned + 1) < floor
    per_layer = sum(layer["pruned"] for layer in result.per_layer.values())
    assert per_layer == result.n_pruned == sum(int((~m).sum()) for m in result.masks.values())


def test_applied_model_is_pruned_through_torch_prune_with_our_masks(digits_run, floor):
    plan = plan_for(digits_run, "gmp")
    n = plan.count_for_floor(floor)[0]
    pruned = plan.apply(n)
    for name, mask in plan.masks_for(n).items():
        w = getattr(pruned, name).weight
        assert torch.all(w[~mask] == 0)
        assert torch.equal(w[mask], getattr(digits_run.model, name).weight[mask])
        assert not hasattr(getattr(pruned, name), "weight_mask")  # prune.remove made it permanent


def test_lookup_is_the_grid_point_under_the_exact_answer(digits_run, floor):
    plan = plan_for(digits_run, "gmp")
    quick = plan.lookup(floor)
    exact, _ = plan.count_for_floor(floor)
    assert quick["pruned_weights"] <= exact < quick["pruned_weights"] + 0.011 * plan.total
    assert quick["val_accuracy"] >= floor


def test_intent_order_prunes_more_than_the_literal_order(digits_run, floor):
    """The paper's formula read literally removes the weights whose reset hurt most first."""
    intent = plan_for(digits_run, "bingo", order="intent").prune(floor)
    literal = plan_for(digits_run, "bingo", order="literal").prune(floor)
    assert intent.sparsity > literal.sparsity + 0.03


def test_magnitude_beats_the_paper_score_as_measured(digits_run, floor):
    """Honest baseline: one-shot global magnitude prunes far more than the paper's score."""
    paper = plan_for(digits_run, "bingo").prune(floor)
    gmp = plan_for(digits_run, "gmp").prune(floor)
    assert gmp.sparsity > paper.sparsity + 0.15


def test_tied_scores_are_broken_by_seed_not_by_memory_order(digits_run, digits):
    flat = {n: torch.zeros_like(m.weight) for n, m in digits_run.layers.items()}
    a = PruningPlan(digits_run.model, flat, digits, seed=0).order
    b = PruningPlan(digits_run.model, flat, digits, seed=1).order
    assert not torch.equal(a, b) and not torch.equal(a, torch.arange(len(a)))


def test_dense_model_below_the_floor_prunes_nothing(digits_run):
    result = plan_for(digits_run, "gmp").prune(1.01)
    assert not result.floor_met and result.n_pruned == 0
