"""Build the generated model for the simulated Pico: Debian's arm-none-eabi-gcc, no SDK.

The generated model and line protocol are linked with the project's bare-metal RP2040 runtime
(firmware_templates/pico/: boot2, vector table, USB CDC or UART0, timer) into an ELF, a flash image (.bin,
starting at 0x10000000 with the boot2 and its CRC) and a .uf2 for the BOOTSEL drive. The same
image runs in rp2040js (simulated_pico.py); its sizes are measured, not estimated.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bingo_studio.errors import UserError
from bingo_studio.firmware import uf2
from bingo_studio.firmware.codegen import write_sources
from bingo_studio.package_data import templates_dir

RUNTIME_DIR = templates_dir() / "pico"
PICO_HZ = 125_000_000  # the simulator's clock, and the SDK's default clk_sys
BOOT2_SIZE = 256
SERIAL_PORTS = ("usb", "uart")
MARK_ADDR = 0x4005800C  # watchdog SCRATCH0: the simulator watches stores here (see run_image.mjs)
CFLAGS = [
    "-mcpu=cortex-m0plus", "-mthumb", "-Os", "-std=c99", "-Wall", "-Wextra", "-Werror",
    "-ffunction-sections", "-fdata-sections", f"-DBINGO_MARK_ADDR=0x{MARK_ADDR:08X}u",
]
LDFLAGS = ["-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections"]


# The image without the model (boot2, vectors, runtime, serial port, protocol, kernel, newlib-nano
# and libgcc's soft float): arm-none-eabi-size minus the tables, layer descriptors and text size.py
# counts, for digits and wine models of 1-2 hidden layers, 0-80% pruned (Debian's arm-none-eabi-gcc
# 12.2). UART0 with the integer kernel: 6,089 B + 137 B a layer (its descriptors and per-layer code
# beyond the size model's tables; 6,311-6,501 B measured), float32 6,708-6,782 B, RAM 48 B; USB adds
# 1,552 B and 448 B. Re-measured on the digits model of the test after the integer kernel's rework
# (layer 0 by rows, fast row loops; the whole-number entry bingo_feed_u8): int8 324 B less, float32
# 43 B more. tests/firmware/test_pico_size.py re-measures it: a kernel change that moves it fails
# there.
IMAGE_OVERHEAD_FLASH = {"usb": {"int8": 7_317, "float32": 8_333}, "uart": {"int8": 5_765, "float32": 6_783}}
INT8_LAYER_FLASH = 137
IMAGE_OVERHEAD_RAM = {"usb": 496, "uart": 48}


def predicted_size(q, serial: str = "usb") -> tuple[int, int]:
    """(flash, static RAM) bytes of the Pico image for a QModel, from the size model."""
    from bingo_studio.firmware.size import ModelShape, descriptor_bytes, model_ram, size_report

    report = size_report(q, boards=())
    tables = report.table_bytes + descriptor_bytes(4) * len(q.layers) + report.text_bytes
    ram = IMAGE_OVERHEAD_RAM[serial] + model_ram(ModelShape.of_qmodel(q), 4)
    per_layer = INT8_LAYER_FLASH * len(q.layers) if q.fmt == "int8" else 0
    return IMAGE_OVERHEAD_FLASH[serial][q.fmt] + per_layer + tables, ram


@dataclass
class PicoBuild:
    elf: Path
    bin: Path
    uf2: Path
    flash_bytes: int  # text + data: what the image takes in flash
    ram_bytes: int  # data + bss: static RAM (the stack comes on top)


def boot2_crc(data: bytes) -> int:
    """CRC32 as the RP2040's boot ROM checks boot2: poly 0x04C11DB7, MSB first, init 0xFFFFFFFF, no final xor."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise UserError(f"The Pico build needs {name}: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi")
    return path


def _run(cmd: list[str], what: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"{what} failed: {(proc.stderr or proc.stdout).strip()[:2000]}")
    return proc.stdout


def build_sources(src: Path | str, out_dir: Path | str, name: str = "bingo_pico", serial: str = "usb") -> PicoBuild:
    """Compile and link a folder holding bingo_model.c/.h and bingo_protocol.c/.h.

    ``serial``: "usb" (the Pico's own USB port, a CDC serial device) or "uart" (UART0 on GP0/GP1).
    """
    if serial not in SERIAL_PORTS:
        raise ValueError(f"serial must be one of {SERIAL_PORTS}")
    src, out = Path(src), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cc = _tool("arm-none-eabi-gcc")
    elf = out / f"{name}.elf"
    sources = [src / "bingo_model.c", src / "bingo_protocol.c", RUNTIME_DIR / "pico_runtime.c", RUNTIME_DIR / "boot2.S"]
    if serial == "usb":
        sources.append(RUNTIME_DIR / "pico_usb.c")
    _run(
        [cc, *CFLAGS, *(["-DBINGO_PICO_USB"] if serial == "usb" else []), f"-I{src}", *map(str, sources),
         "-T", str(RUNTIME_DIR / "pico.ld"), *LDFLAGS,
         "-o", str(elf), "-lm", "-lgcc"],
        "Building for the Pico (arm-none-eabi-gcc)",
    )
    raw = out / f"{name}.bin.tmp"
    _run([_tool("arm-none-eabi-objcopy"), "-O", "binary", str(elf), str(raw)], "arm-none-eabi-objcopy")
    image = bytearray(raw.read_bytes())
    raw.unlink()
    if len(image) < BOOT2_SIZE:
        raise UserError("The Pico image is shorter than its boot2: the runtime did not link")
    image[BOOT2_SIZE - 4 : BOOT2_SIZE] = boot2_crc(bytes(image[: BOOT2_SIZE - 4])).to_bytes(4, "little")
    binary = out / f"{name}.bin"
    binary.write_bytes(bytes(image))
    uf2_path = out / f"{name}.uf2"
    uf2_path.write_bytes(uf2.to_uf2(bytes(image)))
    text, data, bss = (int(v) for v in _run([_tool("arm-none-eabi-size"), str(elf)], "arm-none-eabi-size")
                       .splitlines()[1].split()[:3])
    return PicoBuild(elf, binary, uf2_path, text + data, data + bss)


def build_for_pico(
    model, out_dir: Path | str, fmt: str = "int8", scales: str = "layer", serial: str = "usb"
) -> PicoBuild:
    """Generate the C for ``model`` (a FirmwareModel or QModel) into out_dir/src and build it."""
    out = Path(out_dir)
    write_sources(model, out / "src", fmt=fmt, scales=scales, main=False)
    return build_sources(out / "src", out, serial=serial)


def serial_of_image(image: bytes) -> str | None:
    """"usb" or "uart": the serial port a Pico image from build_sources talks on (None: not one of ours)."""
    m = re.search(rb"bingo-pico-serial=(usb|uart)\0", image)
    return m.group(1).decode() if m else None
