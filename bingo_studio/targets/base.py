"""A target: somewhere the firmware runs, and everything the studio does with it.

Each target knows its board data (bingo_studio.boards: PlatformIO env, flash and RAM limits, USB
ids), whether it builds offline, how to build, how to put the firmware on it ("flash": an upload,
or starting a simulator), which serial port it answers on and how fast lines may be sent to it.
The CLI and the window list the targets of one registry (bingo_studio.targets.TARGETS) and ask
the target instead of branching on its kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bingo_studio.boards import Board
from bingo_studio.deploy.build import CancelFlag, checked, line_reporter, size_text
from bingo_studio.firmware.platformio import RunResult, run_build
from bingo_studio.training.task import TaskState

# µs a byte sent to a board (0: full 115200 baud). The integer firmware keeps up at full speed on the
# Uno for the built-in models (measured: the digits test split with a dense first layer, and
# 784-value MNIST-5k lines; tests/firmware/test_simulator.py); a float32 build or a slow custom model
# falls behind while it computes and needs pacing again (--pace-us 300; protocol_client.send_line).
PACE_US = 0.0


@dataclass
class Flashed:
    """The firmware is on the target: the PlatformIO run, the port it answers on (None: unknown,
    e.g. a Pico found by PlatformIO), and the device object when the studio runs it (a simulator)."""

    result: RunResult
    port: str | None
    device: object | None = None
    how: str = ""  # how it got there when that is worth saying (e.g. "copied firmware.uf2 to ...")


class Target:
    key: str
    title: str
    board: Board  # the hardware the firmware is built for (sizes, PlatformIO env)
    simulated = False
    usb = True  # plugged in over USB: it has a port in the port list
    needs_port = True  # flashing needs its serial port chosen (the user's, or the one found)
    offline_forced = False  # always built with this computer's tools
    flash_verb = "Flash"  # the window's button
    pace_us = PACE_US

    @property
    def offline_possible(self) -> bool:
        """Whether it builds with this computer's tools alone (no PlatformIO downloads)."""
        return self.board.avr

    def build(
        self, project: Path | str, offline: bool = False, core_dir: Path | str | None = None,
        state: TaskState | None = None,
    ) -> RunResult:
        """`pio run` for this target's env; a failure raises one UserError line (deploy.build.checked)."""
        return checked(run_build(project, self.board.key, offline=self.offline_forced or offline, core_dir=core_dir,
                                 on_line=line_reporter(state, "build"), cancel=CancelFlag(state)))

    def flash(
        self, project: Path | str, port: str | None = None, offline: bool = False,
        core_dir: Path | str | None = None, state: TaskState | None = None,
    ) -> Flashed:
        raise NotImplementedError

    def open_serial(self, port: str, timeout: float = 0.05):
        """Its serial link (pyserial), at the firmware's speed."""
        from bingo_studio.firmware.protocol_client import BAUD, open_port

        return open_port(port, BAUD, timeout)

    def build_text(self, result: RunResult) -> str:
        return f"Built for {self.title}{size_text(result)}"

    def flashed_text(self, flashed: Flashed) -> str:
        how = f" ({flashed.how})" if flashed.how else ""
        return f"Flashed for {self.title}{size_text(flashed.result)}{how}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key}>"


class SimulatedTarget(Target):
    """A board simulated on this computer: always built with its own tools, its port is the
    simulator's, and "flashing" starts the simulator."""

    simulated = True
    usb = False
    needs_port = False
    offline_forced = True
    flash_verb = "Start simulator"

    @property
    def offline_possible(self) -> bool:
        return True
