"""The generated platformio.ini's Pico env, checked offline by PlatformIO itself (`pio project config`).

Real Picos are built with PlatformIO's official `raspberrypi` platform, which needs a download:
here only its configuration is validated (the simulated Pico proves the C on the RP2040's core).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bingo_studio.firmware.project import platformio_ini


def test_pio_reads_the_pico_env(tmp_path):
    (tmp_path / "platformio.ini").write_text(platformio_ini(("pico", "uno")))
    proc = subprocess.run(
        [sys.executable, "-m", "platformio", "project", "config", "--json-output"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PLATFORMIO_CORE_DIR": str(tmp_path / "core")},
    )
    assert proc.returncode == 0, proc.stderr
    sections = {name: dict(options) for name, options in json.loads(proc.stdout)}
    assert sections["platformio"]["default_envs"] == ["pico"]
    pico = sections["env:pico"]
    assert (pico["platform"], pico["board"], pico["framework"]) == ("raspberrypi", "pico", ["arduino"])
    assert pico["monitor_speed"] == 115200
