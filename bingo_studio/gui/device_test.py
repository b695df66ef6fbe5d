"""Jobs the console runs in its serial thread: one test sample, or the whole test split.

Inputs: raw test features and labels (the firmware normalises on the board), the open port.
Outputs: dicts of answers: predicted classes, latencies reported by the board, accuracy, confusion
matrix. Qt-free; the line protocol helpers come from bingo_studio.firmware.simulator.
"""

from __future__ import annotations

import time

import numpy as np

from bingo_studio.errors import UserError
from bingo_studio.firmware.simulator import PACE_US, Reply, format_features, parse_reply, send_line
from bingo_studio.training.task import Progress


def parse_info(line: str) -> dict[str, str]:
    """'info model=digits features=64 ...' -> {'model': 'digits', 'features': '64', ...}."""
    return dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)




def handshake(reader, ser, tries: int = 4, timeout: float = 2.0) -> dict[str, str]:
    """Ask the firmware for its info line (a freshly reset board may need a moment to boot)."""
    for _ in range(tries):
        ser.write(b"info\n")
        deadline = time.monotonic() + timeout
        while True:
            line = reader.readline(deadline)
            if line is None:
                break
            if line.startswith("info "):
                return parse_info(line)
    raise UserError("The board does not answer 'info': is the BINGO firmware on it, at 115200 baud?")


def ask(reader, ser, line: str, timeout: float, pace_us: float) -> Reply:
    send_line(ser, line, pace_us)
    deadline = time.monotonic() + timeout
    while True:
        text = reader.readline(deadline)
        if text is None:
            raise UserError(f"No answer from the board within {timeout:.0f} s")
        reply = parse_reply(text)
        if reply is not None:
            return reply


def _check_features(info: dict[str, str], n_features: int) -> None:
    if "features" in info and int(info["features"]) != n_features:
        raise UserError(
            f"The board's model takes {info['features']} features but this dataset has "
            f"{n_features}: flash the firmware of this project first"
        )


def sample_job(row: np.ndarray, pace_us: float = PACE_US, timeout: float = 10.0):
    def job(reader, ser, state) -> dict:
        _check_features(handshake(reader, ser), len(row))
        line = format_features(row)
        reply = ask(reader, ser, line, timeout, pace_us)
        if reply.error:
            raise UserError(f"The board answered an error: {reply.error}")
        return {"cls": reply.cls, "label": reply.label, "us": reply.us, "sent": line}

    return job


def test_set_job(
    x: np.ndarray, y: np.ndarray, n_classes: int, pace_us: float = PACE_US, timeout: float = 10.0
):
    def job(reader, ser, state) -> dict:
        _check_features(handshake(reader, ser), x.shape[1])
        preds = np.full(len(y), -1, dtype=np.int64)
        us: list[int] = []
        errors: list[str] = []
        start = time.monotonic()
        for i, row in enumerate(x):
            state.check()
            reply = ask(reader, ser, format_features(row), timeout, pace_us)
            if reply.error:
                errors.append(f"sample {i}: {reply.error}")
            else:
                preds[i] = reply.cls
                if reply.us is not None:
                    us.append(reply.us)
            if i % 5 == 0 or i == len(y) - 1:
                correct = int((preds[: i + 1] == y[: i + 1]).sum())
                state.report(
                    Progress(
                        "device",
                        (i + 1) / len(y),
                        f"{i + 1}/{len(y)} answered, {correct} correct",
                        step=i + 1,
                        total_steps=len(y),
                        elapsed=time.monotonic() - start,
                    )
                )
        confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
        for t, p in zip(y, preds):
            if 0 <= p < n_classes:
                confusion[int(t), int(p)] += 1
        return {
            "predictions": preds,
            "accuracy": float((preds == y).mean()),
            "n": len(y),
            "mean_us": float(np.mean(us)) if us else None,
            "errors": errors,
            "confusion": confusion,
        }

    return job


def host_inputs(x: np.ndarray) -> np.ndarray:
    """The exact values the board receives (features are sent as text with 7 significant digits)."""
    return np.array([[float(v) for v in format_features(row).split(",")] for row in x], dtype=np.float32)
