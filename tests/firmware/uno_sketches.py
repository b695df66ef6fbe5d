"""Small Arduino projects and shared, once-per-session folders for the build/flash/simulator tests.

Everything lives under one temporary folder: the PlatformIO core (PLATFORMIO_CORE_DIR), the
simavr harness and the projects, so nothing is written to the user's home and nothing downloads.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from bingo_studio.firmware.local_platform import missing_tools
from bingo_studio.firmware.platformio import run_build
from bingo_studio.firmware.simulator import build_harness

# Debian packages: gcc-avr avr-libc arduino-core-avr avrdude (builds), simavr libsimavr-dev + gcc (simulator)
AVR_MISSING = bool(missing_tools())
SIMAVR_MISSING = AVR_MISSING or shutil.which("gcc") is None or not Path("/usr/include/simavr/sim_avr.h").is_file()

# Echoes lines as "got <line>" ("t" answers "ms <millis()>"), and brackets a fixed loop with the
# GPIOR0 markers the simulator counts cycles between (1/2 around compute, interrupts off; 3 = done).
ECHO_SKETCH = r"""
#include <Arduino.h>
static char buf[64];
static uint8_t n = 0;
void setup() { Serial.begin(115200); Serial.println("ready echo 1"); }
void loop() {
  while (Serial.available()) {
    char c = Serial.read();
    if (c == '\n') {
      buf[n] = 0; n = 0;
      noInterrupts(); GPIOR0 = 1;
      volatile long s = 0; for (int i = 0; i < 100; i++) s += i;
      GPIOR0 = 2; interrupts();
      GPIOR0 = 3;
      if (buf[0] == 't' && buf[1] == 0) { Serial.print("ms "); Serial.println(millis()); }
      else { Serial.print("got "); Serial.println(buf); }
    } else if (n < 63) {
      buf[n++] = c;
    }
  }
}
"""

UNO_INI = """[env:uno]
platform = atmelavr
board = uno
framework = arduino
"""


@functools.cache
def session_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bingo-fw-tests-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def core_dir() -> Path:
    return session_dir() / "pio-core"


def make_project(name: str, source: str, ini: str = UNO_INI) -> Path:
    project = session_dir() / name
    (project / "src").mkdir(parents=True, exist_ok=True)
    (project / "platformio.ini").write_text(ini)
    (project / "src" / "main.cpp").write_text(source)
    return project


@functools.cache
def built_echo() -> Path:
    """The echo sketch built offline for the Uno (once per session); returns the project folder."""
    project = make_project("echo", ECHO_SKETCH)
    result = run_build(project, "uno", offline=True, core_dir=core_dir())
    assert result.ok, result.reason
    return project


@functools.cache
def harness() -> Path:
    return build_harness(session_dir() / "simavr")


@functools.cache
def digits_run() -> Path:
    """A short real training run on digits, pruned to a floor and saved like `train` + `prune`.

    Global magnitude pruning and no BINGO searches keep it to seconds: these tests are about the
    firmware, which only sees the masks.
    """
    from bingo_studio.config import RunConfig, ScoringConfig, TrainConfig
    from bingo_studio.data import load_dataset
    from bingo_studio.pruning.methods import prune_run
    from bingo_studio.runs import save_run
    from bingo_studio.training import train

    cfg = RunConfig(train=TrainConfig(epochs=4, lr=3e-3), scoring=ScoringConfig(searches_per_step=0))
    run = train(cfg, load_dataset(cfg.dataset))
    path = session_dir() / "digits-run"
    save_run(run, path)
    run.path = path
    prune_run(run, "gmp", run.metrics["dense_val_accuracy"] - 0.03)
    return path


@functools.cache
def digits_project() -> Path:
    """The digits run exported for the Uno (exact cycle counts) and built offline."""
    from bingo_studio.deploy.export import export_run

    result = export_run(digits_run(), "uno", session_dir() / "digits-uno", exact_cycles=True)
    build = run_build(result.project_dir, "uno", offline=True, core_dir=core_dir())
    assert build.ok, build.reason
    return result.project_dir
