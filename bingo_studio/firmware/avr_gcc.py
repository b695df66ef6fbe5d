"""The Uno firmware built directly with avr-gcc, the way PlatformIO builds it (no PlatformIO).

For measurements: the tests and benchmarks compare the size model (firmware.size) with avr-size,
and recalibrating the overheads in boards.py uses it. Builds go through PlatformIO everywhere else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from bingo_studio.errors import UserError

ARDUINO_AVR = Path("/usr/share/arduino/hardware/arduino/avr")
AVR_COMMON = [
    "-mmcu=atmega328p",
    "-DF_CPU=16000000L",
    "-DARDUINO=10807",
    "-DARDUINO_AVR_UNO",
    "-DARDUINO_ARCH_AVR",
    "-DDECIMAL_DIG=__DECIMAL_DIG__",
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
    "-flto",
    "-w",
]
AVR_CXX = ["-std=gnu++11", "-fpermissive", "-fno-exceptions", "-fno-threadsafe-statics"]


def avr_toolchain_missing() -> str | None:
    """Why the Uno firmware cannot be built here with avr-gcc (None: it can)."""
    for tool in ("avr-gcc", "avr-g++", "avr-gcc-ar", "avr-size"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install gcc-avr avr-libc)"
    if not (ARDUINO_AVR / "cores" / "arduino" / "Arduino.h").is_file():
        return f"the Arduino AVR core is missing at {ARDUINO_AVR} (apt-get install arduino-core-avr)"
    return None


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"avr build failed: {' '.join(cmd[:3])} ...\n{proc.stderr[-4000:]}")


def avr_core_archive(work_dir: Path) -> Path:
    """The Arduino core built once into ``work_dir``/core.a (reused by later builds)."""
    archive = work_dir / "core.a"
    if archive.is_file():
        return archive
    core, variant = ARDUINO_AVR / "cores" / "arduino", ARDUINO_AVR / "variants" / "standard"
    inc = [f"-I{core}", f"-I{variant}"]
    objs = []
    (work_dir / "core").mkdir(parents=True, exist_ok=True)
    for src in sorted(core.iterdir()):
        obj = work_dir / "core" / (src.name + ".o")
        if src.suffix == ".c":
            _run(["avr-gcc", "-std=gnu11", *AVR_COMMON, *inc, "-c", str(src), "-o", str(obj)])
        elif src.suffix == ".cpp":
            _run(["avr-g++", *AVR_CXX, *AVR_COMMON, *inc, "-c", str(src), "-o", str(obj)])
        elif src.suffix == ".S":
            _run(["avr-gcc", "-x", "assembler-with-cpp", *AVR_COMMON, *inc, "-c", str(src), "-o", str(obj)])
        else:
            continue
        objs.append(str(obj))
    tmp = work_dir / "core.a.tmp"
    _run(["avr-gcc-ar", "rcs", str(tmp), *objs])
    tmp.replace(archive)
    return archive


def avr_build(
    src_dir: str | Path, work_dir: str | Path, defines: tuple[str, ...] = ()
) -> tuple[int, int, Path]:
    """Build the Uno firmware in ``src_dir`` with avr-gcc as PlatformIO would; (flash, RAM, ELF).

    flash = text + data and RAM = data + bss of avr-size, the figures PlatformIO prints.
    """
    why = avr_toolchain_missing()
    if why:
        raise UserError(why)
    src_dir, work_dir = Path(src_dir), Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    core = avr_core_archive(work_dir)
    inc = [
        f"-I{ARDUINO_AVR / 'cores' / 'arduino'}",
        f"-I{ARDUINO_AVR / 'variants' / 'standard'}",
        f"-I{src_dir}",
    ]
    defs = [f"-D{d}" for d in defines]
    objs = []
    for src in sorted(src_dir.iterdir()):
        obj = work_dir / (src.name + ".o")
        if src.suffix == ".c":
            _run(["avr-gcc", "-std=gnu11", *AVR_COMMON, *inc, *defs, "-c", str(src), "-o", str(obj)])
        elif src.suffix == ".cpp":
            _run(["avr-g++", *AVR_CXX, *AVR_COMMON, *inc, *defs, "-c", str(src), "-o", str(obj)])
        else:
            continue
        objs.append(str(obj))
    elf = work_dir / "firmware.elf"
    _run(
        [
            "avr-gcc",
            "-mmcu=atmega328p",
            "-Os",
            "-flto",
            "-fuse-linker-plugin",
            "-Wl,--gc-sections",
            "-o",
            str(elf),
            *objs,
            str(core),
            "-lm",
        ]
    )
    out = subprocess.run(["avr-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sec = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\.(\w+)\s+(\d+)", out, re.M)}
    text, data, bss = sec.get("text", 0), sec.get("data", 0), sec.get("bss", 0)
    return text + data, data + bss, elf
