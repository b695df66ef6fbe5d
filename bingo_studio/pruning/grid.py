"""What the pruning slider shows at every point of a plan's curve, computed once after training.

Validation accuracy comes with the curve; test accuracy and the firmware's size report per board
are added here, point by point, so that moving the slider is a dictionary lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bingo_studio.boards import REPORTED_BOARDS
from bingo_studio.training.task import Progress, TaskState


@dataclass
class GridPoint:
    pruned: int
    val_accuracy: float
    test_accuracy: float
    model_flash: int  # model tables + descriptors + text, bytes (firmware size report)
    model_ram: int
    boards: dict = field(default_factory=dict)  # board key -> firmware.size.BoardFit
    stored: int = 0  # weights the firmware stores: the kept ones less those whose int8 code rounds to 0


def plan_with_grid(run, method: str, state: TaskState, boards=REPORTED_BOARDS):
    """(plan, {pruned count: GridPoint}) for ``method`` on a trained run; reports progress, cancels."""
    from bingo_studio.firmware.size import size_report
    from bingo_studio.firmware.spec import FirmwareModel
    from bingo_studio.pruning.methods import plan_for

    plan = plan_for(run, method)

    def curve_progress(i: int, n: int) -> None:
        state.check()
        state.report(Progress("curve", 0.5 * i / n, f"accuracy curve {i}/{n}"))

    curve = plan.curve(curve_progress)
    base = FirmwareModel.from_torch(run.model, run.get_dataset(), plan.masks_for(0))
    grid: dict[int, GridPoint] = {}
    n = len(curve.counts)
    own = getattr(plan, "point_parameters", lambda _n: None)  # a ladder rung's own weights
    for i, (count, acc) in enumerate(zip(curve.counts.tolist(), curve.val_accuracy.tolist())):
        state.check()
        masks = plan.masks_for(count)
        fm = base.with_masks([masks[layer.name].numpy() for layer in base.layers])
        params = own(count)
        if params is not None:  # what export deploys: the point's own weights, so the same codes round to 0
            fm.layers = [replace(la, weight=params[f"{la.name}.weight"].numpy(), bias=params[f"{la.name}.bias"].numpy())
                         for la in fm.layers]
        report = size_report(fm, boards=boards)
        grid[count] = GridPoint(count, acc, plan.accuracy_at(count, "test"), report.model_flash, report.model_ram,
                                dict(report.boards), report.nnz)
        if i % 5 == 0 or i == n - 1:
            state.report(Progress("sizes", 0.5 + 0.5 * (i + 1) / n, f"sizes {i + 1}/{n}"))
    return plan, grid
