"""The boards the studio builds for: PlatformIO ids, memory limits, USB ids and firmware overhead.

``overhead_*`` is what the generated firmware costs WITHOUT the model tables and activation
buffers: Arduino core, Serial, the line protocol and the sparse kernel. For the Uno/Nano it was
measured by building firmware_templates/main.cpp with Debian's avr-gcc 5.4 (flags of
shared/design/firmware.md) for several models and subtracting the generator's exact table sizes
(tests/firmware/test_size.py re-checks it against avr-size). The Pico's are those of the project's
own RP2040 image, measured with Debian's arm-none-eabi-gcc (tests/firmware/test_pico_size.py). The
ESP32 has no toolchain on this machine: its overhead is a typical figure of an Arduino sketch using
Serial, marked ``overhead_measured=False``; with megabytes of flash it never decides whether a
model fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bingo_studio.errors import UserError


@dataclass(frozen=True)
class Board:
    key: str  # product name: uno, nano, esp32, pico
    title: str
    env: str  # PlatformIO environment name in the generated platformio.ini
    platform: str  # PlatformIO platform
    board_id: str  # PlatformIO board id
    mcu: str
    clock_hz: int
    flash_bytes: int  # usable program flash (the Uno's bootloader already subtracted)
    ram_bytes: int
    # Firmware without the model, per weight format (the kernel differs: int8 vs float values).
    overhead_flash: dict[str, int] = field(default_factory=dict, hash=False)
    overhead_ram: int = 0
    overhead_measured: bool = False
    # RAM left free for the stack (call frames of the kernel, the protocol and the Arduino core).
    stack_reserve: int = 0
    ptr_bytes: int = 4  # pointer size: layer descriptors hold table addresses
    usb_ids: tuple[tuple[int, int], ...] = ()
    avr: bool = False
    tanh_flash: int = 0  # extra flash when the model uses tanh (libm's tanhf)


# Measured with avr-gcc 5.4.0 / avr-libc 2.0 / Debian arduino-core-avr 1.8.x (see module doc).
_AVR_FLASH_OVERHEAD = {"int8": 6349, "float32": 6498}  # int8: the integer kernel, see size.INT_KERNEL_FLASH
_AVR_RAM_OVERHEAD = 226
_AVR_TANH_FLASH = 630  # tanhf and its helpers from avr-libc (float32 firmware; int8 uses a table)

ARDUINO_USB = ((0x2341, 0x0043), (0x2341, 0x0001), (0x2341, 0x0243), (0x2A03, 0x0043))
CH340_USB = ((0x1A86, 0x7523),)
FTDI_USB = ((0x0403, 0x6001),)
CP210X_USB = ((0x10C4, 0xEA60),)

# fmt: off
_AVR = dict(
    mcu="ATmega328P",
    clock_hz=16_000_000,
    ram_bytes=2_048,
    overhead_flash=_AVR_FLASH_OVERHEAD,
    overhead_ram=_AVR_RAM_OVERHEAD,
    overhead_measured=True,
    stack_reserve=256,
    ptr_bytes=2,
    avr=True,
    tanh_flash=_AVR_TANH_FLASH,
)

BOARDS: dict[str, Board] = {
    "uno": Board(
        key="uno", title="Arduino Uno", env="uno", platform="atmelavr", board_id="uno",
        flash_bytes=32_256, usb_ids=ARDUINO_USB + CH340_USB + FTDI_USB, **_AVR,
    ),
    "nano": Board(
        key="nano", title="Arduino Nano", env="nanoatmega328", platform="atmelavr", board_id="nanoatmega328",
        flash_bytes=30_720, usb_ids=CH340_USB + FTDI_USB + ((0x2341, 0x0058),), **_AVR,
    ),
    "esp32": Board(
        key="esp32", title="ESP32 DevKit", env="esp32dev", platform="espressif32", board_id="esp32dev",
        mcu="ESP32", clock_hz=240_000_000,
        # a 4 MB chip, but the default partition table gives the sketch 1.25 MB (PlatformIO's limit)
        flash_bytes=1_310_720, ram_bytes=320 * 1024,
        overhead_flash={"int8": 260_000, "float32": 260_000}, overhead_ram=21_000, stack_reserve=8_192,
        usb_ids=CP210X_USB + CH340_USB + ((0x303A, 0x1001), (0x303A, 0x0002), (0x1A86, 0x55D4)),
    ),
    "pico": Board(
        key="pico", title="Raspberry Pi Pico", env="pico", platform="raspberrypi", board_id="pico",
        # the project's own RP2040 image (firmware/pico_build.py, USB serial, three layers), measured with
        # arm-none-eabi-size and run in rp2040js at the SDK's 125 MHz; PlatformIO's Arduino build is larger
        mcu="RP2040", clock_hz=125_000_000, flash_bytes=2 * 1024 * 1024, ram_bytes=264 * 1024,
        overhead_flash={"int8": 7_317 + 3 * 137, "float32": 8_333}, overhead_ram=496, overhead_measured=True,
        stack_reserve=4_096,
        usb_ids=((0x2E8A, 0x0005), (0x2E8A, 0x000A), (0x2E8A, 0x00C0)),
    ),
}

# fmt: on
# The boards a size report names (the CLI's prune, the window's fit bars): the Nano has the Uno's chip.
REPORTED_BOARDS = ("uno", "esp32", "pico")

# Serial chips that sit on boards of several families: a guess, not an answer.
_AMBIGUOUS = {CH340_USB[0], CP210X_USB[0], FTDI_USB[0]}


def get_board(key: str) -> Board:
    """The board named ``key`` (uno, nano, esp32, pico; PlatformIO env names are accepted too)."""
    k = key.strip().lower()
    for b in BOARDS.values():
        if k in (b.key, b.env, b.board_id):
            return b
    raise UserError(f"unknown board '{key}'; choose one of {', '.join(BOARDS)}")


def guess_board(vid: int | None, pid: int | None) -> list[str]:
    """Board keys a USB serial device with this VID:PID may be, most likely first ([] if unknown).

    Arduino's own ids name the board; a CH340/CP210x/FTDI bridge only narrows it to the boards
    that commonly carry that chip, so callers should let the user confirm.
    """
    if vid is None or pid is None:
        return []
    pair = (int(vid), int(pid))
    return [b.key for b in BOARDS.values() if pair in b.usb_ids]


def is_ambiguous(vid: int | None, pid: int | None) -> bool:
    """True when VID:PID is a generic USB-serial chip (the board family is only a guess)."""
    return vid is not None and pid is not None and (int(vid), int(pid)) in _AMBIGUOUS
