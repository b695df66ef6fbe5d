"""Shared firmware fixtures: a real digits MLP, trained and magnitude-pruned in a few seconds.

Magnitude pruning (not BINGO) keeps these tests independent of the scoring code; the firmware
only sees weights and masks, whichever method chose them.
"""

from __future__ import annotations

import shutil

import pytest
from firmware_helpers import accuracy, train_pruned

from bingo_studio.config import DatasetConfig
from bingo_studio.data import load_dataset
from bingo_studio.firmware.spec import FirmwareModel


@pytest.fixture(scope="session")
def digits():
    return load_dataset(DatasetConfig(name="digits"))


@pytest.fixture(scope="session")
def digits_model(digits) -> FirmwareModel:
    """64-32-16-10 ReLU MLP on digits, 80% of weights pruned."""
    model, masks = train_pruned(digits, [32, 16], 0.8)
    fm = FirmwareModel.from_torch(model, digits, masks, name="digits-80")
    fm.metadata["accuracy"] = accuracy(fm.float_predict(digits.x_test), digits.y_test)
    return fm


def _require(missing: bool, packages: str) -> None:
    """CI has every tool (./dev.sh installs them): a missing one fails the test, naming its packages."""
    if missing:
        pytest.fail(f"this test needs the Debian packages {packages} (./dev.sh installs them)", pytrace=False)


@pytest.fixture(scope="session")
def host_cc() -> str:
    cc = shutil.which("gcc") or shutil.which("cc")
    _require(cc is None, "gcc")
    return cc


@pytest.fixture
def avr_toolchain() -> None:
    from uno_sketches import AVR_MISSING

    _require(AVR_MISSING, "gcc-avr avr-libc arduino-core-avr avrdude")


@pytest.fixture
def simavr() -> None:
    from uno_sketches import SIMAVR_MISSING

    _require(SIMAVR_MISSING, "gcc-avr avr-libc arduino-core-avr avrdude gcc simavr libsimavr-dev")


@pytest.fixture
def arm_toolchain() -> None:
    _require(shutil.which("arm-none-eabi-gcc") is None, "gcc-arm-none-eabi libnewlib-arm-none-eabi")


