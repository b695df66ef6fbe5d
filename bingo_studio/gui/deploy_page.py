"""Step 4, Deploy: export the pruned model as firmware, build it and put it on the chosen target.

Inputs: Studio.run/plan/method/floor (the pruning chosen in step 3; its traced plan is reused), the
target picked here (bingo_studio.targets.TARGETS: boards and simulators), the port list (polled in
a worker by a QTimer, so plugging a board in shows up by itself).
Outputs: Studio.set_firmware(ExportResult), Studio.set_ports(...), Studio.set_device(...) after a
flash, ``port_needed(port)`` before flashing (the console lets go of it); ``message`` holds the
one-line outcome of the last action.

Export, build and flash are the engine's services (deploy.export_run, Target.build/flash, the same
calls as the CLI) run in a worker; PlatformIO's lines stream into the log pane as progress, and a
failure is the same one line the CLI prints.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
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

from bingo_studio.deploy.build import STEP_WORDS
from bingo_studio.gui import terms
from bingo_studio.gui.studio import Studio
from bingo_studio.gui.workers import TaskSlot
from bingo_studio.targets import TARGETS, Target

POLL_MS = 2000
NOTHING_YET = "Train and prune a model, then build its firmware here."
READY = "A trained model is ready: pick the board, then press Build, or put it on the board at once."


class DeployPage(QWidget):
    port_needed = Signal(str)  # about to flash this port: whoever holds it open (the console) lets go

    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.message = ""
        self.work = TaskSlot(self)  # export, build, flash
        self.polls = TaskSlot(self)  # listing serial ports
        self._steps = 0  # PlatformIO steps seen in this build
        self._known_ports: set[str] = set()
        self._user_picked = False
        self.built: tuple[str, str] | None = None  # (target key, export summary) of the last build
        self.list_boards = None  # replaced in tests; default: bingo_studio.firmware.ports.list_boards

        self.board_box = QComboBox()
        for key, target in TARGETS.items():
            self.board_box.addItem(target.title + ("" if target.usb else " (no board needed)"), key)
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
        self.result = QLabel(NOTHING_YET)
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
        studio.run_changed.connect(self._run_changed)
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
        """The chosen target's key."""
        return self.board_box.currentData()

    def target(self) -> Target:
        return TARGETS[self.board()]

    def select_board(self, key: str) -> None:
        self.board_box.setCurrentIndex(self.board_box.findData(key))

    def _board_picked_by_user(self, _i: int) -> None:
        self._user_picked = True

    def _board_changed(self, *_args) -> None:
        t = self.target()
        self.offline.setEnabled(t.offline_possible and not t.offline_forced)
        self.offline.setChecked(t.offline_possible)
        self.port_box.setEnabled(t.usb)
        self.flash_button.setText(t.flash_verb)
        self.board_box.setToolTip(getattr(t, "help", "") or terms.SIMULATED_UNO)
        self._show_ports()

    def poll_ports(self) -> None:
        """List serial ports in a worker (pyserial only: fast enough to repeat every 2 s)."""
        if self.polls.busy():
            return
        lister = self.list_boards
        if lister is None:
            from bingo_studio.firmware.ports import list_boards as lister

        def done(found) -> None:
            if [b.to_dict() for b in found] != [b.to_dict() for b in self.studio.ports]:
                self.studio.set_ports(found)

        def failed(msg: str) -> None:
            self.detected.setText(f"Cannot list serial ports: {msg}")

        self.polls.start(lambda _s: lister(use_pio=False), done, failed)

    def polling(self) -> bool:
        return self.polls.busy()

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
            if not self._user_picked and not self.target().usb:
                self.select_board(b.board)
        parts = []
        st = self.studio
        if st.device is not None:
            parts.append(f"{st.device_target.title} running on {st.device_port}.")
        if not self.target().usb:  # a simulator: no port to pick, so no port advice
            parts.append(f"The {self.target().title} runs on this computer: no board or port needed.")
        elif boards:
            parts.append("Found: " + "; ".join(b.label() for b in boards) + ".")
        elif any(b.usb for b in ports):  # a built-in port like /dev/ttyS0 is not a board
            parts.append("USB serial ports found, but no known board: pick the port yourself.")
        else:
            parts.append(
                "No board plugged in. Plug one in over USB (a charge-only cable shows nothing), "
                "or use the Simulated Uno."
            )
        if getattr(self.target(), "help", ""):  # e.g. the Pico: how to put it in BOOTSEL mode
            parts.append(self.target().help)
        self.detected.setText(" ".join(parts))

    def _run_changed(self) -> None:
        """A new model: what was built was another model's firmware (a reopened project's, set
        before its run, stays: it is this run's)."""
        st = self.studio
        if st.run is None or self.busy() or (self.built is not None and not st.dirty):
            return
        self.built, self.message = None, ""
        self.result.setText(READY)

    # -- export, build, flash ------------------------------------------------------------------------
    def busy(self) -> bool:
        return self.work.busy()

    def start(self, action: str) -> None:
        """action: 'build' or 'flash' (put the firmware on the target: upload, or start a simulator)."""
        if self.busy():
            return
        st = self.studio
        if st.run is None or st.plan is None:
            return self._finish(False, "Train a model and wait for its pruning curve first (steps 2 and 3).")
        target = self.target()
        port = self.port_box.currentData() if target.usb else None
        if action == "flash":
            if target.needs_port and not port:
                return self._finish(
                    False,
                    f"No {target.title} found: plug it in over USB and wait for it to appear in the port list.",
                )
            held = port or st.device_port
            if held:
                self.port_needed.emit(held)
        offline = target.offline_forced or (self.offline.isChecked() and target.offline_possible)
        out = st.work_dir / f"firmware-{target.board.key}"
        self._set_busy(True)
        self.log.clear()
        self._steps = 0
        self.result.setText(f"Exporting the model pruned to {st.floor:.1%} minimum accuracy...")
        run, plan, method, floor = st.run, st.plan, st.method, st.floor

        def work(state):
            from bingo_studio.deploy.export import export_run
            from bingo_studio.training.task import Progress

            ex = export_run(run, target.board.key, out, min_accuracy=floor, method=method, plan=plan)
            state.check()  # Cancel during "Exporting..." ends here
            state.report(Progress("export", 0.0, ex.summary))
            if action == "build":
                return ex, None, target.build(ex.project_dir, offline=offline, state=state)
            flashed = target.flash(ex.project_dir, port=port, offline=offline, state=state)
            return ex, flashed, flashed.result

        def done(r) -> None:
            ex, flashed, result = r
            st.set_firmware(ex)
            st.dirty = True
            self.built = (self.board(), ex.summary)
            if flashed is None:
                return self._finish(True, f"{target.build_text(result)}. Press {target.flash_verb} next.")
            st.set_device(target, flashed)
            self._finish(True, f"{target.flashed_text(flashed)}. Next: step 5, Test on device.")

        self.work.start(work, done, lambda m: self._finish(False, m), self._progress)

    def _progress(self, p) -> None:
        line = p.message
        if not line.strip():
            return
        self._append(line)
        if line.startswith(STEP_WORDS):
            self._steps += 1
            self.steps.setText(f"{self._steps} steps · {line[:70]}")

    def cancel(self) -> None:
        self.work.stop()  # PlatformIO is stopped; the outcome ("Cancelled") still arrives

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
        self.log.appendPlainText(line)

    def reset(self) -> None:
        """A new project: nothing built yet (a build still running is dropped)."""
        self.work.cancel()
        self._set_busy(False)
        self.log.clear()
        self.message = ""
        self.built = None
        self.result.setText(NOTHING_YET)
        self.steps.setText("")

    def shutdown(self) -> None:
        self.poll_timer.stop()
        self.work.cancel()
        self.polls.cancel()

    def state(self) -> dict:
        s = {"board": self.board(), "offline": self.offline.isChecked()}
        if self.built is not None:
            s["built"], s["built_summary"] = self.built
        return s

    def restore(self, s: dict) -> None:
        if s.get("board"):
            self.select_board(s["board"])
            self._user_picked = True
        if "offline" in s and self.offline.isEnabled():
            self.offline.setChecked(bool(s["offline"]))
        self._show_built_earlier(s.get("built"), s.get("built_summary", ""))

    def _show_built_earlier(self, key: str | None, summary: str) -> None:
        """A reopened project whose firmware folder came back into the session: say so, and what next
        (the device itself cannot come back: a board may be unplugged, a simulator was stopped)."""
        target = TARGETS.get(key) if key else None
        if target is None or not (self.studio.work_dir / f"firmware-{target.board.key}").is_dir():
            return
        self.built = (key, summary)
        self.message = (
            f"Firmware for {target.title} built earlier: {summary.rstrip('.')}; press {target.flash_verb} "
            "to put it on the board."
        )
        self.result.setText(f"<span style='color:#1a7f37'>{self.message}</span>")
