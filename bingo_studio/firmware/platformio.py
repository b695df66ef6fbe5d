"""Build and flash generated firmware with PlatformIO, streaming its output and explaining failures.

`run_build`/`run_upload` stream PlatformIO's output line by line to a callback; the targets
(bingo_studio.targets) call them for the CLI and the window alike. A failure ends up as one plain
sentence (`explain_failure`, or a RAM overflow PlatformIO only warns about), with PlatformIO's full
log kept beside the project.
"""

from __future__ import annotations

import configparser
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bingo_studio.boards import get_board
from bingo_studio.errors import UserError
from bingo_studio.firmware import local_platform

REGISTRY_HOST = ("api.registry.platformio.org", 443)
LOG_DIR_NAME = "logs"
PROBE_DEADLINE = 8.0  # seconds to wait for the registry check before calling the network down
AVR_RAM_START = 0x800100  # ATmega328P: data addresses carry 0x800000; RAM follows 256 bytes of registers

LineCallback = Callable[[str], None]

# PlatformIO announces every package it fetches; a local symlink:// or file:// platform is no download.
_INSTALL_RE = re.compile(r"^(Platform|Tool|Library|Package) Manager: Installing (?!symlink://|file://)(\S+)", re.M)
_NET_ERROR_RE = (
    r"HTTPClientError|Could not resolve host|NameResolutionError|Max retries exceeded|"
    r"Failed to establish a new connection|Temporary failure in name resolution|InternetConnectionError"
)
_SIZE_RE = re.compile(r"^(RAM|Flash):\s+\[[= ]*\]\s+([\d.]+)%\s+\(used (\d+) bytes from (\d+) bytes\)")


@dataclass
class SizeReport:
    """PlatformIO's memory report: bytes used and available (flash = program, RAM = static data)."""

    flash_used: int
    flash_total: int
    ram_used: int | None = None
    ram_total: int | None = None

    @property
    def flash_percent(self) -> float:
        return 100.0 * self.flash_used / self.flash_total

    @property
    def ram_percent(self) -> float | None:
        if self.ram_used is None or not self.ram_total:
            return None
        return 100.0 * self.ram_used / self.ram_total


@dataclass
class RunResult:
    """Outcome of one `pio run`: ok, a one-line reason when not, and where the full log is."""

    ok: bool
    reason: str
    log_path: Path
    size: SizeReport | None = None
    returncode: int | None = None
    cancelled: bool = False
    seconds: float = 0.0
    firmware: Path | None = None
    lines: list[str] = field(default_factory=list, repr=False)


def env_for_board(board: str) -> str:
    """PlatformIO environment name for a product board name ('uno', 'esp32', 'pico', ...)."""
    return get_board(board).env


def _check_project(project_dir: Path | str) -> Path:
    project = Path(project_dir).expanduser().resolve()
    if not (project / "platformio.ini").is_file():
        raise UserError(f"{project} is not a firmware project (no platformio.ini); export one first")
    return project


def _project_envs(project: Path) -> list[str]:
    """Environment names in the project's platformio.ini ([] if it cannot be read: pio will say why)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(project / "platformio.ini", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return []
    return [name[4:] for name in parser.sections() if name.startswith("env:")]


def _pio_argv() -> list[str]:
    # The interpreter running BINGO Studio has platformio installed (a dependency); avoids PATH issues.
    return [sys.executable, "-m", "platformio"]


def _base_env(core_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONUNBUFFERED="1",
        PLATFORMIO_NO_ANSI="true",
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="no",
        PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL="3650",
        # English tool messages: explain_failure reads them (gcc, ld and avrdude are translated)
        LC_MESSAGES="C",
        LANGUAGE="en",
    )
    if core_dir is not None:
        env["PLATFORMIO_CORE_DIR"] = str(core_dir)
    return env


def _command(
    project_dir: Path | str, board: str, offline: bool, core_dir: Path | str | None, extra: list[str]
) -> tuple[list[str], dict[str, str]]:
    project = _check_project(project_dir)
    env_name = env_for_board(board)
    envs = _project_envs(project)
    if envs and env_name not in envs:
        raise UserError(
            f"The project in {project} is not set up for the {get_board(board).title} (it has "
            f"{', '.join(envs)}): export it for {get_board(board).key}"
        )
    argv = [*_pio_argv(), "run", "-d", str(project), "-e", env_name]
    core = Path(core_dir) if core_dir else None
    if offline:
        if env_name not in local_platform.offline_boards():
            raise UserError(
                f"Offline builds work for the Arduino Uno/Nano only; '{board}' needs PlatformIO online"
            )
        core = core or local_platform.default_core_dir()
        platform_dir = local_platform.ensure_offline_platform(core)
        argv += ["-c", str(local_platform.write_offline_config(project, platform_dir))]
    env = _base_env(core)
    if offline and core is not None:
        # Every exported project compiles the same Arduino core: share the objects (SCons CacheDir,
        # keyed by the exact command line, so different flags never mix).
        env.setdefault("PLATFORMIO_BUILD_CACHE_DIR", str(core / "build-cache"))
    return argv + extra, env


def build_command(
    project_dir: Path | str, board: str, offline: bool = False, core_dir: Path | str | None = None
) -> tuple[list[str], dict[str, str]]:
    """argv and environment of the `pio run` that builds the project for `board`.

    With offline=True (Uno/Nano), the local platform is installed first and a copy of the ini
    pointing at it is written to <project>/.pio/; otherwise PlatformIO uses its own platforms
    (in `core_dir`, or the user's usual PlatformIO folder).
    """
    return _command(project_dir, board, offline, core_dir, [])


def upload_command(
    project_dir: Path | str,
    board: str,
    offline: bool = False,
    core_dir: Path | str | None = None,
    port: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """argv and environment of the `pio run -t upload` that builds and flashes the board."""
    extra = ["-t", "upload"] + (["--upload-port", port] if port else [])
    return _command(project_dir, board, offline, core_dir, extra)


def parse_size(log_text: str) -> SizeReport | None:
    """PlatformIO's 'RAM:' and 'Flash:' lines -> SizeReport (the last report in the log wins)."""
    found: dict[str, tuple[int, int]] = {}
    for line in log_text.splitlines():
        m = _SIZE_RE.match(line.strip())
        if m:
            found[m.group(1)] = (int(m.group(3)), int(m.group(4)))
    if "Flash" not in found:
        return None
    ram = found.get("RAM", (None, None))
    return SizeReport(found["Flash"][0], found["Flash"][1], ram[0], ram[1])


def ram_overflow_message(used: int, total: int) -> str:
    """The one line for firmware whose static RAM (data + bss) exceeds the board's."""
    return (f"The firmware needs {used:,} bytes of RAM but the board has {total:,}: "
            f"{used - total:,} bytes over (prune more)")


def avr_ram_used(log_text: str) -> int | None:
    """Static RAM of an AVR build the linker refused ("section `.bss' is not within region `data'"):
    the end address it names, less the start of the ATmega328P's RAM (Uno, Nano)."""
    m = _first(r"address (0x[0-9a-fA-F]+) of \S+ section [`']\.(?:bss|data|noinit)' is not within region [`']data'",
               log_text)
    return int(m.group(1), 16) - AVR_RAM_START if m else None


def registry_reachable(host: tuple[str, int] = REGISTRY_HOST, timeout: float = 3.0) -> bool:
    """Whether PlatformIO's package registry answers a TCP connection (so a download can work)."""
    try:
        with socket.create_connection(host, timeout=timeout):
            return True
    except OSError:
        return False


def download_needed_message(what: str | None) -> str:
    """The one line shown when PlatformIO must download `what` (a platform or tool) and cannot."""
    name = what or "a package"
    hint = " (or build for the Uno/Nano with --offline)" if what is None or "atmelavr" in name else ""
    return (f"PlatformIO needs to download {name} the first time and there is no network: "
            f"connect to the internet once{hint}")


def detect_download(line: str) -> str | None:
    """The package PlatformIO starts downloading on this output line, if any."""
    m = _INSTALL_RE.match(line.strip())
    return m.group(2) if m else None


def _first(pattern: str, text: str, flags: int = re.M) -> re.Match[str] | None:
    return re.search(pattern, text, flags)


def explain_failure(log_text: str) -> str:
    """One plain sentence for why a `pio run` failed, from its log (empty log -> generic message)."""
    text = log_text.replace("\r", "\n")
    for rule in (_download_failure, _missing_tool, _too_big, _port_failure, _build_error):
        reason = rule(text)
        if reason:
            return reason
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not set(ln.strip()) <= set("=-* ")]
    return lines[-1] if lines else "PlatformIO failed without output"


def _download_failure(text: str) -> str | None:
    """PlatformIO needed to download something and could not (or was stopped before its retries)."""
    installed = " ".join(re.findall(r"^.*has been installed.*$", text, re.M))
    unfinished = [m.group(2) for m in _INSTALL_RE.finditer(text) if m.group(2).split("/")[-1] not in installed]
    if unfinished or _first(_NET_ERROR_RE, text):
        return download_needed_message(unfinished[0] if unfinished else None)
    return None


def _missing_tool(text: str) -> str | None:
    """A system tool of the offline platform is not installed."""
    m = _first(r"(avr-gcc|avr-g\+\+|avr-objcopy|avr-size|avrdude): (?:command )?not found", text)
    if m:
        pkg = {"avrdude": "avrdude"}.get(m.group(1), "gcc-avr")
        return f"{m.group(1)} is not installed: apt-get install {pkg}"
    return None


def _too_big(text: str) -> str | None:
    """The firmware is larger than the board's flash or RAM."""
    m = _first(r"The program size \((\d+) bytes\) is greater than maximum allowed \((\d+) bytes\)", text)
    if m:
        return (
            f"The firmware is too big for the board: {int(m.group(1)):,} bytes of flash needed, "
            f"{int(m.group(2)):,} available (prune more or use int8 weights)"
        )
    m = _first(r"region [`']?\.?(text|flash|FLASH|irom0_0_seg|iram0_0_seg)'? overflowed by (\d+) bytes", text)
    if m:
        return (
            f"The firmware is too big for the board's flash by {int(m.group(2)):,} bytes "
            "(prune more or use int8 weights)"
        )
    m = _first(r"region [`']?\.?(data|dram0_0_seg|RAM|ram)'? overflowed by (\d+) bytes", text)
    if m:
        return f"The firmware needs {int(m.group(2)):,} bytes more RAM than the board has (prune more)"
    m = _first(r"size of array [`'\u2018]([^'\u2019]+)['\u2019] is too large", text)
    if m:  # an AVR object is at most 32,767 bytes
        return (f"The model is too big for the board: its table {m.group(1)} is larger than one array can be "
                "(prune more or use int8 weights)")
    m = _first(r"size of array [`'\u2018]([^'\u2019]+)['\u2019] is too large", text)
    if m:  # an AVR object is at most 32,767 bytes
        return (f"The model is too big for the board: its table {m.group(1)} is larger than one array can be "
                "(prune more or use int8 weights)")
    m = _first(r"section [`']\.?(bss|data|noinit)' (?:will not fit in|is not within) region", text)
    if m:
        over = _first(r"overflowed by (\d+) bytes", text)
        return ("The firmware needs more RAM than the board has" + (f", {int(over.group(1)):,} bytes more" if over
                else "") + " (prune more)")
    m = _first(r"The data size \((\d+) bytes\) is greater than maximum allowed \((\d+) bytes\)", text)
    if m:
        return (
            f"The firmware needs {int(m.group(1)):,} bytes of RAM but the board has {int(m.group(2)):,} "
            "(prune more or use int8 weights)"
        )
    return None


def _port_failure(text: str) -> str | None:
    """No board, a port that cannot be opened, or a board that stopped answering during the upload."""
    if "Please specify `upload_port`" in text:
        return "No board found: plug the board in over USB, or name its port (--port)"
    m = _first(r'ser_open\(\): can\'t open device "([^"]+)": (.*)$', text) or _first(
        r"avrdude OS error: cannot open port (\S+): (.*)$", text
    ) or _first(
        r"could not open port '?([^':]+)'?: \[Errno \d+\] (.*)$", text
    ) or _first(r"Could not open (\S+), the port (doesn't exist|is busy or doesn't exist)", text)
    if m:
        port, why = m.group(1), m.group(2).strip().rstrip(".")
        if "ermission" in why:
            return f"No permission to open {port}: add yourself to the 'dialout' group and log in again"
        if "busy" in why.lower():
            return f"Port {port} is busy: close the serial monitor or other program using it"
        return f"Port {port} not found: is the board plugged in? (check the cable or pick another port)"
    if _first(r"not in sync|programmer is not responding|stk500v?2?_(recv|getsync)|"
              r"device reports readiness to read but returned no data|Input/output error", text):
        return (
            "The board stopped answering during the upload: check the USB cable, that the board is "
            "plugged in and that the right board and port are selected, then try again"
        )
    m = _first(r"A fatal error occurred: (.*)$", text)
    if m:
        return f"ESP32 upload failed: {m.group(1).strip()} (hold BOOT while it connects, check the cable)"
    if _first(r"No accessible RP2040 devices in BOOTSEL mode|RP2040 .*BOOTSEL", text):
        return "No Pico found in BOOTSEL mode: hold BOOTSEL while plugging it in, then flash again"
    return None


def _build_error(text: str) -> str | None:
    """Compiler and linker errors: the first one is the useful one."""
    m = _first(r"^(\S+?):(\d+):(?:(\d+):)? (?:fatal )?error: (.*)$", text)
    if m:
        return f"Compile error in {Path(m.group(1)).name} line {m.group(2)}: {m.group(4).strip()}"
    m = _first(r"undefined reference to [`'](.+?)'", text)
    if m:
        return f"Link error: undefined reference to {m.group(1)}"
    m = _first(r"Unknown environment names '(.+?)'\. Valid names are '(.+?)'", text)
    if m:
        return f"The project has no {m.group(1)} environment (it has {m.group(2)}): export it for that board"
    m = _first(r"^Error: (.*)$", text) or _first(r"^\*\*\* \[.*?\] (.*)$", text)
    if m:
        return m.group(1).strip()
    m = _first(r"^.*\b(?:Error|error|ERROR)\b.*$", text)
    return m.group(0).strip() if m else None


def _kill(proc: subprocess.Popen[str]) -> None:
    """Stop pio and the SCons/avrdude/esptool children it started."""
    if proc.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired, PermissionError):
        try:
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()


def run_pio(
    argv: list[str],
    env: dict[str, str],
    log_path: Path,
    on_line: LineCallback | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = 1800.0,
    allow_downloads: bool | None = None,
) -> RunResult:
    """Run a pio command, streaming lines to `on_line` and writing them all to `log_path`.

    allow_downloads: None = when PlatformIO starts installing a package, check within seconds that
    its registry is reachable and stop otherwise (instead of its minute of retries); False = stop at
    any download; True = let it download.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    lines: list[str] = []
    stopped_reason = ""
    cancelled = False
    try:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            start_new_session=(os.name == "posix"),
        )
    except OSError as exc:
        raise UserError(f"Cannot start PlatformIO ({argv[0]}): {exc}") from exc

    q: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            q.put(raw.rstrip("\n"))
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    probe = _DownloadProbe(allow_downloads)
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(argv) + "\n")
        while (line := _next_line(q)) is not None:
            if line:
                lines.append(line)
                log.write(line + "\n")
                log.flush()
                if on_line:
                    on_line(line)
                probe.saw(line)
            if probe.offline() and not stopped_reason:
                stopped_reason = download_needed_message(probe.what)
                _kill(proc)
            if cancel is not None and cancel.is_set() and not cancelled:
                cancelled = True
                _kill(proc)
            if timeout is not None and time.monotonic() - start > timeout and not stopped_reason:
                stopped_reason = f"PlatformIO did not finish within {timeout:.0f} s and was stopped"
                _kill(proc)
        proc.wait()
        if stopped_reason:
            log.write(f"[bingo-studio] {stopped_reason}\n")
        elif cancelled:
            log.write("[bingo-studio] cancelled by the user\n")

    text = "\n".join(lines)
    size = parse_size(text)
    reason = _outcome(proc.returncode, text, size, stopped_reason, cancelled)
    return RunResult(
        ok=not reason,
        reason=reason,
        log_path=log_path,
        size=size,
        returncode=proc.returncode,
        cancelled=cancelled,
        seconds=time.monotonic() - start,
        lines=lines,
    )


def _next_line(q: queue.Queue) -> str | None:
    """The next output line, "" when none came within 0.1 s (the caller checks its deadlines), None at the end."""
    try:
        return q.get(timeout=0.1)
    except queue.Empty:
        return ""


class _DownloadProbe:
    """Watches pio's output for a package download and decides, within PROBE_DEADLINE, whether it can
    happen: None lets it try, False stops at any download, True lets it download."""

    def __init__(self, allow_downloads: bool | None):
        self.allow = allow_downloads
        self.what: str | None = None
        self.reachable: bool | None = None
        self.since: float | None = None

    def saw(self, line: str) -> None:
        what = detect_download(line)
        if not what or self.allow is True or self.what is not None:
            return
        self.what = what
        if self.allow is False:
            self.reachable = False
            return
        self.since = time.monotonic()
        threading.Thread(target=lambda: setattr(self, "reachable", registry_reachable()), daemon=True).start()

    def offline(self) -> bool:
        # a name lookup that hangs longer than any working network would take counts as offline
        if self.since is not None and self.reachable is None and time.monotonic() - self.since > PROBE_DEADLINE:
            self.reachable = False
        return self.reachable is False


def _outcome(returncode: int | None, text: str, size: SizeReport | None, stopped: str, cancelled: bool) -> str:
    """Why the run failed in one line, or "" when it succeeded (RAM over the board's counts as a failure)."""
    if cancelled:
        return "Cancelled"
    if stopped:
        return stopped
    if returncode != 0:
        return explain_failure(text)
    if size and size.ram_total and size.ram_used is not None and size.ram_used > size.ram_total:
        return ram_overflow_message(size.ram_used, size.ram_total)  # PlatformIO only warns: it would crash
    return ""


def _run(
    action: str,
    project_dir: Path | str,
    board: str,
    argv_env: tuple[list[str], dict[str, str]],
    on_line: LineCallback | None,
    cancel: threading.Event | None,
    timeout: float | None,
    allow_downloads: bool | None,
) -> RunResult:
    project = _check_project(project_dir)
    env_name = env_for_board(board)
    argv, env = argv_env
    log_path = project / LOG_DIR_NAME / f"{action}-{env_name}.log"
    result = run_pio(argv, env, log_path, on_line, cancel, timeout, allow_downloads)
    board_info = get_board(board)
    used = avr_ram_used("\n".join(result.lines)) if board_info.avr and not result.ok else None
    if used is not None:
        result.reason = ram_overflow_message(used, board_info.ram_bytes)
    elf = project / ".pio" / "build" / env_name / "firmware.elf"
    if result.ok and elf.is_file():
        result.firmware = elf
    return result


def run_build(
    project_dir: Path | str,
    board: str,
    offline: bool = False,
    core_dir: Path | str | None = None,
    on_line: LineCallback | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = 1800.0,
    allow_downloads: bool | None = None,
) -> RunResult:
    """Build the project for `board`; the log goes to <project>/logs/build-<env>.log."""
    cmd = build_command(project_dir, board, offline=offline, core_dir=core_dir)
    return _run("build", project_dir, board, cmd, on_line, cancel, timeout, allow_downloads)


def run_upload(
    project_dir: Path | str,
    board: str,
    offline: bool = False,
    core_dir: Path | str | None = None,
    port: str | None = None,
    on_line: LineCallback | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = 1800.0,
    allow_downloads: bool | None = None,
) -> RunResult:
    """Build if needed and flash the board (on `port`, or the one PlatformIO finds)."""
    cmd = upload_command(project_dir, board, offline=offline, core_dir=core_dir, port=port)
    return _run("upload", project_dir, board, cmd, on_line, cancel, timeout, allow_downloads)
