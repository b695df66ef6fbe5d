"""The accuracy floor a prune must keep: one default for the CLI, the comparison and the window."""

from __future__ import annotations

import math

from bingo_studio.errors import UserError

# Without an explicit minimum accuracy, the floor is the dense model's validation accuracy minus
# this: 3 points costs a hobbyist's classifier little and lets most models prune well.
DEFAULT_MAX_DROP = 0.03


def floor_for(dense_val_accuracy: float, min_accuracy: float | None = None,
              max_drop: float = DEFAULT_MAX_DROP) -> float:
    """The validation floor: ``min_accuracy`` when given, else the dense accuracy less ``max_drop``."""
    if min_accuracy is not None:
        return min_accuracy
    if not 0.0 <= max_drop <= 1.0:  # NaN included: it would make the floor 0 and prune everything
        raise UserError(f"--max-drop must be between 0 and 1, not {max_drop}")
    if not math.isfinite(dense_val_accuracy):
        raise UserError("the run has no valid dense validation accuracy; retrain it or give --min-accuracy")
    return max(0.0, dense_val_accuracy - max_drop)
