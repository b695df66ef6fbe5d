"""The ladder: one training run, a curve of deployable networks, each with its own mask and weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bingo_studio.config import LadderConfig, RunConfig, TrainConfig
from bingo_studio.errors import UserError
from bingo_studio.pruning.ladder_plan import LadderPlan
from bingo_studio.pruning.methods import plan_for, prune_run
from bingo_studio.runs import load_run, save_run
from bingo_studio.training import train


@pytest.fixture(scope="module")
def ladder_run(digits, tmp_path_factory):
    run = train(RunConfig(train=TrainConfig(epochs=6, seed=0)), digits)
    save_run(run, tmp_path_factory.mktemp("ladder") / "run")
    return run


def test_training_grows_a_ladder_of_sparser_recovered_networks(ladder_run):
    rungs = ladder_run.ladder.rungs
    assert len(rungs) >= 2
    pruned = [r.pruned for r in rungs]
    assert pruned == sorted(pruned) and pruned[0] > 0
    for a, b in zip(rungs, rungs[1:]):  # nested masks
        assert all(bool((b.masks[n] <= a.masks[n]).all()) for n in a.masks)
    for r in rungs:  # pruned weights are zero in the stored weights, survivors are not all zero
        for n, m in r.masks.items():
            assert float(r.state[f"{n}.weight"][~m].abs().sum()) == 0.0
    final = rungs[-1].state["layers.0.weight"] if "layers.0.weight" in rungs[-1].state else None
    assert final is None or not torch.equal(final, ladder_run.model.state_dict()["layers.0.weight"])


def test_a_saved_ladder_reloads_bit_identically(ladder_run):
    again = load_run(ladder_run.path)
    assert len(again.ladder.rungs) == len(ladder_run.ladder.rungs)
    for a, b in zip(ladder_run.ladder.rungs, again.ladder.rungs):
        assert a.val_accuracy == b.val_accuracy and a.candidate == b.candidate
        assert all(torch.equal(a.masks[n], b.masks[n]) for n in a.masks)
        assert a.state.keys() == b.state.keys()
        assert all(torch.equal(a.state[k], b.state[k]) for k in a.state)
        keep = torch.cat([m.reshape(-1) for m in a.masks.values()])
        assert torch.equal(a.importance[keep], b.importance[keep])


def test_every_curve_point_meets_its_floor_on_validation_with_its_own_network(ladder_run):
    plan = plan_for(ladder_run, "bingo")
    assert isinstance(plan, LadderPlan)
    curve = plan.curve()
    # the envelope (after the dense network, which stays first even when a rung beats it)
    assert curve.counts[0] == 0 and np.all(np.diff(curve.counts) > 0) and np.all(np.diff(curve.val_accuracy[1:]) < 0)
    assert curve.counts[-1] >= ladder_run.ladder.rungs[0].pruned  # the ladder is on it
    for n, acc in zip(curve.counts.tolist(), curve.val_accuracy.tolist()):
        assert plan.accuracy_at(n) == pytest.approx(acc, abs=1e-6)  # the drawn value is the network's own
    dense = plan.dense_val_accuracy
    for drop in (0.0, 0.01, 0.02, 0.04, 0.07, 0.15):
        floor = dense - drop
        info = plan.lookup(floor)
        result = plan.prune(floor)
        assert result.n_pruned == info["pruned_weights"]
        assert result.val_accuracy >= floor - 1e-9 and result.val_accuracy == pytest.approx(info["val_accuracy"])
        sparser = curve.counts > info["pruned_weights"]
        assert np.all(curve.val_accuracy[sparser] < floor)  # the sparsest stored network meeting the floor


def test_slider_prune_and_export_name_the_same_network(ladder_run):
    from bingo_studio.deploy.export import firmware_model_for_run

    plan = plan_for(ladder_run, "bingo")
    # a floor whose point is a recovered rung of the ladder (weights of its own, not the dense ones masked)
    floor = next(a for a in plan.curve().val_accuracy.tolist() if plan.lookup(a)["rung"] > 0)
    n = plan.lookup(floor)["pruned_weights"]
    expected = plan.apply(n).state_dict()
    result = prune_run(ladder_run, "bingo", floor)
    assert result.n_pruned == n and result.own_weights
    assert all(torch.equal(expected[k], result.model.state_dict()[k]) for k in expected)
    from bingo_studio.runs import read_run_json

    saved = read_run_json(ladder_run.path, "prune.json")
    assert saved["pruned_weights"] == n and saved["test_accuracy"] == result.test_accuracy
    for fm in (firmware_model_for_run(ladder_run.path), firmware_model_for_run(ladder_run.path, floor)):
        assert fm.metadata["test_accuracy"] == round(result.test_accuracy, 4)
        for layer in fm.layers:
            w = expected[f"{layer.name}.weight"].numpy()
            assert np.array_equal(layer.mask, result.masks[layer.name].numpy())
            assert np.array_equal(layer.weight[layer.mask], w[layer.mask])


def test_a_run_saved_before_the_ladder_opens_with_its_one_shot_curve(digits, tmp_path):
    run = train(RunConfig(train=TrainConfig(epochs=2, seed=0), ladder=LadderConfig(recovery=0.0)), digits)
    path = save_run(run, tmp_path / "old")
    meta = json.loads((path / "run.json").read_text())
    del meta["config"]["ladder"]  # as written before this change
    (path / "run.json").write_text(json.dumps(meta))
    old = load_run(path)
    assert old.ladder is None and old.config.ladder.recovery == 0.0
    assert not isinstance(plan_for(old, "bingo"), LadderPlan)
    assert prune_run(old, "bingo", old.metrics["dense_val_accuracy"] - 0.05).n_pruned > 0


def test_a_damaged_ladder_file_is_refused_with_a_message(ladder_run, tmp_path):
    import shutil

    path = tmp_path / "copy"
    shutil.copytree(ladder_run.path, path)
    from bingo_studio.runs import load_tensors

    data = load_tensors(path / "ladder.pt")
    data["pruned_at"] = data["pruned_at"][:-3]
    save_run(load_run(path), path, files={"ladder.pt": data})  # well-formed and checksummed, but not the model's
    with pytest.raises(UserError, match="ladder.pt does not fit"):
        load_run(path)


def test_the_significance_shown_is_measured_from_the_first_epoch(digits):
    from bingo_studio.training import TaskState

    reports = []
    cfg = RunConfig(train=TrainConfig(epochs=4, seed=0), ladder=LadderConfig(recovery=0.0))
    train(cfg, digits, TaskState(lambda p: reports.append(p) if p.significance is not None else None))
    first = reports[0]
    assert first.epoch == 1
    for name, values in first.significance.items():  # a spread of measured values in every layer
        assert np.isfinite(values).all() and float(np.std(values)) > 0.1, name


def test_the_live_plot_sees_each_rung_prune_more(digits):
    """While the ladder grows, each rung reports each layer's pruned share, and the significance it
    reports is NaN for exactly the weights that rung pruned (what the plot leaves out)."""
    from bingo_studio.training import TaskState

    reports = []
    run = train(RunConfig(train=TrainConfig(epochs=4, seed=0)), digits,
                TaskState(lambda p: reports.append(p) if p.pruned is not None else None))
    rungs = run.ladder.rungs
    assert len(reports) == len(rungs) >= 2
    for p, rung in zip(reports, rungs):
        assert p.phase == "ladder" and p.epoch == 0  # not an epoch: the window's history stays per epoch
        for name, mask in rung.masks.items():
            gone = ~mask.numpy()
            assert p.pruned[name] == pytest.approx(gone.mean())
            assert np.array_equal(np.isnan(p.significance[name]), gone), name
    shares = [sum(p.pruned[n] * m.numel() for n, m in r.masks.items()) for p, r in zip(reports, rungs)]
    assert shares == sorted(shares) and shares[-1] > shares[0]


def test_dense_training_hands_the_epochs_left_to_the_ladder_once_validation_stops_improving(digits):
    """With a learning rate that overfits digits fast, validation stops improving early: dense training
    stops ``patience`` epochs after the later of its best accuracy and its best loss, and the ladder's
    budget grows by the epochs left."""
    from bingo_studio.training import TaskState

    messages = []
    cfg = RunConfig(train=TrainConfig(epochs=30, lr=0.01, seed=0), ladder=LadderConfig(patience=2))
    run = train(cfg, digits, TaskState(lambda p: messages.append(p.message)))
    done = len(run.history)
    assert 9 <= done < 30 and run.status == "complete"  # at least the least dense share (0.3 x 30)
    accs = [h["val_accuracy"] for h in run.history]
    losses = [h["val_loss"] for h in run.history]

    def since_best(k):  # epochs since the best accuracy or the best loss, after epoch k
        a, lo = accs[:k], losses[:k]
        return min(k - 1 - a.index(max(a)), k - 1 - lo.index(min(lo)))

    assert since_best(done) == 2 and all(since_best(k) < 2 for k in range(9, done))  # it stopped at the first
    best = accs.index(max(accs))  # the ladder grew from the best epoch's network, not from the last one's
    assert run.metrics["dense_epoch"] == best + 1 and run.metrics["dense_val_accuracy"] == pytest.approx(accs[best])
    assert f"the ladder started from epoch {best + 1}'s network" in run.handover()
    steps_per_epoch = -(-len(digits.y_train) // cfg.train.batch_size)
    assert run.ladder.steps > cfg.ladder.recovery * 30 * steps_per_epoch  # it spent some of the epochs left
    assert run.ladder.steps <= (cfg.ladder.recovery * 30 + 30 - done) * steps_per_epoch + 1
    assert any(f"the ladder takes the {30 - done} epochs left" in m for m in messages)

    whole = train(RunConfig(train=cfg.train, ladder=LadderConfig(patience=0)), digits)
    assert len(whole.history) == 30  # patience 0: every epoch dense, as runs saved before it


def test_a_run_saved_before_the_early_ladder_keeps_its_all_dense_epochs(ladder_run, tmp_path):
    import shutil

    path = tmp_path / "copy"
    shutil.copytree(ladder_run.path, path)
    meta = json.loads((path / "run.json").read_text())
    del meta["config"]["ladder"]["patience"]  # as written before this change
    (path / "run.json").write_text(json.dumps(meta))
    old = load_run(path)
    assert old.config.ladder.patience == 0 and old.config.ladder.recovery == ladder_run.config.ladder.recovery
    assert len(old.ladder.rungs) == len(ladder_run.ladder.rungs)
