"""The training loop on real digits: accuracy, BINGO scores, progress, cancel, masks."""

import torch

from bingo_studio.config import RunConfig, ScoringConfig, TrainConfig
from bingo_studio.training import TaskState, train


def test_training_reaches_a_sane_accuracy_on_digits(digits_run):
    assert digits_run.status == "complete"
    assert digits_run.metrics["dense_val_accuracy"] > 0.9
    assert digits_run.metrics["dense_test_accuracy"] > 0.9
    losses = [h["loss"] for h in digits_run.history]
    assert len(losses) == 15 and losses[-1] < losses[0] / 3


def test_bingo_scores_change_and_stay_in_unit_interval(digits_run):
    S = digits_run.scorer.S
    assert S.min() >= 0.0 and S.max() <= 1.0
    assert (S != 0.5).float().mean() > 0.95  # nearly every weight was reset at least once
    assert len(torch.unique(S)) > 50  # a spread of values, not one collapsed score
    assert digits_run.scorer.count.min() >= 1 or (digits_run.scorer.count == 0).float().mean() < 0.05
    sig = digits_run.scorer.significance()
    assert set(sig) == {"fc0", "fc1", "fc2"} and sig["fc0"].shape == (32, 64)


def test_progress_reports_and_cancel_keep_the_last_epoch(digits):
    reports = []
    state = TaskState(reports.append)
    epochs_seen = []

    def on_epoch(run):
        epochs_seen.append(len(run.history))
        if len(run.history) == 2:
            state.cancel()

    cfg = RunConfig(train=TrainConfig(epochs=10), scoring=ScoringConfig(searches_per_step=1))
    run = train(cfg, digits, state, on_epoch=on_epoch)
    assert run.status == "cancelled"
    assert epochs_seen == [1, 2] and len(run.history) == 2
    fractions = [p.fraction for p in reports]
    assert fractions == sorted(fractions) and 0 < fractions[-1] < 0.3
    assert any(p.significance is not None for p in reports)
    assert run.metrics["dense_val_accuracy"] > 0.5  # the cancelled run is still a usable model


def test_training_under_fixed_masks_keeps_pruned_weights_at_zero(digits):
    cfg = RunConfig(train=TrainConfig(epochs=2), scoring=ScoringConfig(searches_per_step=0))
    g = torch.Generator().manual_seed(0)
    masks = {"fc0": torch.rand(32, 64, generator=g) > 0.5}
    run = train(cfg, digits, masks=masks)
    w = run.model.fc0.weight
    assert torch.all(w[~masks["fc0"]] == 0) and torch.all(w[masks["fc0"]] != 0)


def test_same_seed_same_run(digits):
    cfg = RunConfig(train=TrainConfig(epochs=1), scoring=ScoringConfig(searches_per_step=2))
    a, b = train(cfg, digits), train(cfg, digits)
    assert torch.equal(a.model.fc0.weight, b.model.fc0.weight)
    sa, sb = a.scorer.state_dict(), b.scorer.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
