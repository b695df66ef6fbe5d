"""MAM and binary models as firmware: the host-built C equals the numpy reference of the kernel,
the float export equals the torch model, and 1-bit tables are far smaller than int8."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from bingo_studio.firmware.codegen import TEMPLATES, generate_c, write_sources
from bingo_studio.firmware.quantize import quantize, reference_outputs, reference_predict
from bingo_studio.firmware.size import size_report
from bingo_studio.firmware.spec import FirmwareModel
from bingo_studio.pruning.methods import plan_for

HOST_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-ffp-contract=off"]


def pruned(run, method: str, drop: float):
    plan = plan_for(run, method)
    n, _ = plan.count_for_floor(plan.dense_val_accuracy - drop)
    masks = plan.masks_for(n)
    return plan.apply(n), masks


@pytest.fixture(scope="module")
def mam_firmware(mam_run, digits):
    model, masks = pruned(mam_run, "psp", 0.03)
    return model, FirmwareModel.from_torch(model, digits, masks, name="digits-mam")


@pytest.fixture(scope="module")
def binary_firmware(binary_run, digits):
    model, masks = pruned(binary_run, "gmp", 0.03)
    return model, FirmwareModel.from_torch(model, digits, masks, name="digits-binary")


def host_run(tmp_path: Path, q, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no host C compiler")
    src = tmp_path / "src"
    write_sources(q, src, main=False)
    exe = tmp_path / "predict"
    cmd = [cc, *HOST_CFLAGS, f"-I{src}", "-o", str(exe), str(src / "bingo_model.c"),
           str(TEMPLATES / "host" / "predict_main.c"), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = subprocess.run([str(exe)], input=np.ascontiguousarray(x, np.float32).tobytes(), capture_output=True,
                         check=True)
    rows = [line.split() for line in out.stdout.decode().splitlines()]
    assert len(rows) == len(x)
    assert all(r[0] == r[1] for r in rows)  # streamed feed and whole-vector predict agree
    return np.array([int(r[0]) for r in rows]), np.array([[float(v) for v in r[2:]] for r in rows], np.float32)


def torch_predict(model, digits) -> np.ndarray:
    x, _ = digits.tensors("test")
    with torch.no_grad():
        return model(x).argmax(1).numpy()


@pytest.mark.parametrize("family", ["mam", "binary"])
def test_float_export_equals_the_torch_model(family, mam_firmware, binary_firmware, digits):
    model, fm = mam_firmware if family == "mam" else binary_firmware
    assert {la.kind for la in fm.layers} >= {family}
    agree = np.mean(fm.float_predict(digits.x_test) == torch_predict(model, digits))
    assert agree >= 0.997  # float64 vs float32 ties aside


@pytest.mark.parametrize("family,fmt", [("mam", "int8"), ("mam", "float32"), ("binary", "int8")])
def test_host_build_equals_the_reference(family, fmt, mam_firmware, binary_firmware, digits, tmp_path):
    _, fm = mam_firmware if family == "mam" else binary_firmware
    q = quantize(fm, fmt)
    c_pred, c_out = host_run(tmp_path, q, digits.x_test)
    assert np.array_equal(c_out, reference_outputs(q, digits.x_test))
    assert np.array_equal(c_pred, reference_predict(q, digits.x_test))
    float_acc = np.mean(fm.float_predict(digits.x_test) == digits.y_test)
    assert abs(np.mean(c_pred == digits.y_test) - float_acc) <= 0.02
    assert float_acc > 0.8


def test_mam_first_layer_subtracts_the_mean_on_the_board(mam_firmware):
    _, fm = mam_firmware
    q = quantize(fm)
    assert q.layers[0].kind == "mam" and q.layers[0].colshift is not None
    assert "#define BINGO_COLSHIFT 1" in generate_c(q)["bingo_model.c"]


def test_binary_tables_are_one_bit_a_weight(binary_firmware):
    _, fm = binary_firmware
    as_dense = fm.with_masks([la.mask for la in fm.layers])
    for layer in as_dense.layers:
        layer.kind = "dense"
    binary, int8 = size_report(fm), size_report(as_dense)
    assert binary.nnz == int8.nnz
    for b, d in zip(binary.layers, int8.layers):
        assert b.value_bytes == (d.value_bytes + 7) // 8
    assert binary.table_bytes < int8.table_bytes
    c = generate_c(quantize(fm))["bingo_model.c"]
    assert "BINGO_BINARY" in c and "_sign[" in c  # the integer kernel: sign bits a table of their own


def _uno_missing() -> str | None:
    from bingo_studio.firmware.avr_gcc import avr_toolchain_missing

    why = avr_toolchain_missing()
    if why is None and (shutil.which("gcc") is None or not Path("/usr/include/simavr/sim_avr.h").is_file()):
        why = "needs gcc and libsimavr-dev for the simulator"
    return why


@pytest.mark.parametrize("family", ["binary", "mam"])
def test_simulated_uno_runs_the_model_like_the_reference(family, mam_firmware, binary_firmware, digits, tmp_path):
    """The real Uno firmware (avr-gcc) on a simulated ATmega328P answers like the Python reference."""
    why = _uno_missing()
    if why:
        pytest.skip(why)
    import serial

    from bingo_studio.firmware.avr_gcc import avr_build
    from bingo_studio.firmware.protocol_client import LineReader, ask, format_features, wait_ready
    from bingo_studio.firmware.simulator import SimulatedUno, build_harness

    _, fm = binary_firmware if family == "binary" else mam_firmware
    q = quantize(fm)
    write_sources(q, tmp_path / "src")
    # exact cycles: interrupts off while the model computes, as the simulator tests build it
    flash, ram, elf = avr_build(tmp_path / "src", tmp_path / "build", defines=("BINGO_EXACT_CYCLES",))
    report = size_report(q)
    assert report.boards["uno"].fits and abs(flash - report.boards["uno"].flash) <= 64
    x = digits.x_test[:25]
    expected = reference_predict(q, x)
    with SimulatedUno(elf, harness=build_harness()) as sim, serial.Serial(sim.port, 115200, timeout=10) as ser:
        reader = LineReader(ser)
        assert wait_ready(reader, 30)[1] == 64
        got = [ask(reader, format_features(row), timeout=60).cls for row in x]
    assert got == expected.tolist()
