"""A run cancelled before BINGO measured any weight is not pruned by BINGO silently: the note says
what its curve really ranks by; a run that finished has no note."""

from __future__ import annotations

import pytest
import torch

from bingo_studio.bingo.unmeasured import unmeasured_note
from bingo_studio.config import RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.training import train
from bingo_studio.training.task import TaskState


def _run(estimator: str, cancel_after: int | None, epochs: int = 6, search_start: float = 0.0):
    cfg = RunConfig(train=TrainConfig(epochs=epochs, seed=0),
                    scoring=ScoringConfig(seed=0, estimator=estimator, start_fraction=search_start))
    state = TaskState()
    epochs_seen = []

    def on_epoch(_run):
        epochs_seen.append(1)
        if cancel_after is not None and len(epochs_seen) >= cancel_after:
            state.cancel()

    return train(cfg, load_dataset(cfg.dataset), state=state, on_epoch=on_epoch)


@pytest.fixture(scope="module")
def early():
    """Train-time estimator, cancelled after the first of 6 epochs (it measures from epoch 4)."""
    torch.set_num_threads(1)
    run = _run("train-time", cancel_after=1)
    assert run.status == "cancelled" and run.scorer.grad_steps.item() == 0
    return run


def test_cancelled_before_measuring_says_magnitude(early):
    note = unmeasured_note(early, "bingo")
    assert note.startswith("Training stopped before BINGO measured any weight")
    assert "magnitude" in note
    assert unmeasured_note(early, "bingo-taylor").endswith("prunes in random order.")
    assert unmeasured_note(early, "bingo-magnitude") == ""  # magnitude needs no measurement
    assert unmeasured_note(early, "magnitude") == ""  # not a BINGO method


def test_paper_estimator_without_a_search_prunes_in_random_order():
    run = _run("paper", cancel_after=1, search_start=0.5)  # cancelled before its first search
    assert run.status == "cancelled" and run.scorer.count.sum() == 0
    assert unmeasured_note(run, "bingo").endswith("so this curve prunes in random order.")


def test_a_finished_run_has_no_note():
    run = _run("train-time", cancel_after=None, epochs=2)
    assert run.status != "cancelled" and run.scorer.grad_steps.item() > 0
    assert unmeasured_note(run, "bingo") == ""
