"""The size model of the simulated Pico's image against arm-none-eabi-size of the real build."""

from __future__ import annotations

import pytest

from bingo_studio.firmware.pico_build import build_for_pico, predicted_size
from bingo_studio.firmware.quantize import quantize


@pytest.mark.parametrize("serial", ["usb", "uart"])
@pytest.mark.parametrize("fmt", ["int8", "float32"])
def test_predicted_flash_and_ram_match_the_build(tmp_path, digits_model, fmt, serial):
    q = quantize(digits_model, fmt)
    build = build_for_pico(q, tmp_path, serial=serial)
    flash, ram = predicted_size(q, serial)
    assert abs(flash - build.flash_bytes) <= 64, (flash, build.flash_bytes)
    assert ram == build.ram_bytes
