"""The Prune page's "what will my board do" panel: one prediction's time on each board follows the
slider from values the plan's worker computed; a run cancelled before BINGO measured anything
says what its curve really ranks by."""

from __future__ import annotations

import pytest
import torch
from gui_waits import wait_plan

from bingo_studio.config import RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.firmware.cycles import MODELS, latency_features
from bingo_studio.training import train
from bingo_studio.training.task import TaskState


def test_latency_follows_the_slider(qtbot, window, small_run):
    w = window
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    page, plan = w.prune_page, w.studio.plan
    seen = {}
    for step in (300, 900):
        page.slider.setValue(step)
        count = page.selection()["pruned_weights"]
        ms = page.fit_view.latencies()
        features = latency_features(plan, [count])[count]  # the same masks, computed here again
        assert ms == {k: pytest.approx(MODELS[k].ms(features)) for k in ("uno", "esp32", "pico")}
        assert all(v > 0 for v in ms.values())
        labels = {k: lbl.text() for k, lbl in page.fit_view.latency_labels.items()}
        assert labels["uno"].endswith(" ms") and "estimate" not in labels["uno"]
        assert labels["esp32"].startswith("<i>~") and "Not measured" in page.fit_view.latency_labels["esp32"].toolTip()
        seen[step] = (count, ms)
    (pruned_more, fast), (pruned_less, slow) = seen[300], seen[900]
    assert pruned_more > pruned_less and fast["uno"] < slow["uno"] and fast["pico"] < slow["pico"]
    assert slow["uno"] > slow["pico"]  # 16 MHz AVR against a 125 MHz Cortex-M0+


@pytest.fixture(scope="module")
def cancelled_run():
    """Cancelled after the first of 6 epochs: the train-time estimator measures from epoch 4."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    cfg = RunConfig(train=TrainConfig(epochs=6, seed=0), scoring=ScoringConfig(seed=0))
    state = TaskState()
    run = train(cfg, load_dataset(cfg.dataset), state=state, on_epoch=lambda _r: state.cancel())
    torch.set_num_threads(threads)
    assert run.status == "cancelled"
    return run


def test_a_run_cancelled_before_measuring_says_what_the_curve_uses(qtbot, window, cancelled_run, small_run):
    w = window
    w.studio.set_run(cancelled_run)
    wait_plan(qtbot, w)
    text = w.prune_page.status.text()
    assert "Training stopped before BINGO measured any weight" in text and "magnitude" in text
    w.studio.set_run(small_run)  # a run that measured: no such note
    wait_plan(qtbot, w)
    assert "stopped before" not in w.prune_page.status.text()
