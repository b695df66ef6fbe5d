"""Shared firmware fixtures: a real digits MLP, trained and magnitude-pruned in a few seconds.

Magnitude pruning (not BINGO) keeps these tests independent of the scoring code; the firmware
only sees weights and masks, whichever method chose them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from bingo_studio.config import DatasetConfig, ModelConfig
from bingo_studio.data import load_dataset
from bingo_studio.firmware.spec import FirmwareModel
from bingo_studio.models import build_model

HOST_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-ffp-contract=off"]


def train_pruned(
    dataset, hidden: list[int], sparsity: float, epochs: int = 60, seed: int = 0, activation: str = "relu"
) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    """Full-batch Adam, then global magnitude pruning to ``sparsity`` and a masked fine-tune.

    One thread: for these tiny matrices OpenMP's spinning threads cost ~10x on a busy 2-core box.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_pruned(dataset, hidden, sparsity, epochs, seed, activation)
    finally:
        torch.set_num_threads(threads)


def _train_pruned(dataset, hidden, sparsity, epochs, seed, activation):
    torch.manual_seed(seed)
    model = build_model(
        ModelConfig(preset="custom", hidden=hidden, activation=activation),
        dataset.n_features,
        dataset.n_classes,
    )
    x, y = dataset.tensors("train")
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    linears = {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    masks = {n: torch.ones_like(m.weight) for n, m in linears.items()}

    def fit(steps: int) -> None:
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            with torch.no_grad():
                for n, m in linears.items():
                    m.weight.mul_(masks[n])

    fit(epochs)
    if sparsity > 0:
        scores = torch.cat([m.weight.detach().abs().reshape(-1) for m in linears.values()])
        k = int(round(sparsity * scores.numel()))
        threshold = torch.kthvalue(scores, k).values if k > 0 else -1.0
        masks = {n: (m.weight.detach().abs() > threshold).float() for n, m in linears.items()}
        fit(epochs // 2)
    return model, masks


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


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


def compile_c(cc: str, sources: list[Path], out: Path, extra: list[str] | None = None) -> Path:
    """Compile with the warning flags the generated code promises to pass; fail with gcc's output."""
    cmd = [cc, *HOST_CFLAGS, *(extra or []), "-o", str(out), *map(str, sources), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    return out
