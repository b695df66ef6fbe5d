"""Shared real data and one trained digits run, reused by the engine tests (fixed seeds)."""

import pytest

from bingo_studio.config import DatasetConfig, LadderConfig, RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.training import train


@pytest.fixture(scope="session")
def digits():
    return load_dataset(DatasetConfig(name="digits"))


@pytest.fixture(scope="session")
def digits_run(digits):
    """The default digits model, trained with the paper's BINGO estimator; no ladder: these tests are
    about the one-shot plans (the ladder's own are in test_ladder.py)."""
    cfg = RunConfig(train=TrainConfig(epochs=15, seed=0), scoring=ScoringConfig(estimator="paper", seed=0),
                    ladder=LadderConfig(recovery=0.0))
    return train(cfg, digits)
