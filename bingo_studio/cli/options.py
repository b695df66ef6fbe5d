"""What every command shares: flags generated from the config dataclasses, the accuracy floor and
the one Ctrl-C policy.

Flags follow OpenLTH's add_args/create_from_args: each field of bingo_studio/config.py becomes
``--field-name`` (or the field's own ``flag``) with the field's help and default, so the CLI can
set every setting the window can, and a new setting needs no CLI code.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, fields
from typing import get_type_hints

from bingo_studio import config as config_module
from bingo_studio.config import SECTIONS, RunConfig
from bingo_studio.errors import UserError
from bingo_studio.pruning.floor import DEFAULT_MAX_DROP

INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


def parse_accuracy(text: str) -> float:
    """'0.9', '90' and '90%' all mean 90%."""
    try:
        value = float(str(text).rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an accuracy (use 0.9 or 90%)") from None
    if value > 1.0:
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"accuracy {text} is outside 0..100%")
    return value


def parse_widths(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.replace(" ", "").split(",") if w]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of layer widths like 32,16") from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError("hidden layer widths must be positive, like 32,16")
    return widths


def _value_type(hint) -> Callable[[str], object]:
    """The argparse type of a field from its annotation (``int``, ``float | None``, ``list[int] | None``)."""
    text = str(hint)
    if "list[int]" in text:
        return parse_widths
    for kind in (int, float):
        if hint is kind or text in (kind.__name__, f"{kind.__name__} | None"):
            return kind
    return str


# A section's fields whose value the CLI takes from another flag when not given.
_FOLLOWS = {("scoring", "seed"): ("train", "seed")}
_GROUPS = {"dataset": "data", "model": "model", "train": "training", "scoring": "BINGO scoring",
           "ladder": "pruning during training (the ladder of deployable networks)"}


def add_config_args(p: argparse.ArgumentParser) -> None:
    """One flag per config field, grouped by concern, for ``train`` and ``compare``."""
    for section, kind in SECTIONS.items():
        group = p.add_argument_group(_GROUPS[section])
        hints = get_type_hints(kind, vars(config_module))
        for f in fields(kind):
            meta = f.metadata
            flag = meta.get("flag") or "--" + f.name.replace("_", "-")
            default = None if (section, f.name) in _FOLLOWS else _default(f)
            shown = "" if default in (None, "") else f" (default {default})"
            kw = {"metavar": flag.lstrip("-").replace("-", "_").upper(), **meta.get("argparse", {})}
            if "choices" in kw:
                del kw["metavar"]
            group.add_argument(flag, dest=f"{section}.{f.name}", type=_value_type(hints[f.name]), default=default,
                               help=meta.get("help", "") + shown, **kw)


def _default(f):
    return f.default_factory() if f.default is MISSING else f.default


def config_from_args(a: argparse.Namespace) -> RunConfig:
    """The RunConfig the flags describe; ``--csv`` implies the csv dataset, ``--hidden`` a custom model."""
    values = {section: {f.name: getattr(a, f"{section}.{f.name}") for f in fields(kind)}
              for section, kind in SECTIONS.items()}
    for (section, name), (src_section, src_name) in _FOLLOWS.items():
        if values[section][name] is None:
            values[section][name] = values[src_section][src_name]
    if values["dataset"]["csv_path"]:
        values["dataset"]["name"] = "csv"
    if values["model"]["hidden"]:
        values["model"]["preset"] = "custom"
    try:
        return RunConfig(**{section: kind(**values[section]) for section, kind in SECTIONS.items()})
    except ValueError as e:
        raise UserError(str(e)) from None


def add_floor_args(p: argparse.ArgumentParser) -> None:
    """--min-accuracy / --max-drop: the floor, the same default in every command and the window."""
    p.add_argument("--min-accuracy", type=parse_accuracy, help="validation accuracy floor (0.9 or 90%%)")
    p.add_argument("--max-drop", type=float, default=DEFAULT_MAX_DROP,
                   help="without --min-accuracy: floor = dense validation accuracy minus this"
                        f" (default {DEFAULT_MAX_DROP})")


@contextmanager
def ctrl_c_cancels(cancel: Callable[[], None]) -> Iterator[None]:
    """The one Ctrl-C policy of long commands: Ctrl-C asks the engine task to stop at its next check
    (the task then returns what it finished, or raises TaskCancelled); a second Ctrl-C interrupts
    at once. Outside the main thread (tests calling main() from a worker) nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []

    def handler(*_):
        if pressed:
            raise KeyboardInterrupt
        pressed.append(True)
        cancel()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
