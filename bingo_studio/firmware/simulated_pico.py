"""A simulated Raspberry Pi Pico: the bare-metal RP2040 image runs in rp2040js under Node.

pico_build.py builds the generated model, the line protocol and the project's runtime into a
flash image; resources/rp2040/run_image.mjs runs it in rp2040js (Wokwi's RP2040 emulator) with
its serial port (the emulator's USB CDC host talking to the firmware's USB device, or UART0) on
its stdin/stdout and the CPU cycles of each inference on its stderr. `SimulatedPico`
puts that behind a pty exactly as `SimulatedUno` does for simavr, so the protocol client, the CLI
and the window talk to it like a board at `sim.port`, and `sim.cycles` lists the cycles of each
prediction (at 125 MHz, the SDK's default clock, one cycle is 8 ns).

Fidelity: the emulator counts the Cortex-M0+'s instruction cycles; it has no flash wait states
(a real RP2040 runs from flash through a 16 KB cache) and no boot ROM (the image starts at its
vector table, not through boot2), and its USB moves packets without the bus's timing. Bytes
enter the port while it has room, so none is lost; the simulation pauses while the firmware waits
for input, and runs as fast as the host can.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from bingo_studio.errors import UserError
from bingo_studio.firmware.pico_build import BOOT2_SIZE, PICO_HZ, serial_of_image
from bingo_studio.firmware.simulator import SimulatedUno
from bingo_studio.package_data import resources_dir

RP2040_DIR = resources_dir() / "rp2040"
RUNNER = RP2040_DIR / "run_image.mjs"
INSTALL_HINT = (
    "install Node (apt-get install nodejs npm) and the pinned rp2040js: "
    f"npm ci --prefix {RP2040_DIR} (./dev.sh setup does both)"
)


def find_node() -> str:
    node = os.environ.get("BINGO_NODE") or shutil.which("node") or shutil.which("nodejs")
    if not node:
        raise UserError(f"The simulated Pico needs Node.js: {INSTALL_HINT}")
    return node


def find_rp2040js() -> Path:
    """The rp2040js package folder: $BINGO_RP2040JS, else resources/rp2040/node_modules/rp2040js."""
    env = os.environ.get("BINGO_RP2040JS")
    candidates = [Path(env)] if env else []
    candidates.append(RP2040_DIR / "node_modules" / "rp2040js")
    for folder in candidates:
        if (folder / "dist" / "esm" / "index.js").is_file():
            return folder
    raise UserError(f"The simulated Pico needs the rp2040js emulator, which is not installed: {INSTALL_HINT}")


def _vector_table_ok(image: Path) -> bool:
    """A flash image with boot2 then a vector table: initial SP in SRAM, reset handler in flash (Thumb)."""
    with image.open("rb") as fh:
        fh.seek(BOOT2_SIZE)
        head = fh.read(8)
    if len(head) < 8:
        return False
    sp, reset = struct.unpack("<2I", head)
    return 0x20000000 < sp <= 0x20042000 and 0x10000000 <= reset < 0x11000000 and reset & 1 == 1


class SimulatedPico(SimulatedUno):
    """An RP2040 running the flash image `image_path` (pico_build's .bin), reachable at `.port`.

    Use as a context manager; `.cycles` lists the CPU cycles of each inference, in order.
    """

    def __init__(self, image_path: Path | str, boot: str = "on-open", node: str | None = None,
                 rp2040js: Path | str | None = None):
        self._rp2040js = Path(rp2040js) if rp2040js else find_rp2040js()
        super().__init__(image_path, boot=boot, mcu="rp2040", clock_hz=PICO_HZ, harness=node or find_node())

    def _check_firmware(self) -> None:
        path = self.elf_path
        if path.suffix in (".elf", ".uf2") and path.with_suffix(".bin").is_file():
            self.elf_path = path = path.with_suffix(".bin")
        if not path.is_file():
            raise UserError(f"No firmware at {path}: build the model for the simulated Pico first")
        serial = serial_of_image(path.read_bytes())
        if serial is None or not _vector_table_ok(path):
            raise UserError(f"{path} is not a Pico flash image from BINGO Studio's Pico build")
        self.serial = serial  # the image's serial port: the Pico's USB (CDC) or UART0

    def _command(self) -> list[str]:
        return [str(self.harness), str(RUNNER), str(self._rp2040js), str(self.elf_path), self.serial]


def predict_on_pico(image_path: Path | str, x, timeout: float = 60.0) -> tuple[list[int], list[int]]:
    """(classes, CPU cycles of each prediction) of the Pico image for raw samples ``x``.

    What the board-fit and latency figures for the Pico are measured with: one line a sample over
    the simulated serial port; an `err` reply raises (the image and the data do not belong together).
    """
    from bingo_studio.firmware.protocol_client import LineReader, ask, format_features, open_port, wait_ready

    with SimulatedPico(image_path) as sim, open_port(sim.port) as ser:
        reader = LineReader(ser)
        _, n_features = wait_ready(reader, 30)
        classes = []
        for i, row in enumerate(x):
            if len(row) != n_features:
                raise UserError(f"The Pico image takes {n_features} features, the data has {len(row)}")
            reply = ask(reader, format_features(row), timeout=timeout)
            if reply.error:
                raise UserError(f"The simulated Pico answered sample {i} with: err {reply.error}")
            classes.append(reply.cls)
        cycles = sim.wait_cycles(len(classes), timeout=timeout)
    return classes, cycles[: len(classes)]
