"""Waits shared by the GUI tests (a module of its own: every test folder has a conftest.py, so
importing names from "conftest" depends on which folder pytest put on sys.path first).

``wait_until`` instead of ``qtbot.waitUntil``: the latter spins in ``QTest.qWait``, which in
PySide6 keeps Python's interpreter lock, so the worker threads under test (training, the curve,
the serial link) ran hundreds of times slower while a test waited for them. Here the test thread
processes Qt events, then sleeps, and the lock is free for the workers meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

LONG = 180_000  # ms: generous timeouts for a busy 2-core machine


def wait_until(predicate: Callable[[], object], timeout: int = LONG) -> None:
    """Process Qt events until ``predicate()`` is true; fail after ``timeout`` ms."""
    app = QApplication.instance()
    deadline = time.monotonic() + timeout / 1000
    while True:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} ms waiting until {predicate.__code__.co_name}")
        time.sleep(0.005)


def wait_plan(qtbot, w) -> None:
    wait_until(lambda: w.studio.plan is not None and w.prune_page.slider.isEnabled())
