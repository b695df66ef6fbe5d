"""The simulated Pico: the generated C built for the Cortex-M0+ with the project's runtime, run in
rp2040js, answers over its serial port (the Pico's USB by default, UART0 on request) exactly as
the Python reference of the same model.

Needs arm-none-eabi-gcc, Node and rp2040js (./dev.sh setup installs them); without them these
tests fail with the message saying what to install.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import serial
from firmware_helpers import train_pruned

from bingo_studio.config import DatasetConfig
from bingo_studio.data import load_dataset
from bingo_studio.errors import UserError
from bingo_studio.firmware import uf2
from bingo_studio.firmware.pico_build import BOOT2_SIZE, boot2_crc, build_for_pico, serial_of_image
from bingo_studio.firmware.protocol_client import LineReader, ask, format_features, wait_ready
from bingo_studio.firmware.quantize import quantize, reference_predict
from bingo_studio.firmware.simulated_pico import SimulatedPico, predict_on_pico
from bingo_studio.firmware.spec import FirmwareModel


@pytest.fixture(scope="module")
def digits_pico(tmp_path_factory, digits_model):
    """(QModel, PicoBuild) of the pruned digits model, int8."""
    q = quantize(digits_model)
    return q, build_for_pico(q, tmp_path_factory.mktemp("digits-pico"))


def run_on_pico(build, x: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """(classes, cycles of each prediction) for raw samples ``x``."""
    classes, cycles = predict_on_pico(build.bin, x, timeout=30)
    return np.array(classes), cycles


def test_pruned_digits_whole_test_split_equals_reference(digits, digits_pico):
    q, build = digits_pico
    pred, cycles = run_on_pico(build, digits.x_test)
    assert np.array_equal(pred, reference_predict(q, digits.x_test))
    assert len(cycles) == len(digits.x_test) and min(cycles) > 0


def test_image_boots_like_a_pico_would_and_uf2_carries_it(digits_pico):
    build = digits_pico[1]
    image = build.bin.read_bytes()
    assert int.from_bytes(image[BOOT2_SIZE - 4 : BOOT2_SIZE], "little") == boot2_crc(image[: BOOT2_SIZE - 4])
    data = build.uf2.read_bytes()
    assert len(data) == 512 * -(-len(image) // 256)
    assert b"".join(data[k + 32 : k + 288] for k in range(0, len(data), 512))[: len(image)] == image
    assert data[28:32] == uf2.RP2040_FAMILY_ID.to_bytes(4, "little")
    assert 0 < build.ram_bytes < build.flash_bytes <= len(image)


@pytest.mark.parametrize("port", ["usb", "uart"])
def test_protocol_errors_and_info_on_the_pico(tmp_path, digits, digits_pico, port):
    q, build = digits_pico
    if port == "uart":
        build = build_for_pico(q, tmp_path, serial="uart")
    assert serial_of_image(build.bin.read_bytes()) == port
    with SimulatedPico(build.bin) as sim, serial.Serial(sim.port, 115200, timeout=0.05) as ser:
        reader = LineReader(ser)
        assert wait_ready(reader) == ("digits-80", 64)
        assert ask(reader, "1,2,3").error == "too few values, got 3, expected 64"
        ser.write(b"info\n")
        assert reader.readline(time.monotonic() + 10).startswith("info model=digits-80 ")
        assert ask(reader, format_features(digits.x_test[0])).cls is not None
        assert len(sim.wait_cycles(1)) == 1  # the error line counted no inference


def test_pruned_mnist_5k_answers_like_the_reference(tmp_path):
    """A subset keeps CI short; benchmarks/pico_speed.py runs the whole test split."""
    mnist = load_dataset(DatasetConfig(name="mnist-5k"))
    model, masks = train_pruned(mnist, [128, 64], 0.93, epochs=40)
    q = quantize(FirmwareModel.from_torch(model, mnist, masks, name="mnist-93"))
    build = build_for_pico(q, tmp_path)
    x = mnist.x_test[:60]
    pred, cycles = run_on_pico(build, x)
    assert np.array_equal(pred, reference_predict(q, x))
    assert len(cycles) == len(x)


def test_not_a_pico_image_is_refused(tmp_path):
    bogus = tmp_path / "x.bin"
    bogus.write_bytes(b"\x00" * 1024)
    with pytest.raises(UserError, match="not a Pico flash image"):
        SimulatedPico(bogus)
    with pytest.raises(UserError, match="No firmware"):
        SimulatedPico(tmp_path / "missing.bin")


def test_missing_node_or_emulator_says_how_to_install(tmp_path, monkeypatch):
    from bingo_studio.firmware import simulated_pico

    monkeypatch.delenv("BINGO_RP2040JS", raising=False)
    monkeypatch.setattr(simulated_pico, "RP2040_DIR", tmp_path)
    with pytest.raises(UserError, match="rp2040js emulator, which is not installed: .*npm ci"):
        simulated_pico.find_rp2040js()
    monkeypatch.delenv("BINGO_NODE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError, match="needs Node.js: install Node"):
        simulated_pico.find_node()
