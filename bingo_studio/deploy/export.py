"""A trained run as a firmware project: the pruning chosen, quantised once, written for one board.

The CLI passes a run folder and maybe a minimum accuracy; the window passes its Run and the
PruningPlan the Prune step already traced, so the curve is not computed again.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from bingo_studio.errors import UserError
from bingo_studio.firmware.project import ExportResult, export
from bingo_studio.firmware.spec import FirmwareModel

NOT_PRUNED = "the run is not pruned (bingo-studio prune, or --min-accuracy): exported dense"


def _load(run):
    from bingo_studio.runs import load_run

    return load_run(run) if isinstance(run, str | Path) else run


def firmware_model_for_run(run, min_accuracy: float | None = None, method: str = "bingo",
                           plan=None, save: bool = True) -> FirmwareModel:
    """The run (a Run or its folder) as a FirmwareModel: pruned to ``min_accuracy`` now (the mask
    saved to the run's folder unless ``save`` is False; ``plan`` reuses a traced PruningPlan), else
    with the run's saved mask (from `prune`), else dense (``metadata['pruned']`` is False)."""
    from bingo_studio.runs import load_mask, load_tensors, run_file

    run = _load(run)
    model = run.model
    meta: dict = {"dataset": run.config.dataset.name, "pruned": True}
    if run.path is not None:
        meta["run"] = str(Path(run.path).resolve())
    if min_accuracy is not None:
        from bingo_studio.pruning.methods import prune_run

        result = prune_run(run, method, min_accuracy, save=save, plan=plan)
        # the pruned network itself: a ladder point has weights of its own
        masks, meta["test_accuracy"], model = result.masks, round(result.test_accuracy, 4), result.model
    elif (masks := load_mask(run)) is not None:  # validated against the model and the saved prune
        from bingo_studio.pruning.methods import PRUNED_WEIGHTS

        saved = run.extra["prune"].get("test_accuracy")
        meta["test_accuracy"] = None if saved is None else round(saved, 4)  # as when pruned just now
        if run_file(run.path, PRUNED_WEIGHTS) is not None:  # a ladder rung: the network the slider showed
            model = copy.deepcopy(run.model)
            try:
                model.load_state_dict(load_tensors(run.path / PRUNED_WEIGHTS))
            except (RuntimeError, KeyError) as e:
                raise UserError(f"{run.path / PRUNED_WEIGHTS} does not fit the run's model ({e})") from None
    else:
        meta["pruned"] = False
        masks = {name: np.ones(tuple(layer.weight.shape), dtype=bool) for name, layer in run.layers.items()}
    return FirmwareModel.from_torch(model, run.get_dataset(), masks, meta=meta, name=run.config.dataset.name)


def export_run(run, board: str, out: str | Path, min_accuracy: float | None = None, fmt: str = "int8",
               method: str = "bingo", exact_cycles: bool = False, plan=None) -> ExportResult:
    """Write a firmware project for a trained run (see firmware_model_for_run) for ``board`` (a
    board key: a target's ``board.key``). The firmware's own test accuracy (the integer model's
    Python reference, which the board matches answer for answer) goes into its `info` line beside
    the pruned network's."""
    from bingo_studio.firmware.quantize import quantize

    run = _load(run)
    fmodel = firmware_model_for_run(run, min_accuracy, method, plan)
    ds = run.get_dataset()
    q = quantize(fmodel, fmt)  # once: measured here, then written as it is
    q.metadata["firmware_test_accuracy"] = firmware_test_accuracy(q, ds)
    result = export(q, out, board, exact_cycles=exact_cycles)
    if not fmodel.metadata["pruned"]:
        result.notes.append(NOT_PRUNED)
    return result


def firmware_test_accuracy(q, dataset) -> float:
    """A quantised model's test accuracy as the board computes it (the Python reference of its
    integer or float kernel, which the board matches answer for answer): what its `info` says."""
    from bingo_studio.firmware.quantize import reference_predict

    return round(float(np.mean(reference_predict(q, dataset.x_test) == dataset.y_test)), 4)


def firmware_accuracy(run, min_accuracy: float | None = None, method: str = "bingo", plan=None,
                      fmt: str = "int8") -> float:
    """The firmware's test accuracy, computed as export computes it, with nothing saved: for the
    network pruned to ``min_accuracy`` (the slider's point), else for the run's saved prune."""
    from bingo_studio.firmware.quantize import quantize

    run = _load(run)
    fmodel = firmware_model_for_run(run, min_accuracy, method, plan, save=False)
    return firmware_test_accuracy(quantize(fmodel, fmt), run.get_dataset())
