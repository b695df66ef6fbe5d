"""Step 5, Test on device: a serial console with test-sample, test-set and Serial Plotter views.

Inputs: Studio.ports (plus the port of a simulator the studio runs; the port last flashed is
offered first), Studio.device_target (how fast that target takes lines), the trained run's dataset
(test split), Studio.qmodel (the int8 model the board runs, for the host's answers).
Outputs: none to other steps; ``last_test`` holds the last test-set result (a
deploy.device_test.DeviceTestResult), ``last_sample`` the last single-sample answer (for tests).
The tests on the device are deploy.device_test's, run in the serial thread (gui.serial_link).
"""

from __future__ import annotations

import codecs
import re
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bingo_studio.deploy.device_test import host_inputs, run_sample, run_test_set
from bingo_studio.gui import terms
from bingo_studio.gui.serial_link import SerialLink
from bingo_studio.gui.studio import Studio
from bingo_studio.gui.train_page import LAYER_COLORS, make_plot
from bingo_studio.targets import PACE_US

DRAIN_MS = 50
MAX_APPEND = 16 * 1024  # characters added to the transcript per drain
MAX_LINES = 2000
PLOT_POINTS = 500
BAUDS = ("115200", "57600", "38400", "19200", "9600")
_SPLIT = re.compile(r"[ \t,]+")


def plotter_values(line: str) -> dict[str, float] | None:
    """Arduino Serial Plotter format: numbers separated by space/tab/comma, optionally label:value."""
    tokens = [t for t in _SPLIT.split(line.strip()) if t]
    if not tokens:
        return None
    out: dict[str, float] = {}
    for i, tok in enumerate(tokens):
        name, _, value = tok.rpartition(":")
        try:
            out[name or f"value {i + 1}"] = float(value)
        except ValueError:
            return None
    return out


class ConsolePage(QWidget):
    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.studio = studio
        self.link = SerialLink(self)
        self.last_test = None  # deploy.device_test.DeviceTestResult
        self.last_host_accuracy: float | None = None
        self.last_sample: dict | None = None
        self._job = ""
        self._partial = ""
        self._series: dict[str, deque] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._x = 0
        self._rng = np.random.default_rng()

        self.port_box = QComboBox()
        self.port_box.setMinimumWidth(260)
        self.other_ports = QCheckBox("other ports")
        self.other_ports.setToolTip(
            "Also list serial ports that are not USB devices (e.g. /dev/ttyS0, COM1): built-in or "
            "virtual ports, where a board is rarely found"
        )
        self.other_ports.toggled.connect(lambda _on: self.refresh_ports(False))
        self.baud_box = QComboBox()
        self.baud_box.addItems(BAUDS)
        self.baud_box.setToolTip("Serial speed; the BINGO firmware uses 115200")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setToolTip("Open the serial port (Ctrl+K)")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        top = QHBoxLayout()
        for w in (QLabel("Port:"), self.port_box, self.other_ports, QLabel("Baud:"), self.baud_box,
                  self.connect_button):
            top.addWidget(w)
        top.addStretch(1)

        self.transcript = QPlainTextEdit()
        self.transcript.setReadOnly(True)
        self.transcript.setMaximumBlockCount(MAX_LINES)
        self.transcript.setFont(QFont("monospace", 9))
        self.transcript.setPlaceholderText("What the board sends appears here.")
        self.line = QLineEdit()
        self.line.setPlaceholderText(
            "Type a line to send (e.g. info, or comma-separated features) and press Enter"
        )
        self.send_button = QPushButton("Send")
        send_row = QHBoxLayout()
        send_row.addWidget(self.line, 1)
        send_row.addWidget(self.send_button)
        console = QGroupBox("Serial console")
        cl = QVBoxLayout(console)
        cl.addWidget(self.transcript, 1)
        cl.addLayout(send_row)

        self.sample_button = QPushButton("Send test sample")
        self.sample_button.setToolTip("Send one random sample of the test split and compare the answers")
        self.sample_result = QLabel("")
        self.sample_result.setWordWrap(True)
        self.testset_button = QPushButton("Run test set")
        self.testset_button.setToolTip("Send every test sample and measure accuracy and speed on the board")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        self.confusion = QTableWidget(0, 0)
        self.confusion.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confusion.setToolTip("Rows: true class; columns: the board's answer. The diagonal is correct.")
        self.plot = make_plot("Serial Plotter: lines of numbers the board prints", "value", "line")
        self.plot.setToolTip(terms.SERIAL_PLOTTER)
        self.plot.setMinimumHeight(150)

        tests = QGroupBox("Test the model on the board")
        tl = QVBoxLayout(tests)
        row = QHBoxLayout()
        row.addWidget(self.sample_button)
        row.addWidget(self.testset_button)
        row.addWidget(self.cancel_button)
        tl.addLayout(row)
        tl.addWidget(self.sample_result)
        tl.addWidget(self.progress)
        tl.addWidget(self.test_result)
        tl.addWidget(QLabel("Confusion matrix (rows: true class, columns: board's answer):"))
        tl.addWidget(self.confusion, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(console, 3)
        ll.addWidget(self.plot, 2)
        split.addWidget(left)
        split.addWidget(tests)
        split.setSizes([640, 560])
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self.drain)
        self.connect_button.clicked.connect(self.toggle)
        self.send_button.clicked.connect(self._send_line)
        self.line.returnPressed.connect(self._send_line)
        self.sample_button.clicked.connect(self.send_test_sample)
        self.testset_button.clicked.connect(self.run_test_set)
        self.cancel_button.clicked.connect(self.link.cancel_job)
        self.link.opened.connect(self._opened)
        self.link.closed.connect(self._closed)
        self.link.job_progress.connect(self._job_progress)
        self.link.job_done.connect(self._job_done)
        self.link.job_failed.connect(self._job_failed)
        studio.ports_changed.connect(lambda: self.refresh_ports(False))
        studio.device_changed.connect(lambda: self.refresh_ports(True))
        self._set_connected(False)

    # -- ports ---------------------------------------------------------------------------------------
    def refresh_ports(self, prefer_device: bool = False) -> None:
        """Fill the port list; keep the user's choice unless a board was just flashed (then offer it).
        Only USB ports and the running simulator's are offered unless "other ports" is ticked: a
        built-in port like /dev/ttyS0 is not a board."""
        current = self.port_box.currentData()
        entries = []
        st = self.studio
        if st.device is not None and st.device_port:
            entries.append((f"{st.device_port}  {st.device_target.title}", st.device_port))
        for b in self.studio.ports:
            if b.usb or self.other_ports.isChecked() or b.port == st.device_port:
                entries.append((b.label(), b.port))
        self.port_box.blockSignals(True)
        self.port_box.clear()
        for text, port in entries:
            self.port_box.addItem(text, port)
        i = self.port_box.findData(current)
        flashed = self.port_box.findData(self.studio.device_port) if prefer_device else -1
        self.port_box.setCurrentIndex(flashed if flashed >= 0 else max(i, 0))
        self.port_box.blockSignals(False)

    def select_port(self, port: str) -> None:
        self.refresh_ports()
        i = self.port_box.findData(port)
        if i >= 0:
            self.port_box.setCurrentIndex(i)

    # -- connection ----------------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.link.is_open():
            self.link.close()
        else:
            self.connect_port()

    def connect_port(self, port: str | None = None) -> None:
        port = port or self.port_box.currentData()
        if not port:
            self.message.setText(
                "<span style='color:#c62828'>No board: plug one in over USB, or start the "
                "Simulated Uno in step 4 (tick \"other ports\" for ports that are not USB).</span>"
            )
            return
        self.message.setText(f"Connecting to {port}...")
        self.connect_button.setEnabled(False)
        self.link.open(port, int(self.baud_box.currentText()))

    def disconnect_port(self) -> None:
        self.link.close()

    def _opened(self, port: str) -> None:
        self._set_connected(True)
        self.message.setText(f"Connected to {port}.")
        self.timer.start()

    def _closed(self, reason: str) -> None:
        self.drain()
        self.timer.stop()
        self._set_connected(False)
        if reason:
            self.message.setText(f"<span style='color:#c62828'>{reason}</span>")
        else:
            self.message.setText("Disconnected.")

    def _set_connected(self, on: bool) -> None:
        self.connect_button.setEnabled(True)
        self.connect_button.setText("Disconnect" if on else "Connect")
        for w in (self.line, self.send_button, self.sample_button, self.testset_button):
            w.setEnabled(on and not self._job)
        self.port_box.setEnabled(not on)
        self.other_ports.setEnabled(not on)
        self.baud_box.setEnabled(not on)
        if not on:
            self._job = ""
        self.cancel_button.setEnabled(on and self._job == "test set")

    # -- transcript and plotter (Qt thread, on a timer) ----------------------------------------------
    def drain(self) -> None:
        data, dropped = self.link.take()
        if not data and not dropped:
            return
        # labels are UTF-8: a character split between two reads is completed by the next one
        text = self._utf8.decode(data).replace("\r", "")
        if dropped:
            text = (
                f"\n[... {dropped:,} bytes skipped: the board sends faster than the window can show ...]\n"
                + text
            )
        if len(text) > MAX_APPEND:
            skipped = len(text) - MAX_APPEND
            text = f"\n[... {skipped:,} characters skipped ...]\n" + text[-MAX_APPEND:]
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self.transcript.setTextCursor(cursor)
        self.transcript.ensureCursorVisible()
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()[-4096:]
        self._plot_lines(lines[-PLOT_POINTS:])

    def _plot_lines(self, lines: list[str]) -> None:
        changed = False
        for line in lines:
            values = plotter_values(line)
            if not values:
                continue
            self._x += 1
            for name, v in values.items():
                series = self._series.setdefault(name, deque(maxlen=PLOT_POINTS))
                series.append((self._x, v))
            changed = True
        if not changed:
            return
        for i, (name, series) in enumerate(self._series.items()):
            curve = self._curves.get(name)
            if curve is None:
                curve = self.plot.plot(
                    [], [], name=name, pen=pg.mkPen(LAYER_COLORS[i % len(LAYER_COLORS)], width=2)
                )
                self._curves[name] = curve
            xs, ys = zip(*series)
            curve.setData(list(xs), list(ys))

    def plotted(self) -> dict[str, list[float]]:
        return {name: [v for _, v in s] for name, s in self._series.items()}

    def _send_line(self) -> None:
        text = self.line.text().strip()
        if text and self.link.is_open():
            self.link.send(text)
            self.line.clear()

    # -- tests on the board --------------------------------------------------------------------------
    def _start_job(self, kind: str, job) -> None:
        self._job = kind
        self._set_connected(True)
        self.link.start_job(job)

    def _test_data(self):
        """The trained run's dataset (the board runs that model), else the one loaded in step 1."""
        run = self.studio.run
        return run.get_dataset() if run is not None else self.studio.dataset

    def send_test_sample(self) -> None:
        ds = self._test_data()
        if ds is None:
            self.sample_result.setText("Load a dataset first (step 1).")
            return
        i = int(self._rng.integers(len(ds.y_test)))
        self._sample_index = i
        self.sample_result.setText(f"Sending test sample #{i}...")
        row, pace = ds.x_test[i], self._pace_us()
        self._start_job("sample", lambda reader, _state: run_sample(reader, row, pace))

    def run_test_set(self) -> None:
        ds = self._test_data()
        if ds is None:
            self.test_result.setText("Load a dataset first (step 1).")
            return
        self.progress.setValue(0)
        self.test_result.setText(f"Sending {len(ds.y_test)} test samples...")
        pace = self._pace_us()
        self._start_job("test set", lambda reader, state: run_test_set(reader, ds.x_test, ds.y_test, ds.n_classes,
                                                                       pace, state))

    def _pace_us(self) -> float:
        """How fast the target flashed on this port takes lines (an Uno computes while values
        arrive); an unknown board gets the careful pace."""
        st = self.studio
        if st.device_target is not None and self.link.port == st.device_port:
            return st.device_target.pace_us
        return PACE_US

    def host_predictions(self, x: np.ndarray) -> np.ndarray | None:
        """What this computer answers for the same inputs: the int8 model the board runs, if exported
        in this session, else the trained float model."""
        if self.studio.qmodel is not None:
            from bingo_studio.firmware.quantize import reference_predict

            return reference_predict(self.studio.qmodel, host_inputs(x))
        run, ds = self.studio.run, self._test_data()
        if run is None or ds is None:
            return None
        import torch

        with torch.no_grad():
            return run.model(torch.from_numpy(ds.normalize(x))).argmax(1).numpy()

    def _job_progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.test_result.setText(p.message)

    def _job_done(self, result) -> None:
        kind, self._job = self._job, ""
        self._set_connected(self.link.is_open())
        ds = self._test_data()
        if kind == "sample":
            i = self._sample_index
            host = self.host_predictions(ds.x_test[i : i + 1])
            names = ds.class_names
            true = names[int(ds.y_test[i])]
            board = names[result["cls"]] if 0 <= result["cls"] < len(names) else str(result["cls"])
            host_text = names[int(host[0])] if host is not None else "-"
            ok = "&#10003;" if board == true else "&#10007;"
            self.last_sample = {
                **result,
                "index": i,
                "true": int(ds.y_test[i]),
                "host": None if host is None else int(host[0]),
            }
            us = f" in {result['us']:,} µs" if result.get("us") is not None else ""
            self.sample_result.setText(
                f"Test sample #{i}: board says <b>{board}</b>{us} {ok} · true label "
                f"<b>{true}</b> · this computer says <b>{host_text}</b>"
            )
            return
        host = self.host_predictions(ds.x_test)
        host_acc = float((host == ds.y_test).mean()) if host is not None else None
        self.last_test, self.last_host_accuracy = result, host_acc
        self.progress.setValue(1000)
        lat = f"mean latency {result.mean_us / 1000:.2f} ms" if result.mean_us is not None else "no latency"
        host_text = f"this computer: {host_acc:.2%}" if host_acc is not None else ""
        err = f" · {len(result.errors)} errors" if result.errors else ""
        self.test_result.setText(
            f"On the board: <b>{result.accuracy:.2%}</b> of {result.n} test samples "
            f"correct ({host_text}) · {lat}{err}"
        )
        self._show_confusion(result.confusion, ds.class_names)

    def _show_confusion(self, m: np.ndarray, names: list[str]) -> None:
        n = len(names)
        self.confusion.setRowCount(n)
        self.confusion.setColumnCount(n)
        self.confusion.setHorizontalHeaderLabels(names)
        self.confusion.setVerticalHeaderLabels(names)
        peak = max(1, int(m.max()))
        for r in range(n):
            for c in range(n):
                item = QTableWidgetItem(str(int(m[r, c])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                shade = int(255 - 150 * m[r, c] / peak)
                item.setBackground(
                    QColor(shade, 255 if r == c else shade, shade) if m[r, c] else QColor("white")
                )
                self.confusion.setItem(r, c, item)
        self.confusion.resizeColumnsToContents()

    def _job_failed(self, message: str) -> None:
        kind, self._job = self._job, ""
        self._set_connected(self.link.is_open())
        target = self.sample_result if kind == "sample" else self.test_result
        target.setText(f"<span style='color:#c62828'>{message}</span>")

    def state(self) -> dict:
        return {"baud": self.baud_box.currentText()}

    def restore(self, s: dict) -> None:
        if s.get("baud") in BAUDS:
            self.baud_box.setCurrentText(s["baud"])
