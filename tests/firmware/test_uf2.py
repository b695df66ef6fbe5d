"""UF2 files checked field by field against the format's specification (github.com/microsoft/uf2),
the boot2 CRC against the CRC-32/MPEG-2 catalogue check value, and the BOOTSEL drive copy."""

from __future__ import annotations

import struct

import pytest

from bingo_studio.errors import UserError
from bingo_studio.firmware import uf2
from bingo_studio.firmware.pico_build import boot2_crc


def test_blocks_follow_the_specification():
    image = bytes(range(256)) * 3 + b"\x42" * 10  # 3 full payloads and a partial one
    data = uf2.to_uf2(image)
    assert len(data) == 4 * 512
    for k in range(4):
        block = data[k * 512 : (k + 1) * 512]
        magic0, magic1, flags, addr, size, number, total, family = struct.unpack("<8I", block[:32])
        assert (magic0, magic1) == (0x0A324655, 0x9E5D5157)
        assert struct.unpack("<I", block[508:])[0] == 0x0AB16F30
        assert flags == 0x00002000  # familyID present, nothing else
        assert family == 0xE48BFF56  # RP2040
        assert (addr, size, number, total) == (0x10000000 + 256 * k, 256, k, 4)
        assert block[32 + 256 : 508] == bytes(476 - 256)  # unused data bytes are zero
    payloads = b"".join(data[k * 512 + 32 : k * 512 + 32 + 256] for k in range(4))
    assert payloads[: len(image)] == image
    assert payloads[len(image) :] == b"\xff" * (1024 - len(image))  # erased flash after the image


def test_start_must_be_page_aligned():
    with pytest.raises(ValueError):
        uf2.to_uf2(b"\x00", base=0x10000010)


def test_boot2_crc_is_the_rp2040_variant():
    # CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, not reflected, no final xor): check value
    assert boot2_crc(b"123456789") == 0x0376E6E7


def test_bootsel_drive_found_by_its_info_file_and_copied_to(tmp_path):
    pico = tmp_path / "RPI-RP2"
    other = tmp_path / "USBSTICK"
    for folder in (pico, other):
        folder.mkdir()
    (pico / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n")
    (other / "INFO_UF2.TXT").write_text("UF2 Bootloader\nBoard-ID: SAMD21-Xplained\n")
    assert uf2.find_bootsel_drives([pico, other, tmp_path / "gone"]) == [pico]
    firmware = tmp_path / "model.uf2"
    firmware.write_bytes(uf2.to_uf2(b"\x00" * 600))
    assert uf2.copy_to_drive(firmware, pico).read_bytes() == firmware.read_bytes()
    with pytest.raises(UserError, match="BOOTSEL"):
        uf2.copy_to_drive(firmware, other)


def test_flash_copies_a_build_to_the_one_bootsel_drive_or_reports_none(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    image = bytes(range(256)) * 5
    (build / "firmware.bin").write_bytes(image)
    assert uf2.flash_bootsel(build, drives=[]) is None  # no Pico in BOOTSEL mode: PlatformIO uploads
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("Board-ID: RPI-RP2\n")
    written = uf2.flash_bootsel(build, drives=[drive])
    assert written == drive / "firmware.uf2"
    assert written.read_bytes() == uf2.to_uf2(image)  # the project's writer made it from firmware.bin
    second = tmp_path / "RPI-RP2 (2)"
    second.mkdir()
    (second / "INFO_UF2.TXT").write_text("Board-ID: RPI-RP2\n")
    with pytest.raises(UserError, match="unplug all but one"):
        uf2.flash_bootsel(build, drives=[drive, second])
