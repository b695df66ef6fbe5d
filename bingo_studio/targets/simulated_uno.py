"""The Simulated Uno: the real Uno firmware, built offline, running in simavr behind a pty.

"Flashing" it builds the Uno env offline and starts a SimulatedUno on the ELF; its pty is the
port. No board or network needed. Lines go out paced like to a real Uno: the simulated UART
delivers bytes at the real baud rate and the Arduino core's 64-byte buffer overflows as on a board.
"""

from __future__ import annotations

from pathlib import Path

from bingo_studio.boards import BOARDS
from bingo_studio.targets.base import Flashed, SimulatedTarget
from bingo_studio.training.task import TaskState


class SimulatedUnoTarget(SimulatedTarget):
    key = "sim"
    title = "Simulated Uno"
    board = BOARDS["uno"]

    def flashed_text(self, flashed: Flashed) -> str:
        return f"The simulated Uno runs the firmware on {flashed.port}"

    def elf(self, project: Path | str) -> Path:
        return Path(project) / ".pio" / "build" / self.board.env / "firmware.elf"

    def flash(
        self, project: Path | str, port: str | None = None, offline: bool = True,
        core_dir: Path | str | None = None, state: TaskState | None = None, realtime: bool = False,
    ) -> Flashed:
        """Build offline, then start the simulated MCU; the caller closes ``Flashed.device``."""
        from bingo_studio.firmware.simulator import SimulatedUno

        result = self.build(project, core_dir=core_dir, state=state)
        sim = SimulatedUno(self.elf(project), realtime=realtime)
        sim.start()
        return Flashed(result, sim.port, sim)
