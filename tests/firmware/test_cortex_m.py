"""The generated C and the protocol compile warning-free for the Pico's Cortex-M0+ (RP2040).

PlatformIO's official Pico platform needs a download; Debian's arm-none-eabi-gcc proves the same
sources build for the target's instruction set, with the same -Werror as the host build.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bingo_studio.firmware.codegen import write_sources
from bingo_studio.firmware.quantize import quantize

ARM_CC = shutil.which("arm-none-eabi-gcc")
pytestmark = pytest.mark.usefixtures("arm_toolchain")
FLAGS = ["-mcpu=cortex-m0plus", "-mthumb", "-Os", "-std=c99", "-Wall", "-Wextra", "-Werror"]


@pytest.mark.parametrize("fmt", ["int8", "float32"])
def test_model_and_protocol_compile_for_cortex_m0plus(tmp_path, digits_model, fmt):
    src = tmp_path / "src"
    write_sources(quantize(digits_model, fmt), src, fmt=fmt, main=False)
    objects = []
    for name in ("bingo_model.c", "bingo_protocol.c"):
        obj = tmp_path / f"{name}.o"
        proc = subprocess.run([ARM_CC, *FLAGS, f"-I{src}", "-c", str(src / name), "-o", str(obj)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        objects.append(obj)
    # the objects really are Thumb code with the model's entry points in them
    syms = subprocess.run(["arm-none-eabi-nm", *map(str, objects)], capture_output=True, text=True, check=True)
    for symbol in ("bingo_begin", "bingo_feed", "bingo_finish", "bingo_predict"):
        assert f" T {symbol}" in syms.stdout
    head = subprocess.run(["arm-none-eabi-readelf", "-A", str(objects[0])], capture_output=True, text=True)
    assert "Cortex-M0" in head.stdout or "v6S-M" in head.stdout
