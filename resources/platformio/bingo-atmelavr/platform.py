"""PlatformIO dev platform that builds for ATmega328P boards with the system's AVR toolchain.

Nothing is downloaded: the compiler, avr-libc, the Arduino core and avrdude come from Debian
packages (gcc-avr, avr-libc, arduino-core-avr, avrdude).
"""

import os

from platformio.public import PlatformBase

ARDUINO_AVR_DIR = os.environ.get("BINGO_ARDUINO_AVR_DIR", "/usr/share/arduino/hardware/arduino/avr")


class BingoatmelavrPlatform(PlatformBase):
    def get_lib_storages(self):
        # Debian's Arduino libraries (EEPROM, SPI, Wire, SoftwareSerial) for `#include` discovery.
        libs = os.path.join(ARDUINO_AVR_DIR, "libraries")
        return [dict(name="framework-arduino-avr-debian", path=libs)] if os.path.isdir(libs) else []
