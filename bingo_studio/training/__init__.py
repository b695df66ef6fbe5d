"""The one training loop both faces drive: progress through a TaskState, cancel between steps."""

from bingo_studio.training.loop import evaluate, train
from bingo_studio.training.task import Progress, TaskCancelled, TaskState

__all__ = ["Progress", "TaskCancelled", "TaskState", "evaluate", "train"]
