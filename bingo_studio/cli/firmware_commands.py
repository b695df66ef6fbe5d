"""Firmware subcommands: export, build, flash, boards, simulate (wired in by bingo_studio/cli.py).

Thin calls into the services the window uses too (bingo_studio.deploy, bingo_studio.targets).
Build and flash stream PlatformIO's output (a one-line status on a terminal, every line with -v or
on a pipe); a failure ends in one plain line on stderr naming the full log, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
import threading
import time
from pathlib import Path

from bingo_studio.cli.options import INTERRUPTED, ctrl_c_cancels, parse_accuracy
from bingo_studio.deploy.build import STEP_WORDS, size_text
from bingo_studio.errors import UserError
from bingo_studio.targets import TARGETS, board_targets, get_target
from bingo_studio.training.task import TaskCancelled, TaskState

BOARD_CHOICES = sorted(t.key for t in board_targets())


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
        if line.startswith(STEP_WORDS):
            self.steps += 1
        status = f"{self.action}: [{self.steps:3d} steps, {time.monotonic() - self.start:5.1f} s] {line.strip()}"
        self.stream.write("\r" + status[:100].ljust(100))
        self.stream.flush()

    def close(self) -> None:
        if not self.verbose:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def _run_streamed(action: str, verbose: bool, work):
    """Run ``work(state)`` (a target's build or flash) with PlatformIO's lines on the terminal and
    Ctrl-C mapped to a clean cancel of the PlatformIO process."""
    status = _Status(action, verbose)
    state = TaskState(lambda p: status(p.message))
    try:
        with ctrl_c_cancels(state.cancel):
            return work(state)
    except TaskCancelled:  # one line, exit 130, as every command (bingo_studio.cli.main)
        raise KeyboardInterrupt from None
    finally:
        status.close()


def cmd_build(a: argparse.Namespace) -> int:
    target = get_target(a.board)
    result = _run_streamed("build", a.verbose,
                           lambda state: target.build(a.dir, offline=a.offline, core_dir=a.core_dir, state=state))
    print(f"Built for {target.title} in {result.seconds:.1f} s{size_text(result)}")
    if result.firmware:
        print(f"firmware: {result.firmware}")
    print(f"log: {result.log_path}")
    return 0


def cmd_flash(a: argparse.Namespace) -> int:
    from bingo_studio.firmware.ports import list_boards

    target = get_target(a.board)
    port = a.port or target.pick_port(list_boards(), how=" with --port")
    if port:
        print(f"flashing {target.title} on {port}", file=sys.stderr)
    flashed = _run_streamed(
        "flash", a.verbose,
        lambda state: target.flash(a.dir, port=port, offline=a.offline, core_dir=a.core_dir, state=state),
    )
    print(f"{target.flashed_text(flashed)} in {flashed.result.seconds:.1f} s")
    print(f"log: {flashed.result.log_path}")
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
    for t in TARGETS.values():
        if t.simulated:
            print(f"{t.title}: bingo-studio simulate DIR --board {t.key}")
    return 0


# -- simulate ----------------------------------------------------------------------------------
def _elf_for(project: Path, core_dir: str | None, verbose: bool) -> Path:
    """The Uno ELF of a project (built offline first when missing or older than its sources)."""
    if project.is_file() and project.suffix == ".elf":
        return project
    if not (project / "platformio.ini").is_file():
        raise UserError(f"{project} is neither a firmware project (platformio.ini) nor an .elf file")
    target = TARGETS["sim"]
    elf = target.elf(project)
    sources = [project / "platformio.ini", *(p for p in (project / "src").rglob("*") if p.is_file())]
    if not elf.is_file() or max(p.stat().st_mtime for p in sources) > elf.stat().st_mtime:
        print("building the firmware for the simulated Uno (offline)...", file=sys.stderr)
        _run_streamed("build", verbose, lambda state: target.build(project, core_dir=core_dir, state=state))
    return elf


def _pico_image_for(project: Path, verbose: bool) -> Path:
    """The simulated Pico's flash image of a project (built from its src/ when missing or older)."""
    if project.is_file() and project.suffix in (".bin", ".elf", ".uf2"):
        return project
    src = project / "src"
    if not (src / "bingo_model.c").is_file():
        raise UserError(f"{project} is neither a firmware project (src/bingo_model.c) nor a Pico image")
    target = TARGETS["pico-sim"]
    image = target.image(project)
    newest = max(p.stat().st_mtime for p in src.rglob("*") if p.is_file())
    if not image.is_file() or newest > image.stat().st_mtime:
        print("building the firmware for the simulated Pico (arm-none-eabi-gcc)...", file=sys.stderr)
        result = target.build(project)
        if verbose:
            print(result.lines[-1], file=sys.stderr)
    return image


def _console(sim, ser) -> None:
    """stdin lines -> the simulated UART; its output -> stdout; cycle counts -> stderr."""
    stop = threading.Event()
    shown = 0
    lines_in = [0]  # lines the board printed: its ready line, then one answer per line sent

    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def pump_out() -> None:
        nonlocal shown
        while not stop.is_set():
            data = ser.read(ser.in_waiting or 1)
            if data:
                lines_in[0] += data.count(b"\n")
                sys.stdout.write(utf8.decode(data).replace("\r\n", "\n"))  # labels are UTF-8
                sys.stdout.flush()
            while shown < len(sim.cycles):
                c = sim.cycles[shown]
                print(f"[sim] inference: {c:,} cycles = {sim.cycles_to_us(c):,.0f} us at {sim.clock_hz / 1e6:g} MHz",
                      file=sys.stderr)
                shown += 1

    t = threading.Thread(target=pump_out, daemon=True)
    t.start()
    try:
        sent = 0
        for line in sys.stdin:
            ser.write(line.rstrip("\r\n").encode("ascii", "replace") + b"\n")
            sent += 1
        # stdin ended: let the last answers arrive (every line answered, or 10 s at most)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and lines_in[0] < sent + 1:
            time.sleep(0.05)
        time.sleep(0.1)  # the cycle count of the last answer
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        t.join(timeout=2)


def _test_set(sim, ser, run_dir: str, limit: int | None, timeout: float, pace_us: float, title: str) -> int:
    from bingo_studio.deploy.device_test import run_test_set
    from bingo_studio.firmware.protocol_client import LineReader
    from bingo_studio.runs import load_run

    ds = load_run(run_dir).get_dataset()
    x, y = ds.x_test[:limit] if limit else ds.x_test, ds.y_test[:limit] if limit else ds.y_test
    tty = sys.stderr.isatty()

    def show(p) -> None:
        if tty:
            sys.stderr.write("\r" + p.message)
            sys.stderr.flush()

    counted = len(sim.cycles)
    result = run_test_set(LineReader(ser), x, y, ds.n_classes, pace_us, TaskState(show), timeout)
    if tty:
        sys.stderr.write("\n")
    for e in result.errors:
        print(e, file=sys.stderr)
    # one cycle count per answered sample: none for err answers or lost lines
    cycles = sim.wait_cycles(counted + result.n - len(result.errors), timeout=2.0)[counted:]
    print(f"{title} ({result.model}): {result.correct}/{result.n} correct = {result.accuracy:.2%} "
          "on the test split" + (f", {len(result.errors)} errors" if result.errors else ""))
    if cycles:
        mean = sum(cycles) / len(cycles)
        print(f"cycles per inference: mean {mean:,.0f} (min {min(cycles):,}, max {max(cycles):,}) "
              f"= {sim.cycles_to_us(mean) / 1000:.2f} ms at {sim.clock_hz / 1e6:g} MHz")
    if result.errors:
        print("note: errors like 'value N is empty' mean the board dropped bytes while computing; "
              f"a larger --pace-us (now {pace_us:g}) sends slower", file=sys.stderr)
    return 0 if not result.errors else 1


# `simulate --board`: the simulated target of each board family
SIMULATED = {"uno": "sim", "sim": "sim", "pico": "pico-sim", "pico-sim": "pico-sim"}


def cmd_simulate(a: argparse.Namespace) -> int:
    if SIMULATED[a.board] == "pico-sim":
        elf = _pico_image_for(Path(a.dir), a.verbose)
    else:
        elf = _elf_for(Path(a.dir), a.core_dir, a.verbose)
    try:
        return _simulate(elf, a)
    except KeyboardInterrupt:
        return INTERRUPTED


def _simulate(elf: Path, a: argparse.Namespace) -> int:
    from bingo_studio.firmware.simulator import SimulatedUno

    target = TARGETS[SIMULATED[a.board]]
    pace_us = target.pace_us if a.pace_us is None else a.pace_us
    title, chip = target.title.replace("Simulated", "simulated"), target.board.mcu
    if target.key == "pico-sim":
        from bingo_studio.firmware.simulated_pico import SimulatedPico

        sim = SimulatedPico(elf)
    else:  # a person or another program at the port: real speed (and an idle core); a test set: flat out
        sim = SimulatedUno(elf, realtime=not a.test_set)
    with sim:
        print(f"{title} on {sim.port} ({chip}, {sim.clock_hz / 1e6:g} MHz)", file=sys.stderr)
        if a.port_only:
            print(sim.port, flush=True)
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                return 0
        with target.open_serial(sim.port, timeout=0.2) as ser:
            if a.test_set:
                return _test_set(sim, ser, a.test_set, a.limit, a.timeout, pace_us, title)
            _console(sim, ser)
    return 0


# -- export -----------------------------------------------------------------------------------
def cmd_export(a: argparse.Namespace) -> int:
    from bingo_studio.deploy.export import export_run

    result = export_run(a.run, a.board, a.out, min_accuracy=a.min_accuracy, fmt=a.format,
                        exact_cycles=a.exact_cycles)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(result.summary)
    target = get_target(a.board)
    hint = " --offline" if target.offline_possible else ""
    print(f"next: bingo-studio build {result.project_dir} --board {target.key}{hint}")
    return 0


def register(subparsers) -> None:

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
    common(f, "Uno/Nano: the system's avr-gcc, Arduino core and avrdude; Pico in BOOTSEL mode: the project's own "
              "bare-metal build (arm-none-eabi-gcc, USB serial); no downloads")
    f.add_argument("--port", help="serial port (default: the one plugged-in board of that kind)")
    f.set_defaults(func=cmd_flash)

    bo = subparsers.add_parser("boards", help="list boards plugged in over USB")
    bo.add_argument("--json", action="store_true")
    bo.set_defaults(func=cmd_boards)

    s = subparsers.add_parser("simulate", help="run a project's firmware on a simulated Uno or Pico")
    s.add_argument("dir", help="firmware project folder (built offline if needed), a Uno .elf or a Pico .bin")
    s.add_argument("--board", choices=list(SIMULATED), default="uno",
                   help="simulated board: uno (ATmega328P in simavr, default) or pico (RP2040 in rp2040js)")
    s.add_argument("--test-set", metavar="RUN", help="answer this run's test split and report accuracy and cycles")
    s.add_argument("--limit", type=int, help="with --test-set: only the first N samples")
    s.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    # The integer firmware keeps up with 115200 baud (targets.base.PACE_US); a float32 build
    # computing a dense column per value falls behind and its 64-byte receive buffer overflows: pace it.
    s.add_argument("--pace-us", type=float, default=None,
                   help="send at most one byte per this many microseconds (default: the target's, full speed "
                   "for the integer firmware; about 300 for float32 firmware)")
    s.add_argument("--port-only", action="store_true",
                   help="print the simulated serial port and keep it open (for another program)")
    s.add_argument("--core-dir", help=argparse.SUPPRESS)
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(func=cmd_simulate)
