"""Every target the studio builds for, in one registry the CLI and the window both list.

Adding one is one class in this package and one line in ``TARGETS``.
"""

from __future__ import annotations

from bingo_studio.boards import BOARDS
from bingo_studio.errors import UserError
from bingo_studio.targets.base import PACE_US, Flashed, Target
from bingo_studio.targets.pico import PicoTarget
from bingo_studio.targets.platformio_board import PlatformIOBoard
from bingo_studio.targets.simulated_pico import SimulatedPicoTarget
from bingo_studio.targets.simulated_uno import SimulatedUnoTarget

TARGETS: dict[str, Target] = {
    t.key: t
    for t in (
        SimulatedUnoTarget(),
        SimulatedPicoTarget(),
        PlatformIOBoard(BOARDS["uno"]),
        PlatformIOBoard(BOARDS["nano"]),
        PlatformIOBoard(BOARDS["esp32"]),
        PicoTarget(),
    )
}


def get_target(key: str) -> Target:
    """The target named ``key`` (its key, or a board's PlatformIO env or board id)."""
    k = key.strip().lower()
    for t in TARGETS.values():
        if k in (t.key, t.board.env, t.board.board_id) and (not t.simulated or k == t.key):
            return t
    raise UserError(f"unknown target '{key}'; choose one of {', '.join(TARGETS)}")


def board_targets() -> list[Target]:
    """The real boards (what `--board` accepts for build and flash)."""
    return [t for t in TARGETS.values() if not t.simulated]


__all__ = ["PACE_US", "TARGETS", "Flashed", "PicoTarget", "PlatformIOBoard", "SimulatedPicoTarget",
           "SimulatedUnoTarget", "Target", "board_targets", "get_target"]
