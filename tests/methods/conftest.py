"""Real digits data and two short runs (default and paper estimators) shared by the method tests."""

import pytest

from bingo_studio.config import DatasetConfig, RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.training import train

EPOCHS = 10


@pytest.fixture(scope="session")
def digits():
    return load_dataset(DatasetConfig(name="digits"))


@pytest.fixture(scope="session")
def cfg():
    return RunConfig(train=TrainConfig(epochs=EPOCHS, seed=0), scoring=ScoringConfig(seed=0))


@pytest.fixture(scope="session")
def default_run(digits, cfg):
    """The default estimator (train-time) on digits."""
    return train(cfg, digits)


@pytest.fixture(scope="session")
def paper_run(digits):
    cfg = RunConfig(train=TrainConfig(epochs=EPOCHS, seed=0), scoring=ScoringConfig(estimator="paper", seed=0))
    return train(cfg, digits)


@pytest.fixture(scope="session")
def floor(default_run):
    """The comparison's floor: dense validation accuracy minus 7 points."""
    return default_run.metrics["dense_val_accuracy"] - 0.07
