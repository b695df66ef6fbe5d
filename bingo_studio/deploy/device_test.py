"""The model on the device: one test sample, or a whole test split, over the line protocol.

Used by `bingo-studio simulate --test-set` and by the window's Test-on-device step alike, on any
open port (a board or the simulated Uno) read through firmware.protocol_client.LineReader.
Features go out raw: the firmware normalises them itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bingo_studio.errors import UserError
from bingo_studio.firmware.protocol_client import LineReader, NoAnswer, ask, format_features, handshake
from bingo_studio.training.task import Progress, TaskState

SILENT_LIMIT = 3  # answers missed in a row before the board counts as gone


@dataclass
class DeviceTestResult:
    model: str  # the firmware's model name (its info line)
    predictions: np.ndarray  # -1 where the board answered an error or nothing
    labels: np.ndarray
    us: list[int]  # the board's own compute time per answered sample
    errors: list[str]
    confusion: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def correct(self) -> int:
        return int((self.predictions == self.labels).sum())

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.n, 1)

    @property
    def mean_us(self) -> float | None:
        return float(np.mean(self.us)) if self.us else None


def check_model(reader: LineReader, n_features: int) -> dict[str, str]:
    """The firmware's info, after checking it takes this data's features."""
    info = handshake(reader)
    if "features" in info and int(info["features"]) != n_features:
        raise UserError(
            f"The board's model takes {info['features']} features but this dataset has "
            f"{n_features}: flash the firmware of this project first"
        )
    return info


def run_sample(reader: LineReader, row: np.ndarray, pace_us: float, timeout: float = 10.0) -> dict:
    """One sample's answer: {'cls', 'label', 'us', 'sent'}."""
    check_model(reader, len(row))
    line = format_features(row)
    reply = ask(reader, line, timeout, pace_us)
    if reply.error:
        raise UserError(f"The board answered an error: {reply.error}")
    return {"cls": reply.cls, "label": reply.label, "us": reply.us, "sent": line}


def run_test_set(
    reader: LineReader, x: np.ndarray, y: np.ndarray, n_classes: int, pace_us: float,
    state: TaskState | None = None, timeout: float = 10.0,
) -> DeviceTestResult:
    """Every row in turn; an `err` answer or a lost line counts as an error, three lost in a row stop."""
    state = state or TaskState()
    info = check_model(reader, x.shape[1])
    preds = np.full(len(y), -1, dtype=np.int64)
    us: list[int] = []
    errors: list[str] = []
    silent = 0
    start = time.monotonic()
    for i, row in enumerate(x):
        state.check()
        try:
            reply = ask(reader, format_features(row), timeout, pace_us)
            silent = 0
        except NoAnswer:
            silent += 1
            if silent >= SILENT_LIMIT:
                raise UserError(f"The board stopped answering (sample {i}); if it drops bytes, send "
                                "slower (a larger pace)") from None
            reader.ser.write(b"\n")  # the newline was probably lost: end the half line, skip its reply
            reader.readline(time.monotonic() + timeout)
            errors.append(f"sample {i}: no answer")
            continue
        if reply.error:
            errors.append(f"sample {i}: {reply.error}")
        else:
            preds[i] = reply.cls
            if reply.us is not None:
                us.append(reply.us)
        if i % 5 == 0 or i == len(y) - 1:
            correct = int((preds[: i + 1] == y[: i + 1]).sum())
            state.report(Progress("device", (i + 1) / len(y), f"{i + 1}/{len(y)} answered, {correct} correct",
                                  step=i + 1, total_steps=len(y), elapsed=time.monotonic() - start))
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    for t, p in zip(y, preds):
        if 0 <= p < n_classes:
            confusion[int(t), int(p)] += 1
    return DeviceTestResult(info.get("model", "?"), preds, np.asarray(y), us, errors, confusion)


def host_inputs(x: np.ndarray) -> np.ndarray:
    """The exact values the board receives (features are sent as text with 7 significant digits)."""
    return np.array([[float(v) for v in format_features(row).split(",")] for row in x], dtype=np.float32)
