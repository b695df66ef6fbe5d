"""What the window's steps share: settings, dataset, trained run, pruning plan, firmware, device.

Inputs: set by the step widgets (set_dataset, set_run, set_plan, set_firmware, set_device, ...).
Outputs (signals): dataset_changed, run_changed, ports_changed, device_changed,
status(str).

No logic of its own: it holds the plain engine objects each arrow of the flow produces, so a
step never reaches into another step's widgets.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

from bingo_studio.config import RunConfig
from bingo_studio.pruning.grid import GridPoint


def autosave_root() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".local" / "share" / "bingo-studio") / "autosave"


class Studio(QObject):
    dataset_changed = Signal()
    run_changed = Signal()
    ports_changed = Signal()
    device_changed = Signal()
    status = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.config = RunConfig()
        self.model_error = ""  # why the model settings of step 1 cannot be used, if they cannot
        self.dataset = None  # bingo_studio.data.Dataset
        self.run = None  # bingo_studio.runs.Run
        self.plan = None  # bingo_studio.pruning.plan.PruningPlan
        self.grid: dict[int, GridPoint] = {}
        self.method = "bingo"
        self.floor = 0.0  # the Prune step's minimum accuracy
        self.export = None  # bingo_studio.firmware.project.ExportResult
        self.qmodel = None  # the quantised model on the board (host answers come from it)
        self.ports: list = []  # bingo_studio.firmware.ports.DetectedBoard
        self.device_target = None  # bingo_studio.targets.Target last flashed
        self.device_port: str | None = None  # the port it answers on (the console offers it first)
        self.device = None  # what the studio runs itself for that target (a simulator), else None
        self.project_dir: Path | None = None  # where the user saved the project
        self.autosave_dir: Path = autosave_root() / time.strftime("%Y%m%d-%H%M%S")
        self.new_session()
        self.dirty = False  # a trained run not yet saved where the user chose

    @property
    def work_dir(self) -> Path:
        """This session's folder (autosave): training and firmware write here, never into a saved
        project, which only File > Save writes (gui/project.py)."""
        return self.autosave_dir

    def new_run_dir(self) -> Path:
        """A fresh folder for a training run: the current run stays whole until the new one exists."""
        return self.work_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}"

    def new_session(self) -> None:
        """A new session folder (New, Open): the previous one stays on disk as an autosave."""
        self.autosave_dir = autosave_root() / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}"

    def set_dataset(self, dataset) -> None:
        self.dataset = dataset
        self.dataset_changed.emit()

    def set_run(self, run, dirty: bool = True) -> None:
        self.run = run
        self.plan, self.grid, self.export, self.qmodel = None, {}, None, None
        self.floor = 0.0  # the Prune step proposes one once the curve is known
        self.dirty = dirty and run is not None
        self.run_changed.emit()

    def set_plan(self, plan, grid: dict[int, GridPoint], method: str) -> None:
        self.plan, self.grid, self.method = plan, grid, method

    def set_firmware(self, export) -> None:
        self.export, self.qmodel = export, export.qmodel

    def set_ports(self, ports: list) -> None:
        self.ports = ports
        self.ports_changed.emit()

    def set_device(self, target, flashed) -> None:
        """The firmware is on ``target`` (targets.Flashed); a device the studio ran before is closed."""
        old, self.device = self.device, flashed.device
        if old is not None and old is not self.device:
            old.close()
        self.device_target, self.device_port = target, flashed.port
        self.device_changed.emit()

    def close_device(self) -> None:
        if self.device is not None:
            self.device.close()
        self.device = self.device_target = self.device_port = None
        self.device_changed.emit()
