"""Generated C built with the host gcc (-Wall -Wextra -Werror) answers like the numpy reference."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import numpy as np
import pytest
from firmware_helpers import accuracy, compile_c, train_pruned

from bingo_studio.config import DatasetConfig
from bingo_studio.data import load_dataset
from bingo_studio.firmware.codegen import TEMPLATES, encode_int_layer, encode_layer, generate_c, write_sources
from bingo_studio.firmware.quantize import (
    CODE_MAX,
    input_codes,
    quantize,
    reference_outputs,
    reference_predict,
    reference_scores,
    requantize,
)
from bingo_studio.firmware.size import ModelShape, int_layouts, layer_layout, size_report
from bingo_studio.firmware.spec import FirmwareLayer, FirmwareModel, calibrate

PREDICT_MAIN = TEMPLATES / "host" / "predict_main.c"


def encodings(q) -> list[str]:
    """Each layer's encoding as generated (the integer kernel stores layers row by row, but a wide
    input's layer 0 by columns)."""
    if q.fmt == "int8":
        rows = ModelShape.of_qmodel(q).l0_rows
        return [encode_int_layer(layer, k == 0 and not rows, layout).encoding
                for k, (layer, layout) in enumerate(zip(q.layers, int_layouts(q)))]
    return [encode_layer(layer).encoding for layer in q.layers]


def run_host(cc, tmp_path, q, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(classes, outputs) of the host-built firmware for raw float32 samples ``x``."""
    src = tmp_path / "src"
    write_sources(q, src, main=False)
    exe = compile_c(cc, [src / "bingo_model.c", PREDICT_MAIN], tmp_path / "predict", [f"-I{src}"])
    proc = subprocess.run(
        [str(exe)], input=np.ascontiguousarray(x, np.float32).tobytes(), capture_output=True, check=True
    )
    rows = [line.split() for line in proc.stdout.decode().splitlines()]
    assert len(rows) == len(x)
    streamed = np.array([int(r[0]) for r in rows])
    whole = np.array([int(r[1]) for r in rows])
    assert np.array_equal(streamed, whole), "bingo_predict and bingo_begin/feed/finish disagree"
    return streamed, np.array([[float(v) for v in r[2:]] for r in rows], dtype=np.float32)


@pytest.mark.parametrize("fmt,scales", [("int8", "row"), ("int8", "layer"), ("float32", "row")])
def test_whole_digits_test_split_matches_reference(host_cc, tmp_path, digits, digits_model, fmt, scales):
    q = quantize(digits_model, fmt, scales)
    c_pred, c_out = run_host(host_cc, tmp_path, q, digits.x_test)
    ref_pred = reference_predict(q, digits.x_test)
    agreement = float(np.mean(c_pred == ref_pred))
    # Same float32 operations in the same order (ReLU, no libm call): bit-identical outputs.
    assert agreement >= 0.995
    assert np.array_equal(c_out, reference_outputs(q, digits.x_test))
    float_acc = accuracy(digits_model.float_predict(digits.x_test), digits.y_test)
    assert abs(accuracy(c_pred, digits.y_test) - float_acc) <= 0.01
    assert float_acc > 0.85  # a real model, not noise


def test_tanh_model_matches_reference(host_cc, tmp_path, digits):
    model, masks = train_pruned(digits, [24], 0.7, epochs=30, activation="tanh")
    fm = FirmwareModel.from_torch(model, digits, masks, name="digits-tanh")
    assert fm.activation == "tanh"
    q = quantize(fm)
    c_pred, c_out = run_host(host_cc, tmp_path, q, digits.x_test)
    # glibc's tanhf and numpy's float32 tanh may differ in the last bit: outputs close, classes
    # equal unless two classes tie within that bit.
    assert float(np.mean(c_pred == reference_predict(q, digits.x_test))) >= 0.995
    np.testing.assert_allclose(c_out, reference_outputs(q, digits.x_test), rtol=1e-5, atol=1e-5)


def test_per_feature_normalisation_is_folded_in(host_cc, tmp_path):
    """Tabular data (per-feature mean/std): the board takes raw values and still agrees."""
    wine = load_dataset(DatasetConfig(name="wine"))
    assert wine.std.size == wine.n_features and np.ptp(wine.std) > 1  # features on different scales
    model, masks = train_pruned(wine, [16], 0.5, epochs=60)
    fm = FirmwareModel.from_torch(model, wine, masks, name="wine")
    q = quantize(fm)
    assert q.layers[0].colscale is not None
    x = np.concatenate([wine.x_test, wine.x_val])
    c_pred, c_out = run_host(host_cc, tmp_path, q, x)
    assert np.array_equal(c_out, reference_outputs(q, x))
    y = np.concatenate([wine.y_test, wine.y_val])
    assert abs(accuracy(c_pred, y) - accuracy(fm.float_predict(x), y)) <= 0.03  # 81 samples: 2 flips


def _synthetic(rng, widths, density, kill_row=None, kill_layer=None) -> FirmwareModel:
    layers = []
    for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        w = rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        mask = rng.random((n_out, n_in)) < density
        if kill_row is not None and k == kill_row[0]:
            mask[kill_row[1]] = False
        if kill_layer == k:
            mask[:] = False
        layers.append(FirmwareLayer(f"fc{k}", w, rng.normal(0, 0.5, n_out).astype(np.float32), mask))
    n_f = widths[0]
    names = ["caf\u00e9 au lait", "a,b", '"q"', "*/", "", "\\0", "x"]  # hostile labels: C, commas, non-ASCII
    return FirmwareModel(
        "synth model \u2713 */",
        layers,
        "relu",
        rng.normal(3, 1, n_f),
        rng.uniform(0.5, 2, n_f),
        (names * 3)[: widths[-1]],
        {"dataset": "d\u00e4ta/*set*/"},
    )


@pytest.mark.parametrize("density", [0.03, 0.6])  # index lists and bitmasks, by columns
def test_wide_input_runs_layer_0_by_columns_and_agrees(host_cc, tmp_path, density):
    """600 input codes would take more RAM than 140 int32 sums: layer 0 runs column by column as the
    features arrive, whole numbers (pixels, mostly 0) through the table of codes; past 128 positions
    a line's indices take two bytes (layer 0's columns, layer 1's rows: the general row loop)."""
    rng = np.random.default_rng(7)
    fm = _synthetic(rng, [600, 140, 5], density)
    fm.mean, fm.std = np.full(1, 40.0, np.float32), np.full(1, 30.0, np.float32)
    x = np.where(rng.random((200, 600)) < 0.6, 0, rng.integers(0, 256, (200, 600))).astype(np.float32)
    q = quantize(fm, calibration=calibrate(fm, x))
    assert not ModelShape.of_qmodel(q).l0_rows and q.layers[0].intcode.size == 256
    assert encodings(q)[:2] == (["index", "index"] if density < 0.5 else ["bitmask", "bitmask"])
    c_pred, c_out = run_host(host_cc, tmp_path, q, x)
    assert np.array_equal(c_out, reference_outputs(q, x))
    assert np.array_equal(c_pred, reference_predict(q, x))


@pytest.mark.parametrize("fmt", ["int8", "float32"])
def test_edge_cases_fully_pruned_row_and_layer_and_wide_index(host_cc, tmp_path, fmt):
    rng = np.random.default_rng(1)
    x = rng.normal(3, 2, (300, 20)).astype(np.float32)
    x[:, 3] = 0.0  # zero inputs skip their columns
    # 200 outputs need 2-byte row indices; row 5 of fc0 and all of fc1 are pruned away
    fm = _synthetic(rng, [20, 200, 40, 7], 0.04, kill_row=(0, 5), kill_layer=1)
    q = quantize(fm, fmt)
    if fmt == "int8":
        assert encode_int_layer(q.layers[0], True).encoding == "index" and encode_int_layer(q.layers[0], True).wide
    else:
        enc = encode_layer(q.layers[0])
        assert enc.encoding == "index" and enc.structure.dtype == np.uint16
    assert q.layers[1].nnz == 0
    c_pred, c_out = run_host(host_cc, tmp_path, q, x)
    assert np.array_equal(c_out, reference_outputs(q, x))
    # a dead hidden layer leaves only biases: every sample gets the same class
    assert len(set(c_pred.tolist())) == 1


def test_bitmask_and_index_encodings_both_agree(host_cc, tmp_path):
    rng = np.random.default_rng(2)
    fm = _synthetic(rng, [30, 60, 20, 5], 0.5)  # dense enough for bitmasks...
    sparse = fm.with_masks([layer.mask & (rng.random(layer.mask.shape) < 0.1) for layer in fm.layers])
    x = rng.normal(3, 2, (200, 30)).astype(np.float32)
    for model, kind in ((fm, "bitmask"), (sparse, "index")):  # ...and sparse enough for index lists
        q = quantize(model)
        assert set(encodings(q)) == {kind}
        _, c_out = run_host(host_cc, tmp_path / kind, q, x)
        assert np.array_equal(c_out, reference_outputs(q, x))


def test_layout_picks_the_smaller_encoding():
    assert layer_layout(64, 32, 2048) == ("bitmask", 64 * 4)
    assert layer_layout(64, 32, 10) == ("index", 8 + 10)
    assert layer_layout(10, 300, 20) == ("index", 2 + 40)  # > 128 rows: 2-byte indices


def test_generated_code_names_and_comment(host_cc, tmp_path, digits_model):
    files = generate_c(digits_model)
    c = files["bingo_model.c"]
    assert "dataset:    digits" in c and "sparsity 80.0%" in c and "classes:    0, 1, 2" in c
    assert "PROGMEM" in files["bingo_model.h"]  # tables go to flash on AVR
    # Every global symbol is bingo_-prefixed (Arduino's binary.h defines B0..B11111111).
    src = tmp_path / "src"
    write_sources(digits_model, src, main=False)
    objs = []
    for name in ("bingo_model.c", "bingo_protocol.c"):
        obj = tmp_path / (name + ".o")
        proc = subprocess.run(
            [
                host_cc,
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-c",
                str(src / name),
                "-o",
                str(obj),
                f"-I{src}",
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        objs.append(str(obj))
    nm = subprocess.run(
        ["nm", "-g", "--defined-only", *objs], capture_output=True, text=True, check=True
    ).stdout
    symbols = re.findall(r"^\w+ [A-Z] (\S+)$", nm, re.M)
    assert symbols and all(s.startswith("bingo_") for s in symbols), symbols


def test_only_surviving_weights_are_stored(digits_model):
    c = generate_c(digits_model)["bingo_model.c"]
    q = quantize(digits_model)
    report = size_report(q)
    # entries interleave positions and int8 values: their bytes are the structure plus one a weight
    n_bytes = sum(int(n) for n in re.findall(r"uint8_t bingo_l\d+_(?:ent|nz)\[(\d+)\]", c))
    assert n_bytes == sum(layer.structure_bytes for layer in report.layers) + q.nnz
    assert q.nnz <= digits_model.n_kept < 0.25 * digits_model.n_weights
    assert report.model_flash < report.dense_int8 < report.dense_float32


def test_from_torch_reads_prune_masks_and_saves(tmp_path, digits):
    from torch.nn.utils import prune

    model, masks = train_pruned(digits, [16], 0.0, epochs=5)
    prune.l1_unstructured(model.fc0, "weight", amount=0.6)  # a torch prune mask, no masks dict
    fm = FirmwareModel.from_torch(model, digits, masks={"fc1": masks["fc1"]}, meta={"accuracy": 0.5})
    assert [layer.name for layer in fm.layers] == ["fc0", "fc1"]
    assert fm.layers[0].mask.mean() == pytest.approx(0.4, abs=0.01) and fm.layers[1].mask.all()
    assert fm.metadata["dataset"] == "digits" and fm.metadata["sparsity"] == round(fm.sparsity, 4)
    back = FirmwareModel.load(fm.save(tmp_path / "model.npz"))
    assert back.name == fm.name and back.class_names == fm.class_names and back.metadata == fm.metadata
    for a, b in zip(back.layers, fm.layers):
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.mask, b.mask)
    assert np.array_equal(back.float_predict(digits.x_test), fm.float_predict(digits.x_test))


def test_bad_models_are_refused_with_a_user_error():
    from bingo_studio.errors import UserError

    layer = FirmwareLayer("fc0", np.ones((3, 4), np.float32), np.zeros(3, np.float32), np.ones((3, 4), bool))
    good = dict(
        name="m",
        layers=[layer],
        activation="relu",
        mean=np.zeros(1),
        std=np.ones(1),
        class_names=["a", "b", "c"],
    )
    FirmwareModel(**good)
    for change in (
        {"activation": "gelu"},
        {"class_names": ["a", "b"]},
        {"std": np.zeros(1)},
        {"mean": np.zeros(3)},
        {"layers": []},
    ):
        with pytest.raises(UserError):
            FirmwareModel(**{**good, **change})
    with pytest.raises(UserError):
        quantize(FirmwareModel(**good), fmt="int4")
    with pytest.raises(UserError):
        FirmwareModel.load("/nonexistent/model.npz")


def test_hostile_names_become_one_word_each_in_ascii_c():
    fm = _synthetic(np.random.default_rng(3), [6, 4, 7], 0.5)
    files = generate_c(fm)
    assert all(text.isascii() for text in files.values())  # labels' UTF-8 bytes as octal escapes
    info = re.search(r'bingo_info\[\] BINGO_ROM = "(.*)";', files["bingo_model.c"]).group(1)
    assert info.startswith("model=synth_model_____ dataset=d_ta__set__ features=6 classes=7 ")
    # UTF-8 kept (\303\251 is the e-acute), separators %-escaped, the empty label named by its index
    assert "labels=caf\\303\\251%20au%20lait,a%2Cb,\\042q\\042,*/,~4,\\1340,x " in info


# ---- the integer kernel's arithmetic at its edges -------------------------------------------------
def test_requantisation_saturates_and_rounds_like_the_formula():
    q = quantize(_synthetic(np.random.default_rng(4), [6, 5, 3], 0.8))
    layer = q.layers[0]
    v = np.array([[-(2**31), -(2**20), -1, 0, 1, 2**20, 2**31 - 1]], dtype=np.int64)
    y = requantize(v, layer)
    assert y.min() >= layer.lo and y.max() <= layer.hi
    assert y[0, 0] == y[0, 1] == layer.lo and y[0, -1] == y[0, -2] == layer.hi  # saturation both ways
    real = v * float(layer.mult[0]) / 2.0 ** (layer.pre + layer.post)
    inside = (real > layer.lo) & (real < layer.hi)
    assert np.all(np.abs(y[inside] - real[inside]) <= 0.5 + 2.0**-8)  # the nearest code


def test_input_codes_round_half_away_and_saturate():
    q = quantize(_synthetic(np.random.default_rng(5), [4, 3, 2], 0.9))
    layer = q.layers[0]
    c = float(layer.colscale[0]) / 2  # colscale holds 2c
    x = np.array([[0.5 / c, -0.5 / c, 1e30, -np.inf, 0.0, -0.0, 2.5 / c, -126.4 / c]], dtype=np.float32)
    codes = [int(input_codes(layer, np.full((1, 4), v, np.float32))[0, 0]) for v in x[0]]
    assert codes[2:6] == [CODE_MAX, -CODE_MAX, 0, 0]
    assert abs(codes[0]) == 1 and abs(codes[1]) == 1 and codes[0] == -codes[1]
    assert codes[6] == 3 and codes[7] == -126


def test_saturation_and_negative_zero_points_match_on_the_host(host_cc, tmp_path):
    """Ranges calibrated far too small (every code saturates), features with negative means (the
    folded zero points are negative) and inputs beyond anything seen: the C still agrees exactly."""
    rng = np.random.default_rng(6)
    fm = _synthetic(rng, [12, 24, 16, 5], 0.6)
    fm.mean = -np.abs(fm.mean) - 2.0
    x = rng.normal(-3, 6, (400, 12)).astype(np.float32)
    x[:50] *= 1e3  # far outside any calibration
    tight = {"input": 0.5, "layers": [0.01, 0.01, 0.01], "int_max": 0}
    for name, q in (("tight", quantize(fm, calibration=tight)), ("fit", quantize(fm, calibration=calibrate(fm, x)))):
        scores = reference_scores(q, x)
        if name == "tight":  # the hidden codes really hit their ceiling (the raw int32 scores do not saturate)
            hidden = dataclasses.replace(q, layers=q.layers[:-1])
            assert np.any(reference_scores(hidden, x) == CODE_MAX)
            assert q.layers[-1].raw and len(np.unique(scores, axis=0)) < len(x)
        c_pred, c_out = run_host(host_cc, tmp_path / name, q, x)
        assert np.array_equal(c_out, reference_outputs(q, x))
        assert np.array_equal(c_pred, reference_predict(q, x))


def test_whole_number_features_use_the_table_and_agree(host_cc, tmp_path, digits, digits_model):
    q = quantize(digits_model)
    assert q.layers[0].intcode is not None and q.layers[0].intcode.size == 17  # digits: 0..16
    # fractions, negatives and numbers past the table take the float path
    x = np.concatenate([digits.x_test[:50], digits.x_test[:50] + 0.5, -digits.x_test[:50], digits.x_test[:50] * 20])
    c_pred, c_out = run_host(host_cc, tmp_path, q, x.astype(np.float32))
    assert np.array_equal(c_out, reference_outputs(q, x))


def test_two_prefixed_models_share_one_program(host_cc, tmp_path, digits, digits_model):
    """emlearn's idea: a symbol prefix, so two generated models link into one sketch."""

    wine = load_dataset(DatasetConfig(name="wine"))
    model, masks = train_pruned(wine, [8], 0.5, epochs=40)
    models = {"dig_": (quantize(digits_model), digits.x_test[:25]),
              "wine_": (quantize(FirmwareModel.from_torch(model, wine, masks, name="wine")), wine.x_test[:25])}
    main = ["#include <stdio.h>"]
    body = []
    for prefix, (q, x) in models.items():
        for name, text in generate_c(q, prefix=prefix).items():
            (tmp_path / name).write_text(text)
        assert "bingo_" not in (tmp_path / f"{prefix}model.c").read_text()
        main.append(f'#include "{prefix}model.h"')
        rows = ",".join("{" + ",".join(f"{v:.9e}f" for v in row) + "}" for row in x)
        main.append(f"static const float {prefix}x[{len(x)}][{x.shape[1]}] = {{{rows}}};")
        body.append(f'for (int i = 0; i < {len(x)}; i++) printf("{prefix} %d\\n", {prefix}predict({prefix}x[i]));')
    main.append("int main(void) {\n" + "\n".join(body) + "\nreturn 0;\n}")
    (tmp_path / "both.c").write_text("\n".join(main) + "\n")
    exe = compile_c(host_cc, [tmp_path / "both.c", tmp_path / "dig_model.c", tmp_path / "wine_model.c"],
                    tmp_path / "both", [f"-I{tmp_path}"])
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n")
    for prefix, (q, x) in models.items():
        got = [int(line.split()[1]) for line in out if line.startswith(prefix + " ")]
        assert got == reference_predict(q, x).tolist()
