"""Pruning methods (a registry): each turns a trained run into importance scores for one plan.

One-shot methods (``METHODS``) score the weights of the run's own training (BINGO, magnitude...).
Training methods (``TRAINING_METHODS``: IMP, random masks, fine-tuning) train again to find their
mask. Adding a method is one module with a ``METHODS`` tuple and one line in ``_MODULES``.
"""

from __future__ import annotations

from bingo_studio.errors import UserError
from bingo_studio.pruning.methods import bingo, finetune, gradual, imp, magnitude, psp, random_ratio
from bingo_studio.pruning.methods.base import MethodResult, PruningMethod, TrainingMethod
from bingo_studio.pruning.plan import PruneResult, PruningPlan
from bingo_studio.runs import save_run

PRUNED_WEIGHTS = "pruned_weights.pt"  # the pruned network's own weights, when they are not the run's final ones
_MODULES = (bingo, magnitude, imp, random_ratio, finetune, gradual, psp)

METHODS: dict[str, PruningMethod] = {m.name: m for mod in _MODULES for m in getattr(mod, "METHODS", ())}
TRAINING_METHODS: dict[str, TrainingMethod] = {
    m.name: m for mod in _MODULES for m in getattr(mod, "TRAINING_METHODS", ())
}


def get_method(name: str) -> PruningMethod:
    try:
        return METHODS[name]
    except KeyError:
        raise UserError(f"unknown pruning method '{name}'; choose one of {', '.join(METHODS)}") from None


def plan_for(run, method: str = "bingo", order: str = "intent", seed: int = 0) -> PruningPlan:
    """The pruning plan of ``method`` on a trained run (curve computed lazily). A method may build
    its own plan with the same interface (``bingo`` choosing among candidates: SelectedPlan)."""
    m = get_method(method)
    own = m.plan(run, order, seed) if hasattr(m, "plan") else None
    if method == "bingo" and order == "intent" and getattr(run, "ladder", None) is not None and run.ladder.rungs:
        from bingo_studio.pruning.ladder_plan import LadderPlan

        base = own or PruningPlan(run.model, m.importance(run, order=order, seed=seed), run.get_dataset(),
                                  method=m.label(run, order), seed=seed)
        return LadderPlan(run, base, method=f"bingo ({run.config.scoring.estimator}, ladder)")
    if own is not None:
        return own
    importance = m.importance(run, order=order, seed=seed)
    label = m.label(run, order)
    return PruningPlan(run.model, importance, run.get_dataset(), method=label, seed=seed)


def prune_run(run, method: str, min_accuracy: float, order: str = "intent", save: bool = True,
              plan: PruningPlan | None = None) -> PruneResult:
    """Prune to the floor and, if the run has a folder, save mask.pt, prune.json and curve.json (and
    pruned_weights.pt when the chosen network has weights of its own: a ladder rung) with run.json
    in one step (a kill leaves the previous prune or this one, never a mix).
    ``plan``: the method's plan on this run, already traced (the window's Prune step), reused."""
    if not (0.0 <= min_accuracy <= 1.0):  # NaN included: a NaN floor would prune everything
        raise UserError(f"the accuracy floor must be between 0 and 100%, not {min_accuracy}")
    plan = plan if plan is not None else plan_for(run, method, order)
    result = plan.prune(min_accuracy)
    if save and run.path is not None:
        summary = result.to_dict()
        files = {"mask.pt": result.masks, "curve.json": {"method": result.method, **plan.curve().to_dict()},
                 "prune.json": summary, PRUNED_WEIGHTS: result.model.state_dict() if result.own_weights else None}
        previous = run.extra.get("prune")
        run.extra["prune"] = summary
        try:
            save_run(run, run.path, files=files)
        except BaseException:  # not saved: the run in memory keeps describing what is on disk
            if previous is None:
                del run.extra["prune"]
            else:
                run.extra["prune"] = previous
            raise
    return result


__all__ = [
    "METHODS", "TRAINING_METHODS", "MethodResult", "PruningMethod", "TrainingMethod", "get_method", "plan_for",
    "prune_run",
]
