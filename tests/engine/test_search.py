"""The lottery-ticket search: batched evaluation equals real resets; the paper's update."""

import torch

from bingo_studio.bingo.estimators import PaperScorer
from bingo_studio.bingo.search import LotteryTicketSearch, SearchResult, SubsetSampler
from bingo_studio.config import ModelConfig, ScoringConfig
from bingo_studio.models import build_model, prunable_layers


def _moved_model(n_features, hidden, seed=0):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(preset="custom", hidden=hidden), n_features, 10).double()
    layers = prunable_layers(model)
    init = {n: m.weight.detach().clone() for n, m in layers.items()}
    with torch.no_grad():  # as if trained: weights far from their initial values
        for m in layers.values():
            m.weight.mul_(2.5).add_(0.2 * torch.randn_like(m.weight))
    return model, layers, init


def test_batched_search_equals_one_forward_per_reset_subset(digits):
    x, y = digits.tensors("val")
    x = x.double()
    for reset_to in ("init", "zero"):
        model, layers, init = _moved_model(digits.n_features, [32, 16])
        search = LotteryTicketSearch(model, layers, init, reset_to)
        sampler = SubsetSampler(search.n_weights, 150, torch.Generator().manual_seed(1))
        subsets = sampler.take(6)
        fast = search.run(subsets, x, y)
        slow = search.run_reference(subsets, x, y)
        assert fast.accuracy_before == slow.accuracy_before
        assert torch.equal(fast.accuracy_after, slow.accuracy_after)
        torch.testing.assert_close(fast.loss_after, slow.loss_after)
        torch.testing.assert_close(fast.margin_after, slow.margin_after)
        # resets of 150 moved weights must really change something
        assert (fast.loss_after - fast.loss_before).abs().min() > 0


def test_scores_from_batched_and_looped_search_are_identical(digits):
    x, y = digits.tensors("val")
    model, layers, init = _moved_model(digits.n_features, [32, 16], seed=3)
    search = LotteryTicketSearch(model, layers, init)
    cfg = ScoringConfig()
    scorers = [PaperScorer(layers, init, cfg), PaperScorer(layers, init, cfg)]
    for scorer, run in zip(scorers, (search.run, search.run_reference)):
        sampler = SubsetSampler(search.n_weights, 27, torch.Generator().manual_seed(7))
        for _ in range(30):
            scorer.on_search(run(sampler.take(4), x.double(), y))
    assert torch.equal(scorers[0].S, scorers[1].S)
    assert (scorers[0].S != 0.5).sum() > 1000


def test_sampler_subsets_of_a_step_are_disjoint_and_cover_all_weights():
    sampler = SubsetSampler(1000, 10, torch.Generator().manual_seed(0))
    seen = torch.cat([sampler.take(5).reshape(-1) for _ in range(20)])
    assert len(seen) == 1000 and len(torch.unique(seen)) == 1000


def test_paper_update_formula_by_hand():
    layers = prunable_layers(build_model(ModelConfig(preset="custom", hidden=[2]), 3, 2))
    init = {n: m.weight.detach().clone() for n, m in layers.items()}
    scorer = PaperScorer(layers, init, ScoringConfig())
    subsets = torch.tensor([[0, 1], [4, 7]])
    nan = torch.full((2,), float("nan"))
    result = SearchResult(subsets, 0.8, torch.tensor([0.6, 0.8]), 1.0, nan, 1.0, nan)
    scorer.on_search(result)
    # S = (0.5 + (1 - |0.8 - 0.6| / 0.8)) / 2 = 0.625 ; unchanged accuracy: (0.5 + 1) / 2 = 0.75
    torch.testing.assert_close(scorer.S[[0, 1]], torch.tensor([0.625, 0.625]))
    torch.testing.assert_close(scorer.S[[4, 7]], torch.tensor([0.75, 0.75]))
    assert scorer.S[2] == 0.5 and scorer.count.tolist()[:5] == [1, 1, 0, 0, 1]
    scorer.on_search(result)
    torch.testing.assert_close(scorer.S[0], torch.tensor((0.625 + 0.75) / 2))
    # intent order prunes the weights whose reset changed nothing first; literal the opposite
    assert scorer.flat_importance("intent")[4] < scorer.flat_importance("intent")[0]
    assert scorer.flat_importance("literal")[4] > scorer.flat_importance("literal")[0]
