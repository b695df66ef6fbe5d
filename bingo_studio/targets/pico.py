"""A real Raspberry Pi Pico: PlatformIO builds it; flashing copies the .uf2 onto the RPI-RP2 drive
a Pico mounts in BOOTSEL mode when one is there (no tool or driver needed), else PlatformIO uploads.
"""

from __future__ import annotations

from pathlib import Path

from bingo_studio.boards import BOARDS
from bingo_studio.firmware import uf2
from bingo_studio.targets.base import Flashed
from bingo_studio.targets.platformio_board import PlatformIOBoard
from bingo_studio.training.task import Progress, TaskState


class PicoTarget(PlatformIOBoard):
    help = uf2.BOOTSEL_HELP

    def __init__(self):
        # a Pico in BOOTSEL mode is a USB drive, not a serial port
        super().__init__(BOARDS["pico"], port_free_upload=True)

    def flash(
        self, project: Path | str, port: str | None = None, offline: bool = False,
        core_dir: Path | str | None = None, state: TaskState | None = None,
    ) -> Flashed:
        drives = uf2.find_bootsel_drives()
        if not drives or port:
            if state is not None and not drives:
                note = f"no RPI-RP2 drive: uploading with PlatformIO. {uf2.BOOTSEL_HELP}"
                state.report(Progress("upload", 0.0, note))
            return super().flash(project, port=port, offline=offline, core_dir=core_dir, state=state)
        if offline:  # the project's own bare-metal build (USB serial), as the simulated Pico runs it
            from bingo_studio.targets.simulated_pico import SimulatedPicoTarget

            result = SimulatedPicoTarget().build(project, state=state)
        else:
            result = self.build(project, core_dir=core_dir, state=state)
        if offline:
            firmware = result.firmware  # the project's own image (.bin)
        else:  # PlatformIO names its .elf; firmware.bin lies beside it
            firmware = Path(result.firmware).parent if result.firmware else Path(project) / ".pio" / "build" / "pico"
        written = uf2.flash_bootsel(firmware, drives)
        return Flashed(result, None, how=f"copied {written.name} to its BOOTSEL drive {written.parent}")
