"""What a BINGO curve really ranks by when training stopped before BINGO measured anything.

A run cancelled early may hold no significance at all: the train-time estimator gathers gradient
statistics only after the first quarter of training (TrainTimeScorer.gradient_from), the paper's
estimators only at their searches. Such scores are all equal, and the pruning plan breaks ties in
a seeded random order, so the curve is not BINGO's. ``unmeasured_note`` says so in one sentence
("" when the method's scores were measured, or the method does not use BINGO's scores).
"""

from __future__ import annotations

from bingo_studio.bingo.estimators import TrainTimeScorer

_STOPPED = "Training stopped before BINGO measured any weight"


def unmeasured_note(run, method: str) -> str:
    if not method.startswith("bingo"):
        return ""
    scorer = run.scorer
    searched = float(scorer.count.sum()) > 0
    if isinstance(scorer, TrainTimeScorer):
        gradients = scorer.grad_steps.item() > 0
        candidate = method.removeprefix("bingo-") if method != "bingo" else ""
        if candidate == "magnitude" or (candidate == "search" and searched) or (candidate != "search" and gradients):
            return ""
        if candidate == "" and scorer.select:
            return (
                f"{_STOPPED} (it measures after the first quarter of training): the curve uses the weights' "
                "magnitude; its other estimates are empty and, where validation picks one, prune in random order."
            )
        if candidate == "" and scorer.primary == "magnitude":
            return ""
    elif searched:
        return ""
    return f"{_STOPPED}: every weight scores the same, so this curve prunes in random order."
