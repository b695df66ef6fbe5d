"""GUI fixtures: a window whose autosave folder, recent-project list and PlatformIO core live in
temporary folders, and one small trained digits run for the tests that start after training."""

from __future__ import annotations

import pytest
from gui_waits import wait_until
from PySide6.QtCore import QSettings

from bingo_studio.config import RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.gui import project as projects
from bingo_studio.gui import studio as studio_mod
from bingo_studio.training import train


@pytest.fixture(scope="session")
def pio_core(tmp_path_factory):
    return tmp_path_factory.mktemp("pio-core")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, pio_core):
    from bingo_studio.gui.main_window import MainWindow

    monkeypatch.setattr(studio_mod, "autosave_root", lambda: tmp_path / "autosave")
    ini = str(tmp_path / "settings.ini")
    monkeypatch.setattr(projects, "settings", lambda: QSettings(ini, QSettings.Format.IniFormat))
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(pio_core))
    w = MainWindow()
    w.confirm_close = False
    qtbot.addWidget(w)
    w.show()
    wait_until(lambda: w.studio.dataset is not None)
    yield w
    w.shutdown()


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """Digits, default model, 2 epochs with BINGO scoring: trained through the engine, saved."""
    from bingo_studio.runs import save_run

    cfg = RunConfig(train=TrainConfig(epochs=2, seed=0), scoring=ScoringConfig(seed=0))
    ds = load_dataset(cfg.dataset)
    run = train(cfg, ds)
    save_run(run, tmp_path_factory.mktemp("small") / "run")
    return run
