"""The command-line face of BINGO Studio: the same engine calls the window makes.

One registry of commands (COMMAND_MODULES: each adds its subcommands with register(subparsers)),
flags generated from the config dataclasses (options.py), one default floor and one Ctrl-C
policy. User mistakes end in one line on stderr and exit code 2; Ctrl-C ends a command with one
line and exit code 130; a traceback means a bug.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from bingo_studio.cli import arsp_commands, compare_commands, firmware_commands, run_commands
from bingo_studio.cli.options import INTERRUPTED
from bingo_studio.errors import UserError

# The command registry: each module adds its subcommands with register(subparsers).
COMMAND_MODULES = (run_commands, firmware_commands, compare_commands, arsp_commands)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bingo-studio",
        description="Train, prune with BINGO significance scores, and deploy to Arduino/ESP32/Pico."
        " With no command, opens the window.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def launch_gui() -> int:
    try:
        from bingo_studio.gui.app import main as gui_main
    except ModuleNotFoundError as e:
        if e.name is None or not e.name.startswith("bingo_studio.gui"):
            raise
        print("The window is not part of this build yet: running the digits demo instead.")
        return main(["demo"])
    return gui_main()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return launch_gui()
    interrupted = []

    def on_sigint(*_):
        interrupted.append(True)
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    command = argv[0]
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        return args.func(args)
    except UserError as e:
        print(f"bingo-studio: error: {e}", file=sys.stderr)
        return 2
    except Exception:
        if not interrupted:
            raise
        # Ctrl-C landed inside a library that turned it into another error (e.g. mid-import)
        print(f"bingo-studio: interrupted: {command} stopped, files on disk are as before it", file=sys.stderr)
        return INTERRUPTED
    except KeyboardInterrupt:  # every file is written atomically: what is on disk is consistent
        print(f"bingo-studio: interrupted: {command} stopped, files on disk are as before it", file=sys.stderr)
        return INTERRUPTED
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)


def entry() -> None:
    """The console script and ``python -m bingo_studio``: main(), and an interrupted command ends
    at once with 130 (files are already consistent; finalising a library whose import Ctrl-C cut
    short can otherwise end the process by SIGINT instead)."""
    code = main()
    if code == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED)
    sys.exit(code)


if __name__ == "__main__":
    entry()
