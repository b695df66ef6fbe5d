"""Progress reporting and cancellation for long engine work, with no Qt in it.

Shaped like Orange3's TaskState: the worker reports partial results through a callback and
checks for a cancel request between steps; the GUI wraps the callback in a Qt signal, the CLI
draws a text progress bar with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


class TaskCancelled(Exception):
    """Raised inside engine work when the user asked to stop; the work keeps its last good state."""


@dataclass
class Progress:
    phase: str  # "train", "curve", "imp round 3", ...
    fraction: float  # 0..1 of the whole task
    message: str = ""
    epoch: int = 0
    epochs: int = 0
    step: int = 0
    total_steps: int = 0
    loss: float | None = None
    train_accuracy: float | None = None
    val_accuracy: float | None = None
    elapsed: float = 0.0
    eta: float | None = None
    # per-layer significance (higher = more important), sent at epoch ends for the live histograms
    significance: dict[str, np.ndarray] | None = field(default=None, repr=False)
    # the ladder's rungs: the share of each layer's weights pruned so far (their significance is NaN)
    pruned: dict[str, float] | None = None


class TaskState:
    def __init__(self, on_progress: Callable[[Progress], None] | None = None):
        self._on_progress = on_progress
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise TaskCancelled("cancelled by the user")

    def report(self, progress: Progress) -> None:
        if self._on_progress is not None:
            self._on_progress(progress)
