"""Oversize models: refused at export with the bytes over, and a build that overflows anyway is
explained in the studio's words, not the compiler's (issue 12, item 10). Real offline PlatformIO builds."""

from __future__ import annotations

import numpy as np
import pytest
from uno_sketches import ECHO_SKETCH, core_dir, make_project

from bingo_studio.errors import UserError
from bingo_studio.firmware.platformio import run_build
from bingo_studio.firmware.project import export
from bingo_studio.firmware.spec import FirmwareLayer, FirmwareModel


def dense_model(n_in: int, n_out: int) -> FirmwareModel:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((n_out, n_in)).astype(np.float32)
    layer = FirmwareLayer("fc0", w, np.zeros(n_out, np.float32), np.ones((n_out, n_in), bool))
    return FirmwareModel("big", [layer], "relu", np.zeros(1), np.ones(1), [str(i) for i in range(n_out)])


def test_export_refuses_a_model_over_the_uno_flash_before_writing(tmp_path):
    with pytest.raises(UserError, match=r"too big for the Arduino Uno: [\d,]+ bytes over its flash") as e:
        export(dense_model(784, 300), tmp_path / "fw", "uno")
    assert "\n" not in str(e.value)
    assert not (tmp_path / "fw").exists()
    assert export(dense_model(784, 300), tmp_path / "esp", "esp32").fits  # the same model fits an ESP32


@pytest.mark.parametrize(
    "extra, words",
    [
        # one AVR object is at most 32,767 bytes: gcc's "size of array 'bingo_l0_val' is too large"
        ("const uint8_t bingo_l0_val[40000] PROGMEM = {1};\nvolatile uint8_t s1;\n"
         "int hook1 = (s1 = pgm_read_byte(&bingo_l0_val[s1]), 0);\n",
         "its table bingo_l0_val is larger than one array can be"),
        # 2.5 KB of activations on a 2 KB Uno
        ("volatile float bingo_buf[640];\nvolatile uint16_t s2;\nint hook2 = (bingo_buf[s2] = 1.0f, 0);\n",
         "bytes of RAM but the board has 2,048"),
    ],
)
def test_an_overflowing_build_is_explained_in_the_studios_words(extra, words):
    project = make_project(f"over-{len(extra)}", ECHO_SKETCH + "\n" + extra)
    result = run_build(project, "uno", offline=True, core_dir=core_dir())
    assert not result.ok
    assert words in result.reason, result.reason
    assert "Error 1" not in result.reason and "error:" not in result.reason
