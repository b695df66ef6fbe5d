"""One behaviour a test: cancel, CSV errors, PlatformIO failures, projects."""

from __future__ import annotations

from pathlib import Path

import torch
from gui_waits import LONG, wait_plan, wait_until
from PySide6.QtCore import Qt

from bingo_studio.firmware.ports import DetectedBoard


def test_cancel_training_keeps_finished_epochs(qtbot, window):
    w = window
    w.train_page.epochs.setValue(40)
    qtbot.mouseClick(w.train_page.train_button, Qt.MouseButton.LeftButton)
    assert w.train_page.cancel_button.isEnabled()
    wait_until(lambda: len(w.train_page.history) >= 1)  # first epoch's signal
    with qtbot.waitSignal(w.studio.run_changed, timeout=LONG):
        qtbot.mouseClick(w.train_page.cancel_button, Qt.MouseButton.LeftButton)
    run = w.studio.run
    assert run.status == "cancelled"
    assert 1 <= len(run.history) < 40
    assert "cancelled after" in w.train_page.status.text()
    assert w.train_page.train_button.isEnabled() and not w.train_page.cancel_button.isEnabled()
    assert (Path(run.path) / "run.json").exists()  # the finished epochs are on disk
    wait_plan(qtbot, w)  # a cancelled run can still be pruned


def test_cancel_before_the_first_epoch_keeps_nothing(qtbot, window):
    w = window
    w.train_page.epochs.setValue(40)
    w.train_page.start()
    w.train_page.cancel()
    wait_until(lambda: w.train_page.train_button.isEnabled())
    assert w.studio.run is None
    assert "nothing to keep" in w.train_page.status.text()


def test_csv_errors_shown_inline_with_row_and_column(qtbot, window, tmp_path):
    w = window
    bad = tmp_path / "bad.csv"
    rows = ["a,b,species"] + [f"{i},{i * 2},{'x' if i % 2 else 'y'}" for i in range(20)]
    rows[4] = "3,oops,x"  # spreadsheet row 5
    bad.write_text("\n".join(rows) + "\n")
    w.data_page.set_csv(str(bad))
    wait_until(lambda: "oops" in w.data_page.csv_errors.text())
    text = w.data_page.csv_errors.text()
    assert "row 5" in text and "'b'" in text
    assert w.data_page.preview.rowCount() > 0 and w.data_page.preview.columnCount() == 3
    assert w.data_page.csv_label.currentText() == "species"
    assert w.studio.dataset is None  # neither the broken file nor the dataset picked before it is used

    rows[4] = "3,6,x"
    bad.write_text("\n".join(rows) + "\n")
    with qtbot.waitSignal(w.studio.dataset_changed, timeout=LONG):
        w.data_page.set_csv(str(bad))
    assert w.data_page.csv_errors.text() == ""
    assert w.studio.dataset.name == "csv" and w.studio.dataset.n_features == 2
    assert w.studio.config.dataset.label == "species"


def test_usb_board_recognised_and_unplugged_port_explained(qtbot, window, small_run):
    """A physical board cannot exist here: the port list is mocked with an Arduino Uno's USB ids at a
    port that does not exist, as after unplugging it; the upload then fails for real in avrdude."""
    w = window
    dp = w.deploy_page
    fake = DetectedBoard("/dev/ttyBINGO_GONE", "Arduino Uno", 0x2341, 0x0043, candidates=["uno"])
    wait_until(lambda: not dp.polling())
    dp.list_boards = lambda **_kw: [fake]
    dp.poll_ports()
    wait_until(lambda: dp.port_box.findData("/dev/ttyBINGO_GONE") == 0)
    assert dp.port_box.count() == 1
    assert "Arduino Uno" in dp.port_box.itemText(0) and "2341:0043" in dp.port_box.itemText(0)
    assert dp.board() == "uno"  # picked for the user from the USB ids
    assert dp.offline.isChecked()  # the offline Uno build is the default for the Uno
    assert "Found: /dev/ttyBINGO_GONE" in dp.detected.text()

    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    qtbot.mouseClick(dp.flash_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not dp.busy())
    assert "/dev/ttyBINGO_GONE" in dp.message and "plugged in" in dp.message, dp.message
    assert "full log" in dp.message
    log = dp.log.toPlainText()
    assert "avrdude" in log and "Flash:" in log  # built, then the upload failed: the real log is shown
    assert dp.build_button.isEnabled()


def test_flash_without_a_board_says_so(qtbot, window, small_run):
    w = window
    dp = w.deploy_page
    dp.select_board("uno")
    wait_until(lambda: not dp.polling())
    dp.list_boards = lambda **_kw: []
    dp.poll_ports()
    wait_until(lambda: "No board plugged in" in dp.detected.text())
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    dp.start("flash")
    assert "No Arduino Uno found" in dp.message
    assert dp.build_button.isEnabled()


def test_esp32_build_without_network_is_explained(qtbot, window, small_run, tmp_path, monkeypatch):
    """PlatformIO must download the ESP32 platform first; with no network the window says so."""
    from bingo_studio.firmware import platformio

    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "empty-core"))
    # no network is the truth on this machine; on a connected one, pretend (the download is refused)
    monkeypatch.setattr(platformio, "registry_reachable", lambda *a, **k: False)
    w = window
    dp = w.deploy_page
    dp.select_board("esp32")
    assert not dp.offline.isEnabled()
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    dp.start("build")
    wait_until(lambda: not dp.busy())
    assert "download" in dp.message and "network" in dp.message, dp.message
    assert dp.log.toPlainText().strip()


def test_project_save_and_reopen(qtbot, window, small_run, tmp_path):
    from bingo_studio.gui.main_window import MainWindow

    w = window
    w.train_page.epochs.setValue(7)
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    w.prune_page.slider.setValue(500)
    before = w.prune_page.selection()
    folder = tmp_path / "my project"
    assert w.save_to(folder)
    assert (folder / "project.json").exists() and (folder / "run" / "run.json").exists()
    assert w.studio.project_dir == folder and not w.studio.dirty

    w2 = MainWindow()
    w2.confirm_close = False
    qtbot.addWidget(w2)
    try:
        assert w2.open_project(folder)
        wait_plan(qtbot, w2)
        assert w2.train_page.epochs.value() == 7
        assert w2.prune_page.spin.value() == 50.0
        after = w2.prune_page.selection()
        for key in ("pruned_weights", "val_accuracy", "test_accuracy", "model_flash"):
            assert after[key] == before[key]
        for a, b in zip(w2.studio.run.model.parameters(), small_run.model.parameters()):
            assert torch.equal(a, b)
        assert len(w2.train_page.history) == len(small_run.history)
        from bingo_studio.gui import project as projects

        assert str(folder.resolve()) in projects.recent_projects()
    finally:
        w2.shutdown()


def test_open_a_folder_that_is_not_a_project(window, tmp_path):
    assert not window.open_project(tmp_path)
    assert "not" in window.statusBar().currentMessage()


def test_method_comparison_overlays_curves(qtbot, window, small_run):
    from bingo_studio.pruning.methods import METHODS

    w = window
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    view = w.prune_page.compare_view
    assert not view.retrain.isChecked()  # the quick comparison: one-shot methods, no retraining
    with qtbot.waitSignal(view.task_finished, timeout=LONG):
        qtbot.mouseClick(w.prune_page.compare_button, Qt.MouseButton.LeftButton)
    names = [r["method"] for r in view.rows]
    assert "bingo" in names and "gmp" in names and all(n in METHODS for n in names)
    assert view.table.rowCount() == len(names)
    assert len(view.plot.plotItem.listDataItems()) == len(names)  # one curve a method
    gmp = next(r for r in view.rows if r["method"] == "gmp")
    assert 0.0 < gmp["sparsity"] < 1.0


def test_custom_hidden_layers_resize_the_model_or_explain(qtbot, window):
    w = window
    dp = w.data_page
    dp.hidden_edit.setText("8")
    dp.hidden_edit.editingFinished.emit()
    assert dp.preset_box.currentData() == "custom"
    wait_until(lambda: "610 parameters" in dp.model_info.text())  # 64*8+8 + 8*10+10
    assert w.studio.config.model.hidden == [8]
    dp.hidden_edit.setText("8,x")
    dp.hidden_edit.editingFinished.emit()
    assert "not a list of layer widths" in dp.model_info.text()
    w.train_page.start()
    assert not w.train_page.is_training()
    assert "not a list of layer widths" in w.train_page.status.text()


def test_layer_family_reaches_the_config_and_shrinks_binary_firmware(qtbot, window):
    dp = window.data_page
    wait_until(lambda: "parameters" in dp.model_info.text())
    dense_flash = dp.sizes[1].model_flash
    dp.family_box.setCurrentIndex(dp.family_box.findData("binary"))
    assert window.studio.config.model.family == "binary"
    wait_until(lambda: dp.sizes[1].model_flash < dense_flash)  # 1 bit instead of 8
    dp.family_box.setCurrentIndex(dp.family_box.findData("mam"))
    assert dp.model_config().family == "mam"
    assert dp.state()["family"] == "mam"
