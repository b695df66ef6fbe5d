"""The Simulated Pico: the exported model and protocol built for the RP2040 with Debian's
arm-none-eabi-gcc and the project's own runtime (firmware/pico_build.py), run in rp2040js under
Node behind a pty (firmware/simulated_pico.py). No board or network needed. Its UART/USB FIFO holds
bytes while it computes, so lines go out unpaced.
"""

from __future__ import annotations

import time
from pathlib import Path

from bingo_studio.boards import BOARDS
from bingo_studio.firmware.platformio import RunResult, SizeReport
from bingo_studio.targets.base import Flashed, SimulatedTarget
from bingo_studio.training.task import Progress, TaskState


class SimulatedPicoTarget(SimulatedTarget):
    key = "pico-sim"
    title = "Simulated Pico"
    board = BOARDS["pico"]

    def image(self, project: Path | str) -> Path:
        return Path(project) / ".pio" / "build" / self.key / "bingo_pico.bin"

    def build(
        self, project: Path | str, offline: bool = True, core_dir: Path | str | None = None,
        state: TaskState | None = None,
    ) -> RunResult:
        """arm-none-eabi-gcc on the project's src/ (a UserError line when the compiler is missing or fails)."""
        from bingo_studio.firmware.pico_build import build_sources

        t0 = time.monotonic()
        if state is not None:
            state.report(Progress("build", 0.1, "building for the RP2040 (arm-none-eabi-gcc)"))
        out = self.image(project).parent
        b = build_sources(Path(project) / "src", out)
        log = out / "build.log"
        text = f"flash {b.flash_bytes} B, RAM {b.ram_bytes} B; {b.elf}, {b.bin}, {b.uf2}\n"
        log.write_text(text)
        size = SizeReport(b.flash_bytes, self.board.flash_bytes, b.ram_bytes, self.board.ram_bytes)
        return RunResult(True, "", log, size=size, returncode=0, seconds=time.monotonic() - t0, firmware=b.bin,
                         lines=[text.strip()])

    def flashed_text(self, flashed: Flashed) -> str:
        return f"The simulated Pico runs the firmware on {flashed.port}"

    def flash(
        self, project: Path | str, port: str | None = None, offline: bool = True,
        core_dir: Path | str | None = None, state: TaskState | None = None,
    ) -> Flashed:
        """Build, then start the simulated RP2040; the caller closes ``Flashed.device``."""
        from bingo_studio.firmware.simulated_pico import SimulatedPico

        result = self.build(project, state=state)
        sim = SimulatedPico(result.firmware)
        sim.start()
        return Flashed(result, sim.port, sim)
