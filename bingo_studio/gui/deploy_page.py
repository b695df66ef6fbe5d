"""Step 4, Deploy: export the pruned model as firmware, build and flash it with PlatformIO.

Inputs: Studio.run/method/floor (the pruning chosen in step 3), the board picked here, the port
list (polled in a worker by a QTimer, so plugging a board in shows up by itself).
Outputs: Studio.set_firmware(ExportResult, QModel), Studio.elf after a build, Studio.set_ports(...),
``port_needed(port)`` before flashing a port (the console closes it),
Studio.set_simulator(SimulatedUno) when the Simulated Uno is "flashed"; ``message`` holds the
one-line outcome of the last action.

PlatformIO runs in a QProcess whose output streams into the log pane; a failure is explained in one
plain sentence by bingo_studio.firmware.platformio.explain_failure, with the log still there.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bingo_studio.boards import BOARDS
from bingo_studio.gui import terms
from bingo_studio.gui.studio import Studio
from bingo_studio.gui.workers import run_task

SIM = "sim"
TARGETS = (
    (SIM, "Simulated Uno (no board needed)"),
    ("uno", "Arduino Uno"),
    ("nano", "Arduino Nano"),
    ("esp32", "ESP32 DevKit"),
    ("pico", "Raspberry Pi Pico"),
)
POLL_MS = 2000
PROBE_MS = 8000  # a registry check that takes longer than this means no network
STEP_WORDS = ("Compiling", "Linking", "Archiving", "Building", "Uploading", "Checking", "Writing", "Reading")


def export_firmware(run, method: str, floor: float, board: str, out_dir: Path, offline: bool, action: str):
    """Prune to the floor (saving the mask into the run folder), write the firmware project, and the
    PlatformIO command to run. Runs in a worker."""
    from bingo_studio.firmware.platformio import build_command, upload_command
    from bingo_studio.firmware.project import export
    from bingo_studio.firmware.quantize import quantize
    from bingo_studio.firmware.spec import FirmwareModel
    from bingo_studio.pruning.methods import prune_run

    result = prune_run(run, method, floor, save=run.path is not None)
    meta = {"dataset": run.config.dataset.name, "test_accuracy": round(result.test_accuracy, 4)}
    fmodel = FirmwareModel.from_torch(  # the pruned network itself: a ladder point has weights of its own
        result.model, run.get_dataset(), result.masks, meta=meta, name=run.config.dataset.name
    )
    ex = export(fmodel, out_dir, board)
    qmodel = quantize(fmodel, ex.fmt)
    command = build_command if action == "build" else upload_command
    return ex, qmodel, result, command


class DeployPage(QWidget):
    port_needed = Signal(str)  # about to flash this port: whoever holds it open (the console) lets go

    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.proc: QProcess | None = None
        self.message = ""
        self._poll_task = None
        self._probe_task = None
        self._stop_reason = ""
        self._lines: list[str] = []
        self._partial = ""
        self._known_ports: set[str] = set()
        self._user_picked = False
        self._context_port: str | None = None
        self.list_boards = None  # replaced in tests; default: bingo_studio.firmware.ports.list_boards

        self.board_box = QComboBox()
        for key, text in TARGETS:
            self.board_box.addItem(text, key)
        self.board_box.setToolTip(terms.SIMULATED_UNO)
        self.port_box = QComboBox()
        self.port_box.setMinimumWidth(280)
        self.port_box.setToolTip("Boards plugged in over USB appear here by themselves")
        self.detected = QLabel("Looking for boards...")
        self.detected.setWordWrap(True)
        self.offline = QCheckBox("Build offline with this computer's AVR compiler")
        self.offline.setToolTip(terms.OFFLINE)
        self.build_button = QPushButton("Build")
        self.build_button.setToolTip("Export the pruned model as firmware and compile it (Ctrl+B)")
        self.flash_button = QPushButton("Flash")
        self.flash_button.setToolTip("Build and upload the firmware to the board (Ctrl+U)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.steps = QLabel("")
        self.result = QLabel("Train and prune a model, then build its firmware here.")
        self.result.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.log.setFont(QFont("monospace", 9))
        self.log.setPlaceholderText("PlatformIO's output appears here.")

        box = QGroupBox("Board")
        form = QFormLayout(box)
        form.addRow("Board:", self.board_box)
        form.addRow("Port:", self.port_box)
        form.addRow(self.detected)
        form.addRow(self.offline)
        row = QHBoxLayout()
        for w in (self.build_button, self.flash_button, self.cancel_button):
            row.addWidget(w)
        form.addRow(row)
        form.addRow(self.progress)
        form.addRow(self.steps)
        form.addRow(self.result)
        box.setMaximumWidth(420)
        left = QVBoxLayout()
        left.addWidget(box)
        left.addStretch(1)
        logbox = QGroupBox("PlatformIO log")
        QVBoxLayout(logbox).addWidget(self.log)
        lay = QHBoxLayout(self)
        lay.addLayout(left)
        lay.addWidget(logbox, 1)

        self.board_box.activated.connect(self._board_picked_by_user)
        self.board_box.currentIndexChanged.connect(self._board_changed)
        self.build_button.clicked.connect(lambda: self.start("build"))
        self.flash_button.clicked.connect(lambda: self.start("flash"))
        self.cancel_button.clicked.connect(self.cancel)
        studio.ports_changed.connect(self._show_ports)
        studio.device_changed.connect(self._show_ports)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll_ports)
        self.poll_timer.start()
        self._board_changed()
        QTimer.singleShot(0, self.poll_ports)

    # -- boards and ports ----------------------------------------------------------------------------
    def board(self) -> str:
        return self.board_box.currentData()

    def select_board(self, key: str) -> None:
        self.board_box.setCurrentIndex(self.board_box.findData(key))

    def _board_picked_by_user(self, _i: int) -> None:
        self._user_picked = True

    def _board_changed(self, *_args) -> None:
        key = self.board()
        avr = key == SIM or BOARDS[key].avr
        self.offline.setEnabled(key != SIM and avr)
        self.offline.setChecked(avr)
        self.port_box.setEnabled(key != SIM)
        self.flash_button.setText("Start simulator" if key == SIM else "Flash")

    def poll_ports(self) -> None:
        """List serial ports in a worker (pyserial only: fast enough to repeat every 2 s)."""
        if self._poll_task is not None:
            return
        lister = self.list_boards
        if lister is None:
            from bingo_studio.firmware.ports import list_boards as lister

        def done(found) -> None:
            self._poll_task = None
            if [b.to_dict() for b in found] != [b.to_dict() for b in self.studio.ports]:
                self.studio.set_ports(found)

        def failed(msg: str) -> None:
            self._poll_task = None
            self.detected.setText(f"Cannot list serial ports: {msg}")

        self._poll_task = run_task(lambda _s: lister(use_pio=False), done, failed)

    def polling(self) -> bool:
        return self._poll_task is not None

    def _show_ports(self) -> None:
        ports = self.studio.ports
        current = self.port_box.currentData()
        self.port_box.clear()
        for b in ports:
            self.port_box.addItem(b.label(), b.port)
        i = self.port_box.findData(current)
        if i >= 0:
            self.port_box.setCurrentIndex(i)
        boards = [b for b in ports if b.candidates]
        new = [b for b in boards if b.port not in self._known_ports]
        self._known_ports = {b.port for b in ports}
        if new:
            b = new[0]
            self.port_box.setCurrentIndex(self.port_box.findData(b.port))
            if not self._user_picked and self.board() == SIM:
                self.select_board(b.board)
        parts = []
        sim = self.studio.simulator
        if sim is not None:
            parts.append(f"Simulated Uno running on {sim.port}.")
        if boards:
            parts.append("Found: " + "; ".join(b.label() for b in boards) + ".")
        elif ports:
            parts.append("Serial ports found, but no known board: pick the port yourself.")
        else:
            parts.append(
                "No board plugged in. Plug one in over USB (a charge-only cable shows nothing), "
                "or use the Simulated Uno."
            )
        self.detected.setText(" ".join(parts))

    # -- export, build, flash ------------------------------------------------------------------------
    def busy(self) -> bool:
        return self.proc is not None or not self.build_button.isEnabled()

    def start(self, action: str) -> None:
        """action: 'build' or 'flash' (flash on the Simulated Uno = build, then start the simulator)."""
        if self.busy():
            return
        st = self.studio
        if st.run is None or st.plan is None:
            return self._finish(False, "Train a model and wait for its pruning curve first (steps 2 and 3).")
        key = self.board()
        board = "uno" if key == SIM else key
        port = None
        if action == "flash" and key != SIM:
            port = self.port_box.currentData()
            if not port and board != "pico":
                return self._finish(
                    False,
                    f"No {BOARDS[board].title} found: plug it in over USB and wait for it to "
                    "appear in the port list.",
                )
        if action == "flash":
            held = port if key != SIM else (st.simulator.port if st.simulator is not None else "")
            if held:
                self.port_needed.emit(held)
        offline = key == SIM or (self.offline.isChecked() and BOARDS[board].avr)
        pio_action = "build" if (action == "build" or key == SIM) else "upload"
        out = st.work_dir / f"firmware-{board}"
        self._set_busy(True)
        self.log.clear()
        self._lines = []
        self.result.setText(f"Exporting the model pruned to {st.floor:.1%} minimum accuracy...")
        run, method, floor = st.run, st.method, st.floor

        def work(_state):
            ex, q, result, command = export_firmware(run, method, floor, board, out, offline, pio_action)
            argv, env = (
                command(ex.project_dir, board, offline=offline)
                if pio_action == "build"
                else command(ex.project_dir, board, offline=offline, port=port)
            )
            return ex, q, result, argv, env

        def done(r) -> None:
            ex, q, result, argv, env = r
            st.set_firmware(ex, q)
            st.dirty = True
            self._append(ex.summary)
            if not ex.fits:
                self._append(
                    "[bingo-studio] the model does not fit this board: the build will tell by how much"
                )
            self._context_port = port
            self._run_pio(action, key, board, ex.project_dir, argv, env)

        run_task(work, done, lambda m: self._finish(False, m))

    def _run_pio(self, action: str, key: str, board: str, project: Path, argv: list[str], env: dict) -> None:
        self._stop_reason = ""
        self._partial = ""
        self._context = (action, key, board, project)
        self.steps.setText("Starting PlatformIO...")
        self.result.setText(
            f"{'Building' if action == 'build' or key == SIM else 'Flashing'} for {BOARDS[board].title}..."
        )
        proc = QProcess(self)
        penv = QProcessEnvironment()
        for k, v in env.items():
            penv.insert(k, v)
        proc.setProcessEnvironment(penv)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        proc.setWorkingDirectory(str(project))
        proc.readyReadStandardOutput.connect(self._read_output)
        proc.finished.connect(self._pio_finished)
        proc.errorOccurred.connect(self._pio_error)
        self.proc = proc
        self._append("$ " + " ".join(argv))
        proc.start(argv[0], argv[1:])

    def _read_output(self) -> None:
        from bingo_studio.firmware.platformio import detect_download

        if self.proc is None:
            return
        text = self._partial + bytes(self.proc.readAllStandardOutput()).decode("utf-8", "replace")
        lines = text.replace("\r", "\n").split("\n")
        self._partial = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            self._append(line)
            if line.startswith(STEP_WORDS):
                self.steps.setText(
                    f"{sum(ln.startswith(STEP_WORDS) for ln in self._lines)} steps · {line[:70]}"
                )
            what = detect_download(line)
            if what and self._probe_task is None:
                self._probe_download(what)

    def _probe_download(self, what: str) -> None:
        """PlatformIO starts a download: check the registry answers, else stop it with a plain reason
        (instead of a minute of silent retries)."""
        from bingo_studio.firmware.platformio import download_needed_message, registry_reachable

        self.steps.setText(f"PlatformIO is downloading {what} (first time only)...")
        proc = self.proc

        def verdict(reachable) -> None:
            self._probe_task = None
            if not reachable and self.proc is proc and proc is not None:
                self._stop_reason = download_needed_message(what)
                proc.kill()

        self._probe_task = run_task(lambda _s: registry_reachable(), verdict, lambda _m: verdict(False))
        QTimer.singleShot(PROBE_MS, lambda: self._probe_task is not None and verdict(False))

    def cancel(self) -> None:
        if self.proc is not None:
            self._stop_reason = "Cancelled"
            self.proc.kill()

    def _pio_error(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.proc is not None:
            self.proc = None
            self._finish(False, "Cannot start PlatformIO: is it installed (pip install platformio)?")

    def _pio_finished(self, code: int, status) -> None:
        from bingo_studio.firmware.platformio import LOG_DIR_NAME, explain_failure, parse_size

        if self.proc is None:
            return
        self._read_output()
        if self._partial.strip():
            self._append(self._partial)
        self.proc.deleteLater()
        self.proc = None
        action, key, board, project = self._context
        text = "\n".join(self._lines)
        env_name = BOARDS[board].env
        log_path = (
            project
            / LOG_DIR_NAME
            / f"{'build' if action == 'build' or key == SIM else 'upload'}-{env_name}.log"
        )
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(text + "\n")
        ok = code == 0 and status == QProcess.ExitStatus.NormalExit and not self._stop_reason
        if not ok:
            reason = self._stop_reason or explain_failure(text)
            return self._finish(False, f"{reason} (full log: {log_path})")
        size = parse_size(text)
        sized = ""
        if size:
            sized = f": flash {size.flash_used:,} of {size.flash_total:,} B ({size.flash_percent:.0f}%)"
            if size.ram_used is not None:
                sized += f", RAM {size.ram_used:,} of {size.ram_total:,} B"
        elf = project / ".pio" / "build" / env_name / "firmware.elf"
        self.studio.elf = elf if elf.is_file() else None
        if key == SIM and action == "flash":
            self._append(f"[bingo-studio] built{sized}; starting the simulated Uno")
            return self._start_simulator(elf)
        if action == "flash":
            self.studio.set_device_port(self._context_port)
        verb = "Built" if action == "build" else "Flashed"
        after = (
            " Next: step 5, Test on device." if action == "flash" else " Press Flash to put it on the board."
        )
        self._finish(True, f"{verb} for {BOARDS[board].title}{sized}.{after}")

    def _start_simulator(self, elf: Path) -> None:
        from bingo_studio.firmware.simulator import SimulatedUno

        self.studio.set_simulator(None)

        def work(_state):
            sim = SimulatedUno(elf)
            sim.start()
            return sim

        def done(sim) -> None:
            self.studio.set_simulator(sim)
            self._finish(
                True, f"The simulated Uno runs the firmware on {sim.port}. Next: step 5, Test on device."
            )

        run_task(work, done, lambda m: self._finish(False, m))

    def _finish(self, ok: bool, message: str) -> None:
        self.message = message
        color = "#1a7f37" if ok else "#c62828"
        self.result.setText(f"<span style='color:{color}'>{message}</span>")
        self.steps.setText("")
        self._set_busy(False)
        self.studio.status.emit(message)

    def _set_busy(self, on: bool) -> None:
        self.build_button.setEnabled(not on)
        self.flash_button.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        self.board_box.setEnabled(not on)
        self.progress.setRange(0, 0 if on else 1)  # busy indicator while PlatformIO works
        self.progress.setValue(0)
        self.progress.setTextVisible(False)

    def _append(self, line: str) -> None:
        self._lines.append(line)
        self.log.appendPlainText(line)

    def shutdown(self) -> None:
        self.poll_timer.stop()
        if self.proc is not None:
            self._stop_reason = "Cancelled"
            self.proc.kill()
            self.proc.waitForFinished(3000)

    def state(self) -> dict:
        return {"board": self.board(), "offline": self.offline.isChecked()}

    def restore(self, s: dict) -> None:
        if s.get("board"):
            self.select_board(s["board"])
            self._user_picked = True
        if "offline" in s and self.offline.isEnabled():
            self.offline.setChecked(bool(s["offline"]))
