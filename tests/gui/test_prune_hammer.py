"""Issue 12, item 1: a burst of method switches and slider moves while curves are computing never
touches the model (each curve worker prunes its own copy) and leaves the slider usable."""

from __future__ import annotations

import random

import torch
from gui_waits import wait_plan
from PySide6.QtWidgets import QApplication


def test_method_switch_burst_leaves_the_weights_untouched(qtbot, window, small_run):
    w = window
    w.studio.set_run(small_run)
    before = {k: v.clone() for k, v in small_run.model.state_dict().items()}
    dense_val = small_run.metrics["dense_val_accuracy"]
    pp = w.prune_page
    box = pp.method_box
    methods = [box.itemData(i) for i in range(box.count()) if box.itemData(i) in ("bingo", "gmp", "lmp", "rp")]
    rng = random.Random(0)
    for i in range(40):  # switches faster than any curve finishes
        box.setCurrentIndex(box.findData(methods[i % len(methods)]))
        pp.recompute()
        pp.slider.setValue(rng.randrange(0, 1001))
        QApplication.processEvents()
    last = methods[39 % len(methods)]
    wait_plan(qtbot, w)
    for k, v in small_run.model.state_dict().items():
        assert torch.equal(v, before[k]), f"{k} changed"
    assert w.studio.method == last and pp.slider.isEnabled()
    # the window's own model still answers as it did
    from bingo_studio.training import evaluate

    assert evaluate(small_run.model, *small_run.get_dataset().tensors("val")) == dense_val
    pp.slider.setValue(900)
    assert pp.selection()["pruned_weights"] >= 0
