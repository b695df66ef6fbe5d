"""Arduino framework from Debian's arduino-core-avr: the core and the board's pin variant."""

import os
import sys
from os.path import isdir, join

from SCons.Script import DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()

CORE_ROOT = os.environ.get("BINGO_ARDUINO_AVR_DIR", "/usr/share/arduino/hardware/arduino/avr")
core_dir = join(CORE_ROOT, "cores", board.get("build.core", "arduino"))
variant_dir = join(CORE_ROOT, "variants", board.get("build.variant", "standard"))
if not isdir(core_dir):
    sys.stderr.write(
        f"Error: the Arduino AVR core is missing at {core_dir} (install the Debian package arduino-core-avr)\n"
    )
    env.Exit(1)

env.Append(
    CPPDEFINES=[
        ("ARDUINO", 10807),
        "ARDUINO_ARCH_AVR",
        "ARDUINO_" + board.get("build.board", "AVR_UNO"),
        # Debian 12's core does not compile under gcc-avr 5.4 without it.
        ("DECIMAL_DIG", "__DECIMAL_DIG__"),
    ],
    CPPPATH=[core_dir, variant_dir],
)

env.Prepend(
    LIBS=[env.BuildLibrary(join("$BUILD_DIR", "FrameworkArduino"), core_dir)]
)
