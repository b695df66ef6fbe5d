"""Class labels keep their text on the board: UTF-8 in the label table, no two alike (issue 12, item 11)."""

from __future__ import annotations

import subprocess

import numpy as np
from firmware_helpers import compile_c

from bingo_studio.firmware.codegen import TEMPLATES, write_sources
from bingo_studio.firmware.protocol_client import parse_reply
from bingo_studio.firmware.spec import FirmwareLayer, FirmwareModel, label_text, label_words

NAMES = ["café au lait", "a b", "a_b", "a,b", "日本語", "x=1", "50%", '"q"', "", "\\0", "a b"]


def one_hot_model(names: list[str]) -> FirmwareModel:
    """One layer, identity weights: the one-hot input k answers class k."""
    k = len(names)
    layer = FirmwareLayer("fc0", np.eye(k, dtype=np.float32), np.zeros(k, np.float32), np.ones((k, k), bool))
    return FirmwareModel("labels", [layer], "relu", np.zeros(1), np.ones(1), names)


def test_label_words_are_unique_and_read_back_as_the_class_names():
    words = label_words(NAMES)
    assert len(set(words)) == len(words)
    assert all(" " not in w and "," not in w and w for w in words)
    distinct = [i for i, n in enumerate(NAMES) if n and NAMES.index(n) == i]  # first of each non-empty name
    assert [label_text(words[i]) for i in distinct] == [NAMES[i] for i in distinct]
    assert label_words(["x" * 100, "x" * 100])[0] != label_words(["x" * 100, "x" * 100])[1]  # cut, still apart


def test_the_board_prints_each_label_in_utf8(host_cc, tmp_path):
    model = one_hot_model(NAMES)
    write_sources(model, tmp_path, main=False)
    exe = compile_c(host_cc, [tmp_path / "bingo_model.c", tmp_path / "bingo_protocol.c",
                              TEMPLATES / "host" / "proto_main.c"], tmp_path / "proto", [f"-I{tmp_path}"])
    k = len(NAMES)
    lines = ["info"] + [",".join("1" if j == i else "0" for j in range(k)) for i in range(k)]
    proc = subprocess.run([str(exe)], input=("\n".join(lines) + "\n").encode(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8").split("\n")
    info = next(x for x in out if x.startswith("info "))
    labels = dict(p.split("=", 1) for p in info.split()[1:])["labels"].split(",")
    assert labels == label_words(NAMES)
    replies = [parse_reply(x) for x in out if x.startswith("pred ")]
    assert [r.cls for r in replies] == list(range(k))
    shown = [r.label for r in replies]
    assert shown[0] == "café au lait" and shown[4] == "日本語" and shown[1] == "a b" and shown[2] == "a_b"
    assert len(set(shown)) == k  # the two "a b" and the empty label come back told apart
