"""A simulated Arduino Uno: the built firmware runs in simavr behind a serial port of its own.

resources/simavr/harness.c (built here on demand with the host's gcc against libsimavr) runs the
ELF with UART0 on its stdin/stdout and reports the CPU cycles of each inference on stderr: the
firmware writes GPIOR0 = 1 / 2 around each stretch of model compute and 3 when an inference is
done (see the harness for the details). `SimulatedUno` bridges those pipes to a pty that pyserial
opens like a USB board, so the rest of the app treats "Simulated Uno" as one more board whose port
is `sim.port`.

Like a real Uno, whose serial port resets it when opened, the simulated MCU leaves reset when a
program first opens the port (pyserial flushes the input queue on open; the pty reports that in
packet mode) or first writes to it; `boot="now"` starts it at once.

Fidelity: bytes reach the firmware at the real baud rate, and the Arduino core's 64-byte receive
buffer overflows as it would on a board. One difference: while interrupts are off (firmware built
with BINGO_EXACT_CYCLES), simavr holds incoming bytes instead of overrunning the UART.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import select
import shutil
import struct
import subprocess
import termios
import threading
import time
import tty
from pathlib import Path

from bingo_studio.errors import UserError
from bingo_studio.package_data import resources_dir

HARNESS_SOURCE = resources_dir() / "simavr" / "harness.c"
UNO_MCU = "atmega328p"
UNO_HZ = 16_000_000
_LINK = ["-lsimavrparts", "-lsimavr", "-lpthread", "-lutil"]


def _cache_root() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "bingo-studio" / "simavr"


def build_harness(cache_dir: Path | str | None = None) -> Path:
    """Compile the simavr harness once per source version; returns the executable's path.

    The binary's name carries a digest of the source, so an updated harness.c is rebuilt.
    """
    source = HARNESS_SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:12]
    root = Path(cache_dir) if cache_dir else _cache_root()
    exe = root / f"harness-{digest}"
    if exe.is_file() and os.access(exe, os.X_OK):
        return exe
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise UserError("The simulated Uno needs a C compiler: apt-get install gcc libsimavr-dev")
    if not Path("/usr/include/simavr/sim_avr.h").is_file():
        raise UserError("The simulated Uno needs simavr's library: apt-get install simavr libsimavr-dev")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".harness-{digest}-{os.getpid()}"
    cmd = [cc, "-O2", "-o", str(tmp), str(HARNESS_SOURCE), "-I/usr/include/simavr", *_LINK]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr.strip()[:200])
        raise UserError(f"Cannot build the simavr harness (is libsimavr-dev installed?): {first}")
    os.replace(tmp, exe)  # atomic: parallel builds never see a half-written binary
    return exe


def _is_avr_elf(path: Path) -> bool:
    """ELF file whose machine is AVR (e_machine 83), so simavr can load it."""
    with path.open("rb") as fh:
        head = fh.read(20)
    return len(head) == 20 and head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == 83


class SimulatedUno:
    """An ATmega328P running `elf_path`, reachable as a serial port at `.port`.

    Use as a context manager. `.cycles` lists the CPU cycles of each inference, in order.
    realtime=False runs as fast as the host can (tests, --test-set: about 2-3x a real Uno);
    realtime=True never runs ahead of the wall clock, for a board left open in the GUI.
    """

    def __init__(
        self,
        elf_path: Path | str,
        boot: str = "on-open",
        mcu: str = UNO_MCU,
        clock_hz: int = UNO_HZ,
        harness: Path | str | None = None,
        realtime: bool = False,
    ):
        self.elf_path = Path(elf_path)
        self._check_firmware()
        if boot not in ("on-open", "now"):
            raise ValueError("boot must be 'on-open' or 'now'")
        self.boot = boot
        self.mcu = mcu
        self.clock_hz = clock_hz
        self.realtime = realtime
        self.harness = Path(harness) if harness else self._default_harness()
        self.cycles: list[int] = []
        self.messages: list[str] = []  # simavr's own lines (errors, crash reports)
        self.resets = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._cycle_event = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._master = self._slave = -1
        self.port = ""

    # -- what runs the firmware (a subclass simulates another MCU behind the same pty bridge) ------
    def _check_firmware(self) -> None:
        if not self.elf_path.is_file():
            raise UserError(f"No firmware at {self.elf_path}: build the project for the Uno first")
        if not _is_avr_elf(self.elf_path):
            raise UserError(f"{self.elf_path} is not AVR firmware: the simulated Uno runs Uno/Nano builds only")

    def _default_harness(self) -> Path:
        return build_harness()

    def _command(self) -> list[str]:
        """The simulator process: UART on its stdin/stdout, `cycles N` lines on its stderr."""
        return [str(self.harness), str(self.elf_path), self.mcu, str(self.clock_hz)] + (
            ["realtime"] if self.realtime else []
        )

    # -- lifetime ---------------------------------------------------------------------------------
    def __enter__(self) -> SimulatedUno:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Create the pty (and start the MCU when boot='now')."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass as on a real UART
        # Packet mode tells us when the other side flushes its input (pyserial does on open).
        fcntl.ioctl(self._master, termios.TIOCPKT, struct.pack("i", 1))
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        t = threading.Thread(target=self._from_host, name="sim-uno-host", daemon=True)
        t.start()
        self._threads.append(t)
        if self.boot == "now":
            self.reset()

    def reset(self) -> None:
        """Restart the firmware from power-on (a fresh simulation), like pressing RESET."""
        with self._lock:
            self._stop_harness()
            proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
            )
            self._proc = proc
            self.resets += 1
        for target, name in ((self._to_host, "sim-uno-out"), (self._read_stderr, "sim-uno-err")):
            t = threading.Thread(target=target, args=(proc,), name=name, daemon=True)
            t.start()
            self._threads.append(t)

    @property
    def running(self) -> bool:
        """Whether the MCU is out of reset and its simulation is alive."""
        proc = self._proc
        return proc is not None and proc.poll() is None

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._stop_harness()
        for t in self._threads:
            t.join(timeout=2)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def _stop_harness(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()

    # -- cycle counts -----------------------------------------------------------------------------
    def wait_cycles(self, count: int, timeout: float = 10.0) -> list[int]:
        """Block until at least `count` inferences were counted (or timeout); returns the counts."""
        deadline = time.monotonic() + timeout
        with self._cycle_event:
            while len(self.cycles) < count and time.monotonic() < deadline:
                self._cycle_event.wait(timeout=max(0.0, deadline - time.monotonic()))
            return list(self.cycles)

    def cycles_to_us(self, cycles: int) -> float:
        return cycles * 1e6 / self.clock_hz

    # -- bridges ----------------------------------------------------------------------------------
    def _from_host(self) -> None:
        """pty -> harness stdin; boots the MCU when the host first opens or writes to the port."""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                packet = os.read(self._master, 4096)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EINTR):
                    continue
                if exc.errno == errno.EBADF or self._stop.is_set():
                    return
                time.sleep(0.05)  # EIO: no side has the slave open at the moment
                continue
            if packet:
                self._forward(packet[0], packet[1:])

    def _forward(self, control: int, data: bytes) -> None:
        """One pty packet: data goes to the harness's stdin; a flush before the first data boots the MCU."""
        if control != termios.TIOCPKT_DATA:
            if control & termios.TIOCPKT_FLUSHREAD and self._proc is None:
                self.reset()
            return
        if self._proc is None:
            self.reset()
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(proc.stdin.fileno(), view):]
            except (ValueError, OSError):
                pass  # the simulation was reset or closed meanwhile

    def _to_host(self, proc: subprocess.Popen[bytes]) -> None:
        """harness stdout (the MCU's UART output) -> pty."""
        assert proc.stdout is not None
        while True:
            try:
                chunk = os.read(proc.stdout.fileno(), 4096)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            view = memoryview(chunk)
            while view and not self._stop.is_set() and proc is self._proc:
                try:
                    n = os.write(self._master, view)
                    view = view[n:]
                except BlockingIOError:
                    select.select([], [self._master], [], 0.05)
                except OSError:
                    return

    def _read_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        try:
            for raw in proc.stderr:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("cycles "):
                    with self._cycle_event:
                        self.cycles.append(int(line.split()[1]))
                        self._cycle_event.notify_all()
                elif line:
                    self.messages.append(line)
        except ValueError:  # a reset or close shut the pipe under this reader: that process is gone
            return
