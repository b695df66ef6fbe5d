"""The size model against the generated C and against real avr-gcc builds of the Uno firmware."""

from __future__ import annotations

import configparser
import math
import re
import subprocess

import numpy as np
import pytest
from firmware_helpers import accuracy, train_pruned

from bingo_studio.boards import BOARDS, get_board, guess_board, is_ambiguous
from bingo_studio.config import DatasetConfig
from bingo_studio.data import load_dataset
from bingo_studio.errors import UserError
from bingo_studio.firmware.avr_gcc import avr_build
from bingo_studio.firmware.codegen import generate_c, write_sources
from bingo_studio.firmware.project import export, write_project
from bingo_studio.firmware.quantize import quantize, reference_predict
from bingo_studio.firmware.size import (
    descriptor_bytes,
    size_report,
    size_report_arrays,
)
from bingo_studio.firmware.spec import FirmwareLayer, FirmwareModel

AVR_SIZES = {"uint8_t": 1, "int8_t": 1, "uint16_t": 2, "int16_t": 2, "float": 4}

needs_avr = pytest.mark.usefixtures("avr_toolchain")


@pytest.fixture(scope="session")
def avr_work(tmp_path_factory):
    return tmp_path_factory.mktemp("avr")  # the Arduino core is built once here


def emitted_bytes(c_source: str, fmt: str = "int8") -> int:
    """Bytes of every table, descriptor and string in a generated bingo_model.c, read from the C."""
    total = sum(
        AVR_SIZES[t] * int(n) for t, n in re.findall(r"static const (\w+) bingo_\w+\[(\d+)\]", c_source)
    )
    descriptors = re.search(r"bingo_layers\[BINGO_N_LAYERS\] BINGO_ROM = \{\n(.*?)\n\};", c_source, re.S)
    total += len(descriptors.group(1).splitlines()) * descriptor_bytes(2, fmt)  # one "{...}" line a layer
    for literal in re.findall(r"^const char bingo_\w+\[\] BINGO_ROM = (.*);$", c_source, re.M):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', literal)
        total += sum(len(p.encode().decode("unicode_escape")) for p in parts) + 1
    return total


@pytest.mark.parametrize("fmt,scales", [("int8", "layer"), ("int8", "row"), ("float32", "layer")])
def test_report_counts_exactly_what_the_generator_writes(digits_model, fmt, scales):
    q = quantize(digits_model, fmt, scales)
    report = size_report(q)
    assert emitted_bytes(generate_c(q)["bingo_model.c"], fmt) == report.model_flash
    # the fast path (no tables built, what the GUI slider calls) gives the same report
    assert size_report(digits_model, fmt, scales).to_dict() == report.to_dict()


def test_report_from_bare_arrays_matches(digits_model):
    w = [la.weight for la in digits_model.layers]
    b = [la.bias for la in digits_model.layers]
    m = [la.mask for la in digits_model.layers]
    bare = size_report_arrays(w, b, m, digits_model.n_features, int_max=16)  # digits: pixels 0..16
    full = size_report(digits_model)
    assert bare.table_bytes == full.table_bytes and bare.nnz == full.nnz


def test_bounds_and_dense_sizes_by_hand():
    # one 10->4 layer keeping 6 weights: index bits ceil(log2(min(10, 4))) = 2
    w = np.ones((4, 10), np.float32)
    mask = np.zeros((4, 10), bool)
    mask.flat[[0, 5, 11, 22, 33, 39]] = True
    r = size_report_arrays([w], [np.zeros(4, np.float32)], [mask], 10)
    assert r.nnz == 6 and r.bound_bytes == 6 * (8 + 2) / 8
    assert r.dense_float32 == 4 * (40 + 4) and r.dense_int8 == 40 + 4 * 4
    layer = r.layers[0]
    # 10 input codes need no more RAM than 4 int32 sums would: layer 0 runs by rows. Index lists: 1
    # byte of non-empty-row bits + 6 column bytes; values 6; int16 biases; one float input
    # multiplier and one int16 requantisation multiplier
    assert (
        layer.encoding,
        layer.structure_bytes,
        layer.value_bytes,
        layer.scale_bytes,
        layer.bias_bytes,
    ) == ("index", 1 + 6, 6, 4 + 2, 8)
    assert r.entropy_bytes == pytest.approx((8 * 6 + math.log2(math.comb(40, 6))) / 8)


def test_fit_verdicts_and_shortfall():
    rng = np.random.default_rng(0)
    big = [
        FirmwareLayer(
            "fc0",
            rng.normal(size=(256, 784)).astype(np.float32),
            np.zeros(256, np.float32),
            np.ones((256, 784), bool),
        ),
        FirmwareLayer(
            "fc1",
            rng.normal(size=(10, 256)).astype(np.float32),
            np.zeros(10, np.float32),
            np.ones((10, 256), bool),
        ),
    ]
    fm = FirmwareModel("big", big, "relu", np.zeros(1), np.ones(1), [str(i) for i in range(10)])
    r = size_report(fm)
    uno, esp = r.boards["uno"], r.boards["esp32"]
    assert not uno.flash_fits and uno.flash_over == uno.flash - 32_256 > 150_000
    # 784 input codes take less RAM than 256 int32 sums: layer 0 by rows, the codes in buffer 1; layer
    # 0's int8 codes in buffer 0, int32 class scores, the cursor (the next feature)
    assert uno.ram == BOARDS["uno"].overhead_ram + 784 + 256 + 4 * 10 + 2
    assert esp.fits and esp.flash_over == 0


def test_uno_overhead_is_what_the_board_table_says():
    uno = get_board("uno")
    assert (
        uno.env == "uno"
        and uno.platform == "atmelavr"
        and uno.flash_bytes == 32_256
        and uno.ram_bytes == 2048
    )
    assert get_board("nanoatmega328").key == "nano" and get_board("ESP32").env == "esp32dev"
    assert guess_board(0x2341, 0x0043) == ["uno"] and guess_board(0x2E8A, 0x000A) == ["pico"]
    assert "esp32" in guess_board(0x10C4, 0xEA60) and is_ambiguous(0x1A86, 0x7523)
    assert guess_board(0x1234, 0x5678) == [] and guess_board(None, None) == []
    with pytest.raises(UserError):
        get_board("arduino-mega")


@needs_avr
@pytest.mark.parametrize("fmt", ["int8", "float32"])
def test_predicted_uno_size_matches_avr_size(tmp_path, avr_work, digits_model, fmt):
    report = size_report(digits_model, fmt)
    write_sources(digits_model, tmp_path / "src", fmt)
    flash, ram, elf = avr_build(tmp_path / "src", avr_work / fmt)
    uno = report.boards["uno"]
    assert abs(uno.flash - flash) <= 0.05 * flash and abs(uno.ram - ram) <= 0.05 * ram
    assert elf.is_file() and uno.fits


@needs_avr
def test_predicted_size_of_tanh_and_per_feature_models(tmp_path, avr_work):
    wine = load_dataset(DatasetConfig(name="wine"))
    model, masks = train_pruned(wine, [12], 0.5, epochs=30, activation="tanh")
    fm = FirmwareModel.from_torch(model, wine, masks, name="wine-tanh")
    uno = size_report(fm, scales="row").boards["uno"]
    write_sources(quantize(fm, scales="row"), tmp_path / "src")
    flash, ram, _ = avr_build(tmp_path / "src", avr_work / "tanh")
    assert abs(uno.flash - flash) <= 0.05 * flash and abs(uno.ram - ram) <= 0.05 * ram


@needs_avr
def test_mnist_5k_at_high_sparsity_fits_the_uno(tmp_path, avr_work):
    """784-128-64-10 pruned to 93%: dense float32 needs 437 KB; the sparse int8 firmware fits 32 KB."""
    mnist = load_dataset(DatasetConfig(name="mnist-5k"))
    model, masks = train_pruned(mnist, [128, 64], 0.93, epochs=40)
    fm = FirmwareModel.from_torch(model, mnist, masks, name="mnist-93")
    q = quantize(fm)
    report = size_report(q)
    uno = report.boards["uno"]
    assert uno.fits and report.dense_float32 > 10 * report.model_flash
    write_sources(q, tmp_path / "src")
    flash, ram, _ = avr_build(tmp_path / "src", avr_work / "mnist")
    assert flash <= 32_256 and ram + 256 <= 2048
    assert abs(uno.flash - flash) <= 0.05 * flash and abs(uno.ram - ram) <= 0.05 * ram
    float_acc = accuracy(fm.float_predict(mnist.x_test), mnist.y_test)
    assert float_acc > 0.85
    assert abs(accuracy(reference_predict(q, mnist.x_test), mnist.y_test) - float_acc) <= 0.01


def test_project_folder_and_export(tmp_path, digits_model):
    out = write_project(digits_model, tmp_path / "proj", exact_cycles=True)
    ini = configparser.ConfigParser()
    ini.read(out / "platformio.ini")
    assert ini["env:uno"]["platform"] == "atmelavr" and ini["env:uno"]["board"] == "uno"
    assert ini["env:uno"]["framework"] == "arduino" and ini["env:uno"]["monitor_speed"] == "115200"
    assert ini["env:uno"]["build_flags"] == "-DBINGO_EXACT_CYCLES"
    assert ini["env:esp32dev"]["platform"] == "espressif32" and ini["env:pico"]["platform"] == "raspberrypi"
    assert "build_flags" not in ini["env:esp32dev"]
    assert sorted(p.name for p in (out / "src").iterdir()) == [
        "bingo_model.c",
        "bingo_model.h",
        "bingo_protocol.c",
        "bingo_protocol.h",
        "main.cpp",
    ]
    assert "ready <model name>" in (out / "README.txt").read_text()

    result = export(digits_model, tmp_path / "uno", "uno")
    assert result.env == "uno" and result.fits and all(f.is_file() for f in result.files)
    assert "fits" in result.summary and str(result.size.model_flash) in result.summary
    with pytest.raises(UserError):
        export(digits_model, tmp_path / "x", "uno", fmt="float16")


@needs_avr
@pytest.mark.parametrize("fmt", ["int8", "float32"])
def test_generated_c_is_warning_free_with_avr_gcc(tmp_path, fmt):
    rng = np.random.default_rng(0)
    layers = [  # 200 rows: 2-byte indices; per-feature std: column scales; tanh: libm
        FirmwareLayer(
            "fc0",
            rng.normal(size=(200, 20)).astype(np.float32),
            np.zeros(200, np.float32),
            rng.random((200, 20)) < 0.05,
        ),
        FirmwareLayer(
            "fc1",
            rng.normal(size=(5, 200)).astype(np.float32),
            np.zeros(5, np.float32),
            rng.random((5, 200)) < 0.5,
        ),
    ]
    fm = FirmwareModel("t", layers, "tanh", np.zeros(20), np.linspace(1, 2, 20), list("abcde"))
    write_sources(fm, tmp_path, fmt)
    for name in ("bingo_model.c", "bingo_protocol.c"):
        proc = subprocess.run(
            [
                "avr-gcc",
                "-mmcu=atmega328p",
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Os",
                "-c",
                str(tmp_path / name),
                "-o",
                str(tmp_path / (name + ".o")),
                f"-I{tmp_path}",
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
