"""UF2 files for the Raspberry Pi Pico, and copying one onto its BOOTSEL drive.

A Pico held in BOOTSEL mode (hold the BOOTSEL button while plugging it in) shows up as a USB drive
named RPI-RP2 holding INFO_UF2.TXT; copying a .uf2 file onto it writes the flash and restarts the
board. The format (github.com/microsoft/uf2): 512-byte blocks, each carrying 256 bytes of flash
at a target address, two start magics, an end magic, and the RP2040's family ID.
"""

from __future__ import annotations

import os
import shutil
import string
import struct
import sys
from pathlib import Path

from bingo_studio.errors import UserError

MAGIC_START0 = 0x0A324655  # "UF2\n"
MAGIC_START1 = 0x9E5D5157
MAGIC_END = 0x0AB16F30
FLAG_FAMILY_ID_PRESENT = 0x00002000
RP2040_FAMILY_ID = 0xE48BFF56
BLOCK_SIZE = 512
PAYLOAD_SIZE = 256
DATA_FIELD = 476  # bytes between the 32-byte header and the 4-byte end magic
FLASH_BASE = 0x10000000
_HEADER = struct.Struct("<8I")


def to_uf2(image: bytes, base: int = FLASH_BASE, family_id: int = RP2040_FAMILY_ID) -> bytes:
    """The UF2 file writing ``image`` (a flash dump) at ``base``, 256 bytes a block.

    The last block's payload is padded with 0xFF (erased flash) to 256 bytes; the rest of each
    block's data field is zero, as the format asks.
    """
    if base % PAYLOAD_SIZE:
        raise ValueError("a UF2 image must start on a 256-byte boundary")
    n = max(1, -(-len(image) // PAYLOAD_SIZE))
    blocks = []
    for k in range(n):
        payload = image[k * PAYLOAD_SIZE : (k + 1) * PAYLOAD_SIZE].ljust(PAYLOAD_SIZE, b"\xff")
        header = _HEADER.pack(
            MAGIC_START0, MAGIC_START1, FLAG_FAMILY_ID_PRESENT, base + k * PAYLOAD_SIZE, PAYLOAD_SIZE, k, n,
            family_id,
        )
        blocks.append(header + payload.ljust(DATA_FIELD, b"\x00") + struct.pack("<I", MAGIC_END))
    return b"".join(blocks)


# -- the BOOTSEL drive ----------------------------------------------------------------------------
def _is_rp2040_drive(folder: Path) -> bool:
    try:
        info = (folder / "INFO_UF2.TXT").read_text("ascii", "replace")
    except OSError:
        return False
    return "RPI-RP2" in info


def _mount_points() -> list[Path]:
    """Folders where a USB drive may be mounted on this system."""
    if sys.platform == "win32":
        return [Path(f"{letter}:\\") for letter in string.ascii_uppercase if os.path.exists(f"{letter}:\\")]
    roots = [Path("/Volumes")] if sys.platform == "darwin" else [Path("/media"), Path("/run/media"), Path("/mnt")]
    found = []
    for root in roots:
        try:
            children = [p for p in root.iterdir() if p.is_dir()]
        except OSError:
            continue
        for child in children:
            found.append(child)
            try:  # Linux mounts under /media/<user>/<label>
                found.extend(p for p in child.iterdir() if p.is_dir())
            except OSError:
                pass
    return found


def find_bootsel_drives(candidates: list[Path] | None = None) -> list[Path]:
    """Mounted RPI-RP2 drives (Picos in BOOTSEL mode), recognised by their INFO_UF2.TXT."""
    return [p for p in (candidates if candidates is not None else _mount_points()) if _is_rp2040_drive(p)]


def copy_to_drive(uf2_path: Path | str, drive: Path | str) -> Path:
    """Copy a .uf2 onto a BOOTSEL drive; the Pico writes it to flash and restarts."""
    uf2_path, drive = Path(uf2_path), Path(drive)
    if not _is_rp2040_drive(drive):
        raise UserError(f"{drive} is not a Pico in BOOTSEL mode (no INFO_UF2.TXT naming RPI-RP2)")
    target = drive / uf2_path.name
    try:
        shutil.copyfile(uf2_path, target)
    except OSError as exc:
        raise UserError(f"Could not copy {uf2_path.name} to {drive}: {exc.strerror or exc}") from exc
    return target


def uf2_for_build(firmware: Path | str) -> Path:
    """A .uf2 for a built Pico firmware: the .uf2 beside it, else one written from its flash image.

    ``firmware`` is a .uf2, a .bin starting at 0x10000000 (PlatformIO's firmware.bin or the
    simulated Pico's image, both beginning with boot2), or a folder holding firmware.bin.
    """
    path = Path(firmware)
    if path.is_dir():
        path = path / "firmware.bin"
    if path.suffix == ".uf2" and path.is_file():
        return path
    if path.with_suffix(".uf2").is_file() and (
        not path.is_file() or path.with_suffix(".uf2").stat().st_mtime >= path.stat().st_mtime
    ):
        return path.with_suffix(".uf2")
    if not path.is_file():
        raise UserError(f"No Pico firmware at {path}: build it first")
    target = path.with_suffix(".uf2")
    target.write_bytes(to_uf2(path.read_bytes()))
    return target


def flash_bootsel(firmware: Path | str, drives: list[Path] | None = None) -> Path | None:
    """Copy the firmware's .uf2 onto the one Pico in BOOTSEL mode; None when no such drive is mounted
    (the caller then uploads with PlatformIO instead). Returns the file written on the drive."""
    found = find_bootsel_drives(drives)
    if not found:
        return None
    if len(found) > 1:
        raise UserError(f"{len(found)} Picos are in BOOTSEL mode ({', '.join(map(str, found))}): unplug all but one")
    return copy_to_drive(uf2_for_build(firmware), found[0])


BOOTSEL_HELP = (
    "To flash a Pico without PlatformIO: unplug it, hold its BOOTSEL button while plugging it back "
    "in, then release; it appears as a drive named RPI-RP2 and the .uf2 file is copied onto it."
)
