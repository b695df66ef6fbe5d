"""The Deploy page says what fits the chosen target: no port advice for a simulator, how to put a
Pico in BOOTSEL mode, Cancel during export, and the Simulated Pico from the same target list."""

from __future__ import annotations

from gui_waits import wait_plan, wait_until

from bingo_studio.firmware.ports import DetectedBoard
from bingo_studio.firmware.uf2 import BOOTSEL_HELP
from bingo_studio.targets import TARGETS


def _ports(dp, found):
    wait_until(lambda: not dp.polling())
    dp.list_boards = lambda **_kw: found
    dp.poll_ports()
    # these ports, not the machine's own from the page's first poll
    wait_until(lambda: [dp.port_box.itemData(i) for i in range(dp.port_box.count())] == [b.port for b in found])


def test_simulators_get_no_port_advice_and_the_pico_gets_bootsel_help(qtbot, window):
    dp = window.deploy_page
    _ports(dp, [DetectedBoard("/dev/ttyBINGO_X", "some serial thing", 0x1234, 0x5678)])  # USB, unknown
    dp.select_board("sim")
    assert not dp.port_box.isEnabled()
    assert "pick the port" not in dp.detected.text() and "no board or port needed" in dp.detected.text()
    dp.select_board("uno")
    assert "pick the port yourself" in dp.detected.text()
    dp.select_board("pico")
    assert BOOTSEL_HELP in dp.detected.text()
    assert [dp.board_box.itemData(i) for i in range(dp.board_box.count())] == list(TARGETS)


def test_cancel_during_export_ends_the_task(qtbot, window, small_run):
    w = window
    dp = w.deploy_page
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    dp.select_board("sim")
    dp.start("build")
    dp.cancel()  # at once, while "Exporting..."
    wait_until(lambda: not dp.busy())
    assert "ancel" in dp.message, dp.message
    assert dp.build_button.isEnabled()


def test_simulated_pico_starts_and_answers_from_the_window(qtbot, window, small_run):
    w = window
    dp = w.deploy_page
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    dp.select_board("pico-sim")
    assert dp.flash_button.text() == "Start simulator"
    dp.start("flash")
    wait_until(lambda: not dp.busy())
    st = w.studio
    assert st.device is not None and st.device_target.key == "pico-sim", dp.message
    assert "simulated Pico runs the firmware" in dp.message
    cp = w.console_page
    w.tabs.setCurrentIndex(4)
    cp.toggle()
    wait_until(lambda: "info model=" in cp.transcript.toPlainText() or "ready" in cp.transcript.toPlainText())
    st.close_device()
