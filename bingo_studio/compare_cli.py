"""The ``compare`` subcommand: every pruning method on the same data, seed and floor."""

from __future__ import annotations

import argparse
import json
import signal
from dataclasses import asdict
from pathlib import Path


def register(subparsers) -> None:
    from bingo_studio.cli import add_run_options, parse_accuracy
    from bingo_studio.compare import ALL_METHODS, DEFAULT_METHODS

    p = subparsers.add_parser(
        "compare", help="run several pruning methods on the same splits and seed; table + plot",
        description="Methods: " + ", ".join(ALL_METHODS) + ". 'bingo' is the default estimator.",
    )
    add_run_options(p)
    p.add_argument("--min-accuracy", type=parse_accuracy, help="validation accuracy floor (0.9 or 90%%)")
    p.add_argument("--max-drop", type=float, default=0.07,
                   help="without --min-accuracy: floor = dense validation accuracy minus this (default 0.07)")
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), metavar="METHOD",
                   help="methods to run (default: %(default)s)")
    p.add_argument("--candidates", action="store_true",
                   help="also show a row per candidate estimate the default BINGO estimator chooses from")
    p.add_argument("--out", help="folder for comparison.csv/.md/.png/.json (default runs/compare-<dataset>)")
    p.add_argument("--json", action="store_true", help="print one JSON list of rows")
    p.set_defaults(func=cmd_compare)


def cmd_compare(a: argparse.Namespace) -> int:
    from bingo_studio.cli import config_from_args
    from bingo_studio.cli_progress import ProgressBar
    from bingo_studio.compare import compare, markdown, write_outputs
    from bingo_studio.training import TaskState

    cfg = config_from_args(a)
    methods = [m for item in a.methods for m in item.split(",") if m]
    out = Path(a.out or f"runs/compare-{cfg.dataset.name}")
    bar = None if a.json else ProgressBar()
    state = TaskState(bar)
    previous = signal.signal(signal.SIGINT, lambda *_: state.cancel())
    try:
        result = compare(cfg, methods, a.min_accuracy, a.max_drop, state, candidates=a.candidates)
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()
    paths = write_outputs(result, out)
    if a.json:
        print(json.dumps([asdict(r) for r in result.rows]))
    else:
        print(markdown(result))
        print(f"written: {', '.join(str(p) for p in paths.values())}")
    return 0 if result.status == "complete" else 130
