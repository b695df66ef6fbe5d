"""One outcome for every PlatformIO run, whoever started it: a result, or one line saying why not.

A target's build or upload (bingo_studio.targets) runs `firmware.platformio.run_pio`, which
already counts a RAM overflow as a failure; ``checked`` turns a failed run into the UserError both
faces show ("<reason> (full log: <path>)") and a cancelled one into TaskCancelled.
"""

from __future__ import annotations

from bingo_studio.errors import UserError
from bingo_studio.firmware.platformio import RunResult
from bingo_studio.training.task import Progress, TaskCancelled, TaskState

# PlatformIO lines that start a step worth counting in a progress line
STEP_WORDS = ("Compiling", "Linking", "Archiving", "Building", "Uploading", "Checking", "Writing", "Reading")


class CancelFlag:
    """A TaskState seen as the threading.Event-like flag run_pio polls."""

    def __init__(self, state: TaskState | None):
        self.state = state

    def is_set(self) -> bool:
        return self.state is not None and self.state.cancelled


def line_reporter(state: TaskState | None, phase: str):
    """on_line for run_pio: every PlatformIO line becomes a Progress message (fraction unknown: 0)."""
    if state is None:
        return None
    return lambda line: state.report(Progress(phase, 0.0, line))


def checked(result: RunResult) -> RunResult:
    if result.cancelled:
        raise TaskCancelled(f"cancelled (log: {result.log_path})")
    if not result.ok:
        raise UserError(f"{result.reason} (full log: {result.log_path})")
    return result


def size_text(result: RunResult) -> str:
    """': flash 1,234 of 32,256 bytes (3.8%), RAM 345 of 2,048 bytes (16.8%)' or ''."""
    s = result.size
    if not s:
        return ""
    text = f": flash {s.flash_used:,} of {s.flash_total:,} bytes ({s.flash_percent:.1f}%)"
    if s.ram_used is not None:
        text += f", RAM {s.ram_used:,} of {s.ram_total:,} bytes ({s.ram_percent:.1f}%)"
    return text
