"""Real digits data and two small trained runs (MAM and binary), shared by the family tests."""

import pytest

from bingo_studio.config import DatasetConfig, ModelConfig, RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.training import train


@pytest.fixture(scope="session")
def digits():
    return load_dataset(DatasetConfig(name="digits"))


def _run(digits, family: str, epochs: int, lr: float):
    cfg = RunConfig(
        model=ModelConfig(preset="digits-tiny", family=family),
        train=TrainConfig(epochs=epochs, lr=lr, seed=0),
        scoring=ScoringConfig(estimator="train-time", seed=0, eval_batch=128, every=8),
    )
    return train(cfg, digits)


@pytest.fixture(scope="session")
def mam_run(digits):
    """A MAM digits model (train-time estimator: its searches take the generic path)."""
    return _run(digits, "mam", 6, 1e-2)


@pytest.fixture(scope="session")
def binary_run(digits):
    return _run(digits, "binary", 12, 1e-3)
