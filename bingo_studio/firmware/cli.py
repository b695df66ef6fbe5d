"""Firmware subcommands: export, build, flash, boards, simulate (wired in by bingo_studio/cli.py).

Build and flash stream PlatformIO's output (a one-line status on a terminal, every line with -v or
on a pipe); a failure ends in one plain line on stderr naming the full log, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

from bingo_studio.boards import BOARDS, get_board
from bingo_studio.errors import UserError

BOARD_CHOICES = sorted(BOARDS)


class _Status:
    """PlatformIO lines -> a redrawn status line on a terminal, or the lines themselves."""

    def __init__(self, action: str, verbose: bool, stream=None):
        self.stream = stream or sys.stderr
        self.action = action
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.verbose = verbose or not self.tty
        self.steps = 0
        self.start = time.monotonic()

    def __call__(self, line: str) -> None:
        if self.verbose:
            print(line, flush=True)
            return
        if line.startswith(("Compiling", "Linking", "Archiving", "Building", "Uploading", "Checking")):
            self.steps += 1
        status = f"{self.action}: [{self.steps:3d} steps, {time.monotonic() - self.start:5.1f} s] {line.strip()}"
        self.stream.write("\r" + status[:100].ljust(100))
        self.stream.flush()

    def close(self) -> None:
        if not self.verbose:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def _run_streamed(action: str, verbose: bool, runner) -> object:
    """Run build/upload with Ctrl-C mapped to a clean cancel of the PlatformIO process."""
    cancel = threading.Event()
    status = _Status(action, verbose)
    main = threading.current_thread() is threading.main_thread()  # signal handlers only live there
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set()) if main else None
    try:
        result = runner(on_line=status, cancel=cancel)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
        status.close()
    if result.cancelled:
        print(f"{action} cancelled (log: {result.log_path})", file=sys.stderr)
        raise SystemExit(130)
    if not result.ok:
        raise UserError(f"{result.reason} (full log: {result.log_path})")
    return result


def _print_size(result, board_title: str, verb: str) -> None:
    s = result.size
    text = f"{verb} for {board_title} in {result.seconds:.1f} s"
    if s:
        text += f": flash {s.flash_used:,} of {s.flash_total:,} bytes ({s.flash_percent:.1f}%)"
        if s.ram_used is not None:
            text += f", RAM {s.ram_used:,} of {s.ram_total:,} bytes ({s.ram_percent:.1f}%)"
    print(text)


def cmd_build(a: argparse.Namespace) -> int:
    from bingo_studio.firmware.platformio import run_build

    board = get_board(a.board)
    result = _run_streamed(
        "build", a.verbose,
        lambda **kw: run_build(a.dir, board.key, offline=a.offline, core_dir=a.core_dir, **kw),
    )
    _print_size(result, board.title, "Built")
    if result.firmware:
        print(f"firmware: {result.firmware}")
    print(f"log: {result.log_path}")
    return 0


def _pick_port(board_key: str) -> str | None:
    """The one plugged-in board that can be `board_key`, or a UserError explaining what was found."""
    from bingo_studio.firmware.ports import list_boards

    if board_key == "pico":
        return None  # a Pico in BOOTSEL mode is a USB drive, not a serial port: PlatformIO finds it
    found = list_boards()
    matching = [b for b in found if board_key in b.candidates]
    if len(matching) == 1:
        return matching[0].port
    title = get_board(board_key).title
    if not matching:
        usb = [b.label() for b in found if b.usb]
        seen = f" (USB serial devices seen: {'; '.join(usb)})" if usb else ""
        raise UserError(f"No {title} found: plug it in over USB, or name its port with --port{seen}")
    ports = ", ".join(b.port for b in matching)
    raise UserError(f"Several boards could be the {title} ({ports}): choose one with --port")


def cmd_flash(a: argparse.Namespace) -> int:
    from bingo_studio.firmware.platformio import run_upload

    board = get_board(a.board)
    port = a.port or _pick_port(board.key)
    if port:
        print(f"flashing {board.title} on {port}", file=sys.stderr)
    result = _run_streamed(
        "flash", a.verbose,
        lambda **kw: run_upload(a.dir, board.key, offline=a.offline, core_dir=a.core_dir, port=port, **kw),
    )
    _print_size(result, board.title, "Flashed")
    print(f"log: {result.log_path}")
    return 0


def cmd_boards(a: argparse.Namespace) -> int:
    from bingo_studio.firmware.ports import list_boards

    found = list_boards()
    if a.json:
        print(json.dumps([b.to_dict() for b in found]))
        return 0
    usb = [b for b in found if b.usb]
    for b in usb:
        print(b.label())
    if not usb:
        print("No boards found over USB: plug one in (a charge-only cable shows nothing).")
    others = [b.port for b in found if not b.usb]
    if others:
        print(f"Other serial ports (not USB): {', '.join(others)}")
    print("Simulated Uno: always available (bingo-studio simulate DIR)")
    return 0


# -- simulate ----------------------------------------------------------------------------------
def _elf_for(target: Path, core_dir: str | None, verbose: bool) -> Path:
    """The Uno ELF of a project (built offline first when missing or older than its sources)."""
    if target.is_file() and target.suffix == ".elf":
        return target
    if not (target / "platformio.ini").is_file():
        raise UserError(f"{target} is neither a firmware project (platformio.ini) nor an .elf file")
    elf = target / ".pio" / "build" / "uno" / "firmware.elf"
    sources = [target / "platformio.ini", *(p for p in (target / "src").rglob("*") if p.is_file())]
    if not elf.is_file() or max(p.stat().st_mtime for p in sources) > elf.stat().st_mtime:
        from bingo_studio.firmware.platformio import run_build

        print("building the firmware for the simulated Uno (offline)...", file=sys.stderr)
        _run_streamed("build", verbose, lambda **kw: run_build(target, "uno", offline=True, core_dir=core_dir, **kw))
    return elf


def _console(sim, ser) -> None:
    """stdin lines -> the simulated UART; its output -> stdout; cycle counts -> stderr."""
    stop = threading.Event()
    shown = 0
    last_rx = [time.monotonic()]

    def pump_out() -> None:
        nonlocal shown
        while not stop.is_set():
            data = ser.read(ser.in_waiting or 1)
            if data:
                last_rx[0] = time.monotonic()
                sys.stdout.write(data.decode("ascii", "replace").replace("\r\n", "\n"))
                sys.stdout.flush()
            while shown < len(sim.cycles):
                c = sim.cycles[shown]
                print(f"[sim] inference: {c:,} cycles = {sim.cycles_to_us(c):,.0f} us at 16 MHz", file=sys.stderr)
                shown += 1

    t = threading.Thread(target=pump_out, daemon=True)
    t.start()
    try:
        for line in sys.stdin:
            ser.write(line.rstrip("\r\n").encode("ascii", "replace") + b"\n")
        # stdin ended: let the last answers arrive (quiet for half a second, at most 10 s)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and time.monotonic() - last_rx[0] < 0.5:
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        t.join(timeout=2)


def _test_set(sim, ser, run_dir: str, limit: int | None, timeout: float, pace_us: float) -> int:
    from bingo_studio.firmware.simulator import ask, format_features, wait_ready
    from bingo_studio.runs import load_run

    ds = load_run(run_dir).get_dataset()
    x, y = ds.x_test, ds.y_test
    if limit:
        x, y = x[:limit], y[:limit]
    name, n_features = wait_ready(ser)
    if n_features != x.shape[1]:
        raise UserError(f"The firmware '{name}' takes {n_features} features but the run's data has {x.shape[1]}")
    correct = errors = silent = 0
    answered_cycles = len(sim.cycles)
    for i, (row, label) in enumerate(zip(x, y)):
        try:
            reply = ask(ser, format_features(row), timeout=timeout, pace_us=pace_us)
            silent = 0
        except TimeoutError:
            silent += 1
            if silent >= 3:
                raise UserError(f"The simulated Uno stopped answering (sample {i}); "
                                "try --pace-us 400 if it drops bytes") from None
            ser.write(b"\n")  # the newline was probably lost: end the half line, skip its reply
            ser.readline()
            errors += 1
            print(f"sample {i}: no answer", file=sys.stderr)
            continue
        if reply.error:
            errors += 1
            print(f"sample {i}: err {reply.error}", file=sys.stderr)
        else:
            correct += int(reply.cls == int(label))
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{i + 1}/{len(y)} answered, {correct} correct")
            sys.stderr.flush()
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    cycles = sim.wait_cycles(answered_cycles + len(y) - errors, timeout=2.0)[answered_cycles:]
    print(f"simulated Uno ({name}): {correct}/{len(y)} correct = {correct / max(len(y), 1):.2%} on the test split"
          + (f", {errors} errors" if errors else ""))
    if cycles:
        mean = sum(cycles) / len(cycles)
        print(f"cycles per inference: mean {mean:,.0f} (min {min(cycles):,}, max {max(cycles):,}) "
              f"= {sim.cycles_to_us(mean) / 1000:.2f} ms at 16 MHz")
    if errors:
        print("note: errors like 'value N is empty' mean the board dropped bytes while computing; "
              f"a larger --pace-us (now {pace_us:g}) sends slower", file=sys.stderr)
    return 0 if not errors else 1


def cmd_simulate(a: argparse.Namespace) -> int:
    elf = _elf_for(Path(a.dir), a.core_dir, a.verbose)
    try:
        return _simulate(elf, a)
    except KeyboardInterrupt:
        return 130


def _simulate(elf: Path, a: argparse.Namespace) -> int:
    import serial

    from bingo_studio.firmware.simulator import SimulatedUno

    # a person or another program at the port: real speed (and an idle core); a test set: flat out
    with SimulatedUno(elf, realtime=not a.test_set) as sim:
        print(f"simulated Uno on {sim.port} (ATmega328P, 16 MHz)", file=sys.stderr)
        if a.port_only:
            print(sim.port, flush=True)
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                return 0
        with serial.Serial(sim.port, 115200, timeout=0.2) as ser:
            if a.test_set:
                return _test_set(sim, ser, a.test_set, a.limit, a.timeout, a.pace_us)
            _console(sim, ser)
    return 0


# -- export -----------------------------------------------------------------------------------
def firmware_model_for_run(run_dir: str | Path, min_accuracy: float | None = None, method: str = "bingo"):
    """The run's model as a FirmwareModel: pruned to `min_accuracy` now (saved to the run), else
    with the run's saved mask (from `prune`), else dense."""
    import numpy as np

    from bingo_studio.firmware.spec import FirmwareModel
    from bingo_studio.runs import load_mask, load_run

    run = load_run(run_dir)
    dataset = run.get_dataset()
    meta = {"dataset": run.config.dataset.name, "run": str(Path(run_dir).resolve())}
    if min_accuracy is not None:
        from bingo_studio.pruning.methods import prune_run

        result = prune_run(run, method, min_accuracy)
        masks, meta["test_accuracy"] = result.masks, round(result.test_accuracy, 4)
    elif (masks := load_mask(run)) is not None:
        meta["test_accuracy"] = run.extra["prune"].get("test_accuracy")
    else:
        print("note: the run is not pruned (bingo-studio prune, or --min-accuracy): exporting it dense",
              file=sys.stderr)
        masks = {name: np.ones(tuple(layer.weight.shape), dtype=bool) for name, layer in run.layers.items()}
    return FirmwareModel.from_torch(run.model, dataset, masks, meta=meta, name=run.config.dataset.name)


def export_run(run_dir: str | Path, board: str, out: str | Path, min_accuracy: float | None = None,
               fmt: str = "int8", method: str = "bingo", exact_cycles: bool = False):
    """Write a firmware project for a trained run (see firmware_model_for_run); returns project.ExportResult."""
    from bingo_studio.firmware.project import export

    fmodel = firmware_model_for_run(run_dir, min_accuracy, method)
    return export(fmodel, out, board, fmt=fmt, exact_cycles=exact_cycles)


def cmd_export(a: argparse.Namespace) -> int:
    result = export_run(a.run, a.board, a.out, min_accuracy=a.min_accuracy, fmt=a.format,
                        exact_cycles=a.exact_cycles)
    print(result.summary)
    board = get_board(a.board)
    hint = " --offline" if board.avr else ""
    print(f"next: bingo-studio build {result.project_dir} --board {board.key}{hint}")
    return 0


def register(subparsers) -> None:
    from bingo_studio.cli import parse_accuracy

    def common(p: argparse.ArgumentParser, offline_help: str) -> None:
        p.add_argument("dir", help="firmware project folder (from 'export')")
        p.add_argument("--board", required=True, choices=BOARD_CHOICES)
        p.add_argument("--offline", action="store_true", help=offline_help)
        p.add_argument("--core-dir", help="PlatformIO core folder (default: PlatformIO's own; offline: "
                                          "a bingo-studio folder in your cache)")
        p.add_argument("-v", "--verbose", action="store_true", help="print every PlatformIO line")

    e = subparsers.add_parser("export", help="write a PlatformIO firmware project for a pruned run")
    e.add_argument("run", help="run folder")
    e.add_argument("--board", required=True, choices=BOARD_CHOICES)
    e.add_argument("--out", required=True, help="project folder to write")
    e.add_argument("--min-accuracy", type=parse_accuracy,
                   help="prune to this validation accuracy first (default: the run's saved pruning)")
    e.add_argument("--format", default="int8", choices=["int8", "float32"], help="weight storage (default int8)")
    e.add_argument("--exact-cycles", action="store_true",
                   help="Uno: interrupts off during model compute, for exact cycle counts in 'simulate'")
    e.set_defaults(func=cmd_export)

    b = subparsers.add_parser("build", help="compile a firmware project with PlatformIO")
    common(b, "Uno/Nano only: use the system's avr-gcc and Arduino core, no downloads")
    b.set_defaults(func=cmd_build)

    f = subparsers.add_parser("flash", help="build and upload a firmware project to a board")
    common(f, "Uno/Nano only: use the system's avr-gcc, Arduino core and avrdude, no downloads")
    f.add_argument("--port", help="serial port (default: the one plugged-in board of that kind)")
    f.set_defaults(func=cmd_flash)

    bo = subparsers.add_parser("boards", help="list boards plugged in over USB")
    bo.add_argument("--json", action="store_true")
    bo.set_defaults(func=cmd_boards)

    s = subparsers.add_parser("simulate", help="run a project's Uno firmware on a simulated ATmega328P")
    s.add_argument("dir", help="firmware project folder (built offline if needed) or a firmware .elf")
    s.add_argument("--test-set", metavar="RUN", help="answer this run's test split and report accuracy and cycles")
    s.add_argument("--limit", type=int, help="with --test-set: only the first N samples")
    s.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    # An Uno computing a dense column per value falls behind 115200 baud and its 64-byte receive
    # buffer overflows (measured: ~690 us of compute per value, ~260 us per value on the wire), so
    # lines go out paced by default; 0 sends at full speed.
    s.add_argument("--pace-us", type=float, default=300.0,
                   help="send at most one byte per this many microseconds (default 300; 0: full speed)")
    s.add_argument("--port-only", action="store_true",
                   help="print the simulated serial port and keep it open (for another program)")
    s.add_argument("--core-dir", help=argparse.SUPPRESS)
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(func=cmd_simulate)
