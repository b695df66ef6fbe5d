"""The serial protocol parser, host-built with ASan/UBSan, against bad, hostile and random input."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from firmware_helpers import compile_c

from bingo_studio.firmware.codegen import TEMPLATES, write_sources
from bingo_studio.firmware.quantize import quantize, reference_predict

PROTO_MAIN = TEMPLATES / "host" / "proto_main.c"
SANITIZE = [
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]
N = 64  # digits features


@pytest.fixture(scope="module")
def proto(host_cc, tmp_path_factory, digits_model):
    src = tmp_path_factory.mktemp("proto")
    write_sources(digits_model, src, main=False)
    return compile_c(
        host_cc,
        [src / "bingo_model.c", src / "bingo_protocol.c", PROTO_MAIN],
        src / "proto",
        [f"-I{src}", *SANITIZE],
    )


@pytest.fixture(scope="module")
def q(digits_model):
    return quantize(digits_model)


def talk(exe, data: bytes) -> list[str]:
    """Replies (without the ready line) to ``data``; the run must end cleanly with no sanitizer report."""
    proc = subprocess.run([str(exe)], input=data, capture_output=True, timeout=120)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr.decode(errors="replace")[-3000:]
    lines = proc.stdout.decode("ascii").split("\n")
    assert lines[0] == "ready digits-80 64"
    assert lines[-1] == "", "every reply ends with a newline"
    return lines[1:-1]


def line(values) -> bytes:
    return (",".join(f"{float(v):.9g}" for v in values) + "\n").encode()


def expected(q, labels, x) -> str:
    k = int(reference_predict(q, np.asarray(x, np.float32)[None, :])[0])
    return f"pred {k} {labels[k]}"


def pred_prefix(reply: str) -> str:
    parts = reply.split()
    assert len(parts) == 4 and parts[3].isdigit(), reply
    return " ".join(parts[:3])


def test_ready_info_and_predictions_match_reference(proto, q, digits):
    xs = digits.x_test[:40]
    replies = talk(proto, b"info\n" + b"".join(line(x) for x in xs))
    assert replies[0].startswith("info model=digits-80 dataset=digits features=64 classes=10 labels=0,1,2,3")
    assert "format=int8" in replies[0] and "sparsity=0.800" in replies[0]
    assert [pred_prefix(r) for r in replies[1:]] == [expected(q, q.class_names, x) for x in xs]


BAD_LINES = [
    (b"", "err empty line"),
    (b"   \t ", "err empty line"),
    (b"hello", "err unknown command (send info, or N comma-separated numbers)"),
    (b"in fo", "err unknown command (send info, or N comma-separated numbers)"),
    (b"informationxx", "err unknown command (send info, or N comma-separated numbers)"),
    (b"nan," + b"1," * 63, "err value 1 is not a number"),
    (b"1,inf", "err value 2 is not a number"),
    (b"1,2,-nan", "err value 3 is not a number"),
    (b"0x10", "err value 1 is not a number"),
    (b"1.2.3", "err value 1 is not a number"),
    (b"--1", "err value 1 is not a number"),
    (b"1e", "err value 1 is not a number"),
    (b"+", "err value 1 is not a number"),
    (b".", "err value 1 is not a number"),
    (b"1 2", "err value 1 is not a number"),
    (b"1,2e+,3", "err value 2 is not a number"),
    (b"1e999", "err value 1 is out of range"),
    (b"1," * 5 + b"-3.5e38", "err value 6 is out of range"),
    (b"9" * 41, "err value 1 is too long"),
    (b",,,,", "err value 1 is empty"),
    (b"1,2,,4", "err value 3 is empty"),
    (b"1," * 64, "err value 65 is empty"),
    (b"1," * 63, "err value 64 is empty"),
    (b"1," * 62 + b"1", "err too few values, got 63, expected 64"),
    (b"1," * 64 + b"1", "err too many values, expected 64"),
    (b"1," * 2000, "err too many values, expected 64"),
    (b"1,\xff,2", "err bad byte (not ASCII text)"),
    (b"\xc3\xa9t\xc3\xa9", "err bad byte (not ASCII text)"),
    (b"1,\x00,2", "err bad byte (not ASCII text)"),
    (b" " * (48 * N + 65), "err line too long"),
]


@pytest.mark.parametrize("bad,reply", BAD_LINES, ids=[r for _, r in BAD_LINES])
def test_bad_line_gets_one_error_and_the_next_line_still_works(proto, q, digits, bad, reply):
    x = digits.x_test[7]
    replies = talk(proto, line(x) + bad + b"\n" + line(x))
    assert replies[1] == reply
    assert pred_prefix(replies[0]) == pred_prefix(replies[2]) == expected(q, q.class_names, x)
    assert len(replies) == 3


def test_number_syntax_and_line_endings(proto, q, digits):
    x = digits.x_test[3]
    assert np.all(x == np.round(x))  # integers: every spelling below is the same float
    spellings = [
        ",".join(f"{int(v)}" for v in x),
        ",".join(f" {v:.1f} " for v in x),
        ",".join(f"{v / 10:.2f}e1" for v in x),
        ",".join(f"+{v * 100:.0f}E-2" for v in x),
        ",".join(f"{int(v)}." if v else ".0" for v in x),
        ",".join(f"{v * 1000:.0f}e-3" for v in x),
    ]
    data = b"".join(
        s.encode() + end for s, end in zip(spellings, [b"\n", b"\r\n", b"\r", b"\n", b"\r\n", b"\n"])
    )
    replies = talk(proto, data)
    assert [pred_prefix(r) for r in replies] == [expected(q, q.class_names, x)] * len(spellings)


def test_tiny_and_huge_but_valid_numbers(proto, q, digits):
    x = digits.x_test[0].astype(np.float64).copy()
    x[0], x[1] = 0.0, 3e38  # "1e-999" underflows to 0; 3e38 is still a float
    text = ",".join(["1e-999", "3e38"] + [f"{v:.9g}" for v in x[2:]]) + "\n"
    replies = talk(proto, text.encode())
    assert pred_prefix(replies[0]) == expected(q, q.class_names, x)


def test_no_newline_means_no_reply_yet(proto, digits):
    assert talk(proto, line(digits.x_test[0])[:-1]) == []
    assert talk(proto, b"1,2,3") == []


def test_random_and_adversarial_bytes_never_crash(proto, q, digits):
    """Random lines (bytes, digit soup, separators), then a valid one: a reply a line, no sanitizer hit."""
    rng = np.random.default_rng(0)
    alphabet = np.frombuffer(b"0123456789+-.eE,, \t\r\nnaif\xff\x00", dtype=np.uint8)
    chunks, n_lines = [], 0
    for i in range(1500):
        if i % 3 == 0:
            chunk = rng.integers(0, 256, rng.integers(0, 300), dtype=np.uint8).tobytes()
        else:
            chunk = rng.choice(alphabet, rng.integers(0, 400)).tobytes()
        chunk = chunk.replace(b"\r", b"").replace(b"\n", b"") + b"\n"
        chunks.append(chunk)
        n_lines += 1
    x = digits.x_test[11]
    data = b"".join(chunks) + line(x)
    replies = talk(proto, data)
    assert len(replies) == n_lines + 1
    assert all(r.startswith(("err ", "pred ", "info ")) for r in replies)
    assert pred_prefix(replies[-1]) == expected(q, q.class_names, x)
    # random digit soup occasionally forms 64 valid numbers: those must be real predictions
    assert sum(r.startswith("err ") for r in replies) > n_lines * 0.9
