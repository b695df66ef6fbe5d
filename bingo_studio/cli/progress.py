"""A text progress bar for the CLI, fed by the engine's Progress reports."""

from __future__ import annotations

import sys
import time

from bingo_studio.training.task import Progress


class ProgressBar:
    """Redraws one line on a terminal; on a pipe (CI logs) prints a line per epoch/phase change."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_message = None
        self._last_draw = 0.0

    def __call__(self, p: Progress) -> None:
        filled = int(self.width * min(max(p.fraction, 0.0), 1.0))
        bar = "#" * filled + "." * (self.width - filled)
        parts = [f"[{bar}] {p.fraction * 100:5.1f}%", p.message]
        if p.loss is not None:
            parts.append(f"loss {p.loss:.4f}")
        if p.val_accuracy is not None:
            parts.append(f"val acc {p.val_accuracy * 100:.1f}%")
        if p.eta is not None:
            parts.append(f"ETA {p.eta:.0f}s")
        line = "  ".join(x for x in parts if x)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw > 0.1 or p.fraction >= 1.0:
                self.stream.write("\r" + line[:120].ljust(120))
                self.stream.flush()
                self._last_draw = now
        elif p.message != self._last_message and (p.val_accuracy is not None or p.phase != "train"):
            self.stream.write(line + "\n")
            self.stream.flush()
        self._last_message = p.message

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
