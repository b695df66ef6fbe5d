"""The ``compare`` subcommand: every pruning method on the same data, seed and floor."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from bingo_studio.cli.options import INTERRUPTED, add_config_args, add_floor_args, config_from_args, ctrl_c_cancels
from bingo_studio.cli.progress import ProgressBar


def register(subparsers) -> None:
    from bingo_studio.compare import ALL_METHODS, DEFAULT_METHODS

    p = subparsers.add_parser(
        "compare", help="run several pruning methods on the same splits and seed; table + plot",
        description="Methods: " + ", ".join(ALL_METHODS) + ". 'bingo' is the default estimator.",
    )
    add_config_args(p)
    add_floor_args(p)
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), metavar="METHOD",
                   help="methods to run (default: %(default)s)")
    p.add_argument("--candidates", action="store_true",
                   help="also show a row per candidate estimate the default BINGO estimator chooses from")
    p.add_argument("--out", help="folder for comparison.csv/.md/.png/.json (default runs/compare-<dataset>)")
    p.add_argument("--json", action="store_true", help="print one JSON list of rows")
    p.set_defaults(func=cmd_compare)


def cmd_compare(a: argparse.Namespace) -> int:
    from bingo_studio.compare import compare, markdown, write_outputs
    from bingo_studio.training import TaskState

    cfg = config_from_args(a)
    methods = [m for item in a.methods for m in item.split(",") if m]
    out = Path(a.out or f"runs/compare-{cfg.dataset.name}")
    bar = None if a.json else ProgressBar()
    state = TaskState(bar)
    try:
        with ctrl_c_cancels(state.cancel):
            result = compare(cfg, methods, a.min_accuracy, a.max_drop, state, candidates=a.candidates)
    finally:
        if bar is not None:
            bar.close()
    paths = write_outputs(result, out)
    if a.json:
        print(json.dumps([asdict(r) for r in result.rows]))
    else:
        print(markdown(result))
        print(f"written: {', '.join(str(p) for p in paths.values())}")
    return 0 if result.status == "complete" else INTERRUPTED
