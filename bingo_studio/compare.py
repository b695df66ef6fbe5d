"""Every pruning method on the same splits, seed and floor: the table and the curves.

One-shot methods share training runs: the default estimator's run feeds bingo, its candidates,
gmp, lmp, ggmp, lgmp and rp (they order the same trained weights differently); the paper's
estimator needs its own run (other searches), which feeds bingo-paper and bingo-paper-literal.
Each one-shot row's seconds are its run's training time plus its own curve and bisection;
training methods (IMP, random masks, fine-tunes) count every run they train. Qt-free: the GUI
calls ``compare`` in a worker with a TaskState.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bingo_studio.config import RunConfig, ScoringConfig
from bingo_studio.data import load_dataset
from bingo_studio.errors import UserError
from bingo_studio.pruning.floor import DEFAULT_MAX_DROP, floor_for
from bingo_studio.pruning.methods import METHODS, TRAINING_METHODS, plan_for
from bingo_studio.pruning.methods.base import sub_state
from bingo_studio.training import Progress, TaskCancelled, TaskState, train

PAPER_METHODS = ("bingo-paper", "bingo-paper-literal")
DEFAULT_METHODS = ("bingo", "bingo-paper", "bingo-paper-literal", "gmp", "lmp", "ggmp", "lgmp", "rp", "imp",
                   "random-uniform", "random-erk", "random-snip")
ALL_METHODS = (*METHODS, *TRAINING_METHODS)


@dataclass
class Row:
    method: str
    label: str
    sparsity: float  # share of prunable weights removed at the floor
    val_accuracy: float
    test_accuracy: float
    seconds: float  # wall clock
    training_runs: float
    floor_met: bool = True
    notes: str = ""
    cpu_seconds: float = 0.0  # process CPU time: steadier than wall clock on a shared machine


@dataclass
class Comparison:
    dataset: str
    model: str
    min_accuracy: float
    dense_val_accuracy: float
    dense_test_accuracy: float
    total_weights: int
    rows: list[Row] = field(default_factory=list)
    # method -> {"sparsity": [...], "val_accuracy": [...], "kind": "curve" (one-shot) or "points"}
    curves: dict[str, dict] = field(default_factory=dict)
    status: str = "complete"

    def to_dict(self) -> dict:
        return asdict(self)

    def row(self, method: str) -> Row:
        return next(r for r in self.rows if r.method == method)


def _one_shot_label(result_method: str, method: str) -> str:
    return result_method if method == "bingo" else method


def compare(
    cfg: RunConfig,
    methods: list[str] | tuple[str, ...] = DEFAULT_METHODS,
    min_accuracy: float | None = None,
    max_drop: float = DEFAULT_MAX_DROP,
    state: TaskState | None = None,
    candidates: bool = False,
) -> Comparison:
    """Run ``methods`` on ``cfg``'s dataset/model/seed to one validation floor (``min_accuracy``, or
    the dense validation accuracy minus ``max_drop``). ``candidates`` adds a row per candidate of
    the default estimator (bingo-magnitude-taylor, bingo-obd, ...), so the choice can be seen."""
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        raise UserError(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(ALL_METHODS)}")
    if not methods:
        raise UserError("name at least one method to compare")
    state = state or TaskState()
    dataset = load_dataset(cfg.dataset)
    methods = list(dict.fromkeys(methods))
    if candidates and "bingo" in methods:
        from bingo_studio.bingo.estimators import TrainTimeScorer

        methods += [f"bingo-{c}" for c in TrainTimeScorer.CANDIDATES if f"bingo-{c}" not in methods]
    default_est = ScoringConfig().estimator
    base_cfg = RunConfig(cfg.dataset, cfg.model, cfg.train, replace(cfg.scoring, estimator=default_est))
    paper_cfg = RunConfig(cfg.dataset, cfg.model, cfg.train, replace(cfg.scoring, estimator="paper"))
    n_parts = len(methods) + 2
    part = [0]

    def next_state(phase: str):
        lo = part[0] / n_parts
        part[0] += 1
        return sub_state(state, lo, part[0] / n_parts, phase)

    model_name = cfg.model.preset if cfg.model.preset != "custom" else str(cfg.model.hidden)
    out = Comparison(cfg.dataset.name, model_name, float("nan"), float("nan"), float("nan"), 0)
    try:
        _run_all(out, cfg, methods, min_accuracy, max_drop, state, dataset, base_cfg, paper_cfg, next_state)
    except TaskCancelled:  # cancelled inside a training run: keep the rows finished so far
        out.status = "cancelled"
    return out


def _run_all(out, cfg, methods, min_accuracy, max_drop, state, dataset, base_cfg, paper_cfg, next_state) -> None:
    default_est = base_cfg.scoring.estimator
    cpu = time.process_time()
    base = train(base_cfg, dataset, next_state(f"training ({default_est} estimator)"))
    base_cpu = time.process_time() - cpu
    _check(state, base)
    out.dense_val_accuracy = base.metrics["dense_val_accuracy"]
    out.dense_test_accuracy = base.metrics["dense_test_accuracy"]
    out.total_weights = base.metrics["total_weights"]
    floor = floor_for(base.metrics["dense_val_accuracy"], min_accuracy, max_drop)
    paper, paper_cpu = None, 0.0
    if any(m in PAPER_METHODS for m in methods):
        cpu = time.process_time()
        paper = train(paper_cfg, dataset, next_state("training (paper estimator)"))
        paper_cpu = time.process_time() - cpu
        _check(state, paper)
    out.min_accuracy = floor
    for method in methods:
        state.check()
        sub = next_state(method)
        sub.report(Progress(method, 0.0, f"{method}: pruning to {floor:.2%}"))
        cpu = time.process_time()
        if method in METHODS:
            run, run_cpu = (paper, paper_cpu) if method in PAPER_METHODS else (base, base_cpu)
            t = time.perf_counter()
            plan = plan_for(run, method, seed=cfg.train.seed)
            res = plan.prune(floor)
            curve = plan.curve()
            secs = run.train_seconds + time.perf_counter() - t
            out.rows.append(Row(method, _one_shot_label(res.method, method), res.sparsity, res.val_accuracy,
                                res.test_accuracy, secs, 1.0, res.floor_met,
                                "one shot after one training run", run_cpu + time.process_time() - cpu))
            out.curves[method] = {"sparsity": curve.sparsity.tolist(), "val_accuracy": curve.val_accuracy.tolist(),
                                  "kind": "curve"}
        else:
            tm = TRAINING_METHODS[method]
            res = tm.run(cfg, dataset, floor, sub, base_run=base)
            secs, runs, cpu = res.seconds, res.training_runs, time.process_time() - cpu
            notes = res.notes
            if method.endswith("+ft"):  # the fine-tune starts from the one training run: count it
                secs += base.train_seconds
                cpu += base_cpu
                runs += 1.0
                notes += " after the one training run"
            out.rows.append(Row(method, method, res.sparsity, res.val_accuracy, res.test_accuracy, secs, runs,
                                res.floor_met, notes, cpu))
            pts = sorted(res.points)
            out.curves[method] = {"sparsity": [p[0] for p in pts], "val_accuracy": [p[1] for p in pts],
                                  "kind": "points"}
        if state.cancelled:
            out.status = "cancelled"
            break


def _check(state: TaskState, run) -> None:
    if run.status == "cancelled":
        state.check()


def write_outputs(c: Comparison, out: str | Path) -> dict[str, Path]:
    """comparison.csv, comparison.md, comparison.png and comparison.json in the folder ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / f"comparison.{k}" for k in ("csv", "md", "png", "json")}
    cols = ["method", "label", "sparsity", "val_accuracy", "test_accuracy", "seconds", "cpu_seconds",
            "training_runs", "floor_met", "notes"]
    with open(paths["csv"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in c.rows:
            w.writerow([getattr(r, k) for k in cols])
    paths["md"].write_text(markdown(c))
    paths["json"].write_text(json.dumps(c.to_dict(), indent=1, default=float))
    plot(c, paths["png"])
    return paths


def markdown(c: Comparison) -> str:
    lines = [
        f"{c.dataset}, model {c.model} ({c.total_weights} prunable weights): dense validation "
        f"{c.dense_val_accuracy:.2%}, test {c.dense_test_accuracy:.2%}; floor {c.min_accuracy:.2%} (validation)",
        "",
        "| method | % pruned at floor | test accuracy | seconds | CPU seconds | training runs | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in c.rows:
        name = r.label if r.label != r.method else r.method
        flag = "" if r.floor_met else " (floor not met)"
        lines.append(f"| {name} | {r.sparsity:.1%}{flag} | {r.test_accuracy:.2%} | {r.seconds:.1f} | "
                     f"{r.cpu_seconds:.1f} | {r.training_runs:g} | {r.notes} |")
    return "\n".join(lines) + "\n"


def plot(c: Comparison, path: str | Path) -> None:
    """Validation accuracy against sparsity, one line (one-shot) or dotted points (methods that
    retrain) a method, a star where each stops; a second panel zooms on the high sparsities where
    the methods that prune most are told apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    high = [100 * r.sparsity for r in c.rows if r.sparsity > 0.5]
    zoom_from = max(0.0, min(high) - 5.0) if high else 100.0
    panels = 2 if zoom_from >= 50.0 else 1
    fig, axes = plt.subplots(1, panels, figsize=(9 + 5 * (panels - 1), 5.5), dpi=100, squeeze=False)
    cmap = plt.get_cmap("tab20")
    for k, ax in enumerate(axes[0]):
        for i, (method, cur) in enumerate(c.curves.items()):
            color = cmap(i % 20)
            xs = [100 * s for s in cur["sparsity"]]
            ys = [100 * a for a in cur["val_accuracy"]]
            row = next((r for r in c.rows if r.method == method), None)
            label = f"{method}: {row.sparsity:.1%}" if row else method
            if cur["kind"] == "curve":
                ax.plot(xs, ys, color=color, lw=1.8 if method.startswith("bingo") else 1.1, label=label)
            else:
                ax.plot(xs, ys, "o--", color=color, ms=4, lw=0.8, label=label)
            if row is not None:
                ax.plot([100 * row.sparsity], [100 * row.val_accuracy], "*", color=color, ms=12, mec="black",
                        mew=0.5)
        ax.set_xlabel("weights pruned (%)")
        ax.set_ylabel("validation accuracy (%)")
        ax.set_xlim((0, 100) if k == 0 else (zoom_from, 100))
        if c.min_accuracy == c.min_accuracy:  # not NaN (a comparison cancelled before its first run has none)
            ax.axhline(100 * c.min_accuracy, color="black", ls=":", lw=1)
            ax.text(ax.get_xlim()[0] + 0.5, 100 * c.min_accuracy + 0.4, f"floor {c.min_accuracy:.1%}", fontsize=8)
            ax.set_ylim(max(0.0, 100 * c.min_accuracy - (25 if k == 0 else 10)),
                        min(100.0, 100 * c.dense_val_accuracy + 3))
        ax.grid(alpha=0.3)
        ax.set_title("all sparsities" if k == 0 else f"zoom: {zoom_from:.0f}-100% pruned", fontsize=9)
    fig.suptitle(f"{c.dataset}, {c.model}: validation accuracy against sparsity (star: pruned at the floor)",
                 fontsize=10)
    if c.curves:
        axes[0][0].legend(fontsize=7, loc="lower left", ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
