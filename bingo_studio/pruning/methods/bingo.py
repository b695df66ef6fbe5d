"""BINGO: the significance the run's estimator gathered during training.

"bingo" is the run's own estimator. With the default estimator (train-time), it chooses among
the estimator's candidates on the validation curve for each floor (see select.py);
"bingo-<candidate>" prunes by one candidate alone. "bingo-paper" and "bingo-paper-literal" are
the paper's score in its intended and its literal order (runs trained with --estimator paper).
"""

from __future__ import annotations

from bingo_studio.bingo.estimators import TrainTimeScorer
from bingo_studio.errors import UserError
from bingo_studio.pruning.methods.base import PruningMethod
from bingo_studio.pruning.methods.select import SelectedPlan
from bingo_studio.pruning.plan import PruningPlan


class RunEstimator(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        return run.scorer.importance(order)

    def label(self, run, order: str = "intent") -> str:
        suffix = "" if order == "intent" else f", {order} order"
        return f"bingo ({run.config.scoring.estimator}{suffix})"

    def plan(self, run, order: str = "intent", seed: int = 0):
        scorer = run.scorer
        if isinstance(scorer, TrainTimeScorer) and scorer.select and order == "intent":
            cands = scorer.candidates(include_search=False)
            plans = {
                c: PruningPlan(run.model, scorer.split(cands[c]), run.get_dataset(), method=f"bingo[{c}]",
                               seed=seed)
                for c in scorer.CANDIDATES
            }
            return SelectedPlan(plans, method=f"bingo ({run.config.scoring.estimator}, chosen on validation)")
        return None


class PaperEstimator(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        if run.config.scoring.estimator != "paper":
            raise UserError(
                f"'{self.name}' needs a run trained with the paper's estimator (--estimator paper); "
                f"this run used '{run.config.scoring.estimator}'"
            )
        return run.scorer.importance("literal" if self.name.endswith("literal") else "intent")

    def label(self, run, order: str = "intent") -> str:
        return self.name


class Candidate(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        if not isinstance(run.scorer, TrainTimeScorer):
            raise UserError(
                f"'{self.name}' needs a run trained with the train-time estimator; "
                f"this run used '{run.config.scoring.estimator}'"
            )
        cands = run.scorer.candidates()
        return run.scorer.split(cands[self.name.removeprefix("bingo-")])


METHODS = (
    RunEstimator("bingo", "the run's own BINGO estimator (default: train-time, chosen on validation)"),
    PaperEstimator("bingo-paper", "the paper's score S, pruned in the intended order (reset changed least first)"),
    PaperEstimator("bingo-paper-literal", "the paper's score S, pruned lowest S first as the text says"),
    *(Candidate(f"bingo-{c}", f"train-time candidate '{c}' alone") for c in (*TrainTimeScorer.CANDIDATES, "search")),
)
