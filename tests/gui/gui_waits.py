"""Waits shared by the GUI tests (a module of its own: every test folder has a conftest.py, so
importing names from "conftest" depends on which folder pytest put on sys.path first)."""

LONG = 180_000  # ms: generous timeouts for a busy 2-core machine


def wait_plan(qtbot, w) -> None:
    qtbot.waitUntil(lambda: w.studio.plan is not None and w.prune_page.slider.isEnabled(), timeout=LONG)
