"""prune_lowest: exact counts, nested masks, and a stable order among equal scores."""

import torch

from bingo_studio.pruning.masks import prune_lowest


def test_ties_go_in_index_order_and_the_count_is_exact():
    scores = {"a": torch.tensor([1.0, 0.0, 0.0, 2.0]), "b": torch.tensor([[0.0, 3.0], [0.0, 1.0]])}
    masks = {"a": torch.ones(4, dtype=torch.bool), "b": torch.ones(2, 2, dtype=torch.bool)}
    out = prune_lowest(scores, masks, total_pruned=3)  # four zeros tie: the first three by position go
    assert out["a"].tolist() == [True, False, False, True]
    assert out["b"].tolist() == [[False, True], [True, True]]


def test_masks_stay_nested_and_nan_ranks_last():
    scores = {"w": torch.tensor([-5.0, float("nan"), 0.5, 0.1, 7.0])}
    first = prune_lowest(scores, {"w": torch.ones(5, dtype=torch.bool)}, total_pruned=1)
    assert first["w"].tolist() == [False, True, True, True, True]
    # the weight already pruned stays pruned, whatever its score; NaN goes after every number
    second = prune_lowest({"w": torch.tensor([9.0, float("nan"), 0.5, 0.1, 7.0])}, first, total_pruned=4)
    assert second["w"].tolist() == [False, True, False, False, False]


def test_matches_a_stable_sort_on_random_scores_with_ties():
    g = torch.Generator().manual_seed(1)
    for _ in range(200):
        n = int(torch.randint(1, 300, (1,), generator=g))
        s = torch.randint(0, 6, (n,), generator=g).float()
        keep = torch.rand(n, generator=g) > 0.3
        k = int(torch.randint(0, int(keep.sum()) + 1, (1,), generator=g))
        out = prune_lowest({"w": s}, {"w": keep}, total_pruned=int((~keep).sum()) + k)["w"]
        ranked = torch.where(keep, s.double(), torch.inf)
        expect = keep.clone()
        expect[torch.argsort(ranked, stable=True)[:k]] = False
        assert torch.equal(out, expect)
