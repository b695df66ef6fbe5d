"""The whole flow in the window on digits, with the Simulated Uno as the board."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from gui_waits import LONG, wait_plan, wait_until
from PySide6.QtCore import Qt

from bingo_studio.deploy.device_test import host_inputs
from bingo_studio.deploy.export import firmware_model_for_run
from bingo_studio.firmware.quantize import quantize, reference_predict
from bingo_studio.runs import load_tensors


def test_digits_to_simulated_uno(qtbot, window):
    w = window
    st = w.studio
    assert w.data_page.dataset_box.currentData() == "digits"  # preselected
    assert st.dataset.name == "digits"
    wait_until(lambda: "parameters" in w.data_page.model_info.text())
    assert "2,778 parameters" in w.data_page.model_info.text()  # 64-32-16-10 with biases

    # 2. train, waiting on the worker's signals
    w.tabs.setCurrentIndex(1)
    w.train_page.epochs.setValue(3)
    with qtbot.waitSignal(st.run_changed, timeout=LONG):
        qtbot.mouseClick(w.train_page.train_button, Qt.MouseButton.LeftButton)
        assert w.train_page.is_training()
        assert not w.train_page.train_button.isEnabled()
    assert st.run.status == "complete" and len(st.run.history) == 3
    assert len(w.train_page.history) == 3  # live points, one an epoch
    assert w.train_page.loss_curve.getData()[0].tolist() == [1, 2, 3]
    assert set(w.train_page.hist_items) == {"fc0", "fc1", "fc2"}  # one histogram a layer
    # the ladder grew after the epochs: the plot says how much is pruned, in all and per layer
    assert "ladder:" in w.train_page.sig_plot.getPlotItem().titleLabel.text
    legend = [label.text for _, label in w.train_page.sig_plot.getPlotItem().legend.items]
    assert len(legend) == 3 and all("% of" in t and "pruned" in t for t in legend), legend
    assert (Path(st.run.path) / "run.json").exists() and Path(st.run.path).parent == st.work_dir  # saved every epoch

    # 3. prune: the slider is a lookup on the engine's curve
    wait_plan(qtbot, w)
    plan = st.plan
    shown = []
    dense = math.floor(plan.dense_val_accuracy * 1000)  # slider steps are 0.1%
    # above every network on the curve (a recovered rung of the ladder may beat the dense network)
    top = math.floor(float(plan.curve().val_accuracy.max()) * 1000) + 5
    for step in (300, 500, dense - 20, dense, top):
        w.prune_page.slider.setValue(step)
        sel = w.prune_page.selection()
        expected = plan.lookup(step / 1000)
        assert sel["pruned_weights"] == expected["pruned_weights"]
        assert sel["val_accuracy"] == expected["val_accuracy"]
        assert sel["test_accuracy"] == plan.accuracy_at(expected["pruned_weights"], "test")
        assert w.prune_page.values["kept"].text().startswith(f"{expected['kept_weights']:,}")
        assert f"{expected['sparsity']:.1%}" in w.prune_page.values["pruned"].text()
        shown.append(sel)
    assert shown[0]["pruned_weights"] > shown[3]["pruned_weights"]  # a lower floor prunes more
    assert shown[0]["model_flash"] < shown[3]["model_flash"]
    assert shown[4]["pruned_weights"] == 0 and not shown[4]["floor_met"]  # above every network's accuracy
    assert "below this minimum" in w.prune_page.values["pruned"].text()
    assert w.prune_page.spin.value() == top / 10
    assert w.prune_page.fit_view.verdicts() == shown[3]["fits"] == {"uno": True, "esp32": True, "pico": True}
    w.prune_page.spin.setValue(round(100 * (plan.dense_val_accuracy - 0.03), 1))
    floor = st.floor

    # 4. export + build (offline Uno platform) and start the simulated Uno
    w.tabs.setCurrentIndex(3)
    w.deploy_page.select_board("sim")
    qtbot.mouseClick(w.deploy_page.flash_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not w.deploy_page.busy())
    assert st.device is not None and st.device_target.key == "sim", w.deploy_page.message
    assert "Flash:" in w.deploy_page.log.toPlainText()  # PlatformIO's own size report, streamed
    mask = load_tensors(st.run.path / "mask.pt")
    ds = st.dataset
    fm = firmware_model_for_run(st.run.path)  # the slider's network: its mask and (a ladder rung) its own weights
    assert all((layer.mask == mask[layer.name].numpy()).all() for layer in fm.layers)
    n_pruned, _ = plan.count_for_floor(floor)
    assert fm.n_weights - fm.n_kept == n_pruned
    # what the Prune page promised is what the board holds: the weights stored, to the weight, and the
    # firmware's test accuracy, to the sample (computed in the background once the slider rested)
    assert st.export.qmodel.nnz == w.prune_page.selection()["stored_weights"]
    wait_until(lambda: w.prune_page.selection()["firmware_test_accuracy"] is not None)
    shown_firmware = w.prune_page.selection()["firmware_test_accuracy"]
    assert shown_firmware == st.export.qmodel.metadata["firmware_test_accuracy"]
    assert f"{shown_firmware:.1%}" in w.prune_page.values["firmware"].text()

    # 5. the console on the simulated board's pty; the whole test set on the device
    w.tabs.setCurrentIndex(4)
    cp = w.console_page
    assert cp.port_box.currentData() == st.device_port == st.device.port  # the board just flashed is offered first
    qtbot.mouseClick(cp.connect_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: "ready digits 64" in cp.transcript.toPlainText())
    qtbot.mouseClick(cp.sample_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: cp.last_sample is not None)
    s = cp.last_sample
    assert s["cls"] == s["host"]  # the board and this computer agree on the sample
    assert "true label" in cp.sample_result.text()

    with qtbot.waitSignal(cp.link.job_done, timeout=LONG):
        qtbot.mouseClick(cp.testset_button, Qt.MouseButton.LeftButton)
    result = cp.last_test
    host = reference_predict(quantize(fm), host_inputs(ds.x_test))
    assert result.n == len(ds.y_test) and not result.errors
    assert result.accuracy == float(np.mean(host == ds.y_test)) == cp.last_host_accuracy
    assert int(result.confusion.sum()) == len(ds.y_test)
    assert result.mean_us > 0
    assert cp.confusion.rowCount() == 10

    # unplugging the board mid-session: a message, and Connect is offered again
    st.device.close()
    wait_until(lambda: cp.connect_button.text() == "Connect")
    assert "Lost the connection" in cp.message.text()
    assert cp.connect_button.isEnabled() and not cp.testset_button.isEnabled()
