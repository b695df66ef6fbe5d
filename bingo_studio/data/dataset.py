"""The one dataset shape every source produces: fixed splits plus what the board needs to know."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class Dataset:
    """Raw features (as the user or sensor gives them) split once, with a seeded stratified split.

    ``mean``/``std`` are the input normalisation: the model sees ``(x - mean) / std``. They are
    either one value per feature or a single value for all (images), and the firmware applies
    the same on the board so the board takes raw features.
    """

    name: str
    x_train: np.ndarray  # float32 (n, n_features), raw
    y_train: np.ndarray  # int64 (n,)
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray  # float32, shape (n_features,) or (1,)
    std: np.ndarray  # float32, same shape as mean, never zero
    class_names: list[str]
    feature_names: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def normalize(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, dtype=np.float32) - self.mean) / self.std).astype(np.float32)

    def tensors(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised (x, y) tensors of one split: 'train', 'val' or 'test'."""
        x = getattr(self, f"x_{split}")
        y = getattr(self, f"y_{split}")
        return torch.from_numpy(self.normalize(x)), torch.from_numpy(np.asarray(y, dtype=np.int64))

    def summary(self) -> dict:
        return {
            "name": self.name,
            "features": self.n_features,
            "classes": self.n_classes,
            "class_names": list(self.class_names),
            "train": len(self.y_train),
            "val": len(self.y_val),
            "test": len(self.y_test),
        }
