"""What the registry knows about one dataset source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bingo_studio.config import DatasetConfig
from bingo_studio.data.dataset import Dataset


def always_available() -> tuple[bool, str]:
    return True, ""


@dataclass(frozen=True)
class DatasetSource:
    """One entry of ``DATASETS``: a name, a sentence for the user, a loader and an availability check."""

    name: str
    description: str
    loader: Callable[[DatasetConfig], Dataset]
    check: Callable[[], tuple[bool, str]] = always_available

    def available(self) -> tuple[bool, str]:
        """(True, "") when loading can work here, else (False, why not and what to install)."""
        return self.check()

    def load(self, cfg: DatasetConfig) -> Dataset:
        return self.loader(cfg)
