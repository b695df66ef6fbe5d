"""A serial port owned by one worker thread (pyserial; QtSerialPort is not in PySide6-Essentials).

Inputs: ``open(port, baud)``, ``send(text)``, ``start_job(job)`` (``job(reader, state)`` run in the
serial thread on the open port, e.g. deploy.device_test.run_test_set), ``close()``.
Outputs (signals): ``opened(port)``, ``closed(reason)`` (reason is "" when the user disconnected,
else a plain sentence: unplugged, reset...), ``job_progress``, ``job_done``, ``job_failed``.
Received bytes are not signalled one by one: they collect in a capped buffer that the console
drains on a timer (``take()``), so a board that floods the port cannot freeze the window.
"""

from __future__ import annotations

import queue
import threading

from PySide6.QtCore import QObject, Signal

from bingo_studio.errors import UserError
from bingo_studio.firmware.protocol_client import LineReader, open_port
from bingo_studio.training.task import TaskCancelled, TaskState

RX_CAP = 64 * 1024  # bytes kept between two drains; older bytes are dropped (and counted)


class _Relay(QObject):
    opened = Signal(str)
    closed = Signal(str)
    job_progress = Signal(object)
    job_done = Signal(object)
    job_failed = Signal(str)


class SerialLink(QObject):
    opened = Signal(str)
    closed = Signal(str)
    job_progress = Signal(object)
    job_done = Signal(object)
    job_failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._relay = _Relay()
        for name in ("opened", "closed", "job_progress", "job_done", "job_failed"):
            getattr(self._relay, name).connect(getattr(self, name))
        self._lock = threading.Lock()
        self._rx = bytearray()
        self.dropped = 0
        self._out: queue.Queue[bytes] = queue.Queue()
        self._jobs: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.job_state: TaskState | None = None
        self.port = ""

    # -- control (Qt thread) -----------------------------------------------------------------------
    def is_open(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def open(self, port: str, baud: int = 115200) -> None:
        if self.is_open():
            return
        self._stop.clear()
        self.port = port
        self._thread = threading.Thread(target=self._loop, args=(port, baud), name="serial", daemon=True)
        self._thread.start()

    def close(self, wait: float = 2.0) -> None:
        if self.job_state is not None:
            self.job_state.cancel()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)

    def send(self, text: str) -> None:
        self._out.put(text.encode("ascii", "replace") + b"\n")

    def start_job(self, job) -> TaskState:
        """Run ``job(reader, state)`` in the serial thread; its result goes to job_done.
        Returns the job's TaskState (cancel() stops it between samples)."""
        state = TaskState(self._relay.job_progress.emit)
        self.job_state = state
        self._jobs.put((job, state))
        return state

    def cancel_job(self) -> None:
        if self.job_state is not None:
            self.job_state.cancel()

    def take(self) -> tuple[bytes, int]:
        """(bytes received since the last call, bytes dropped because the window fell behind)."""
        with self._lock:
            data, dropped = bytes(self._rx), self.dropped
            self._rx.clear()
            self.dropped = 0
        return data, dropped

    # -- the serial thread -------------------------------------------------------------------------
    def _push(self, data: bytes) -> None:
        with self._lock:
            self._rx += data
            if len(self._rx) > RX_CAP:
                cut = len(self._rx) - RX_CAP
                del self._rx[:cut]
                self.dropped += cut

    def _loop(self, port: str, baud: int) -> None:
        import serial

        try:
            ser = open_port(port, baud)
        except UserError as e:
            self._relay.closed.emit(str(e))
            return
        self._relay.opened.emit(port)
        reason = ""
        reader = LineReader(ser, self._push)
        try:
            while not self._stop.is_set():
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    job = None
                if job is not None:
                    self._run_job(job, reader)
                    continue
                while not self._out.empty():
                    ser.write(self._out.get_nowait())
                data = ser.read(ser.in_waiting or 1)
                if data:
                    self._push(data)
        except (serial.SerialException, OSError) as e:
            reason = (
                f"Lost the connection to {port}: the board was unplugged or reset ({e}). "
                "Plug it back in and press Connect."
            )
        finally:
            try:
                ser.close()
            except Exception:  # noqa: BLE001 - already gone with the device
                pass
            self._relay.closed.emit(reason)

    def _run_job(self, item, reader: LineReader) -> None:
        import serial

        job, state = item
        try:
            result = job(reader, state)
        except TaskCancelled:
            self._relay.job_failed.emit("Cancelled")
        except UserError as e:
            self._relay.job_failed.emit(str(e))
        except (serial.SerialException, OSError) as e:
            self._relay.job_failed.emit(f"The board stopped answering: {e}")
            raise
        except Exception as e:  # noqa: BLE001 - a bug must not kill the serial thread silently
            self._relay.job_failed.emit(f"{type(e).__name__}: {e}")
        else:
            self._relay.job_done.emit(result)
        finally:
            self.job_state = None
