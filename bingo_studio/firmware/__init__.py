"""Firmware: quantised sparse C code, its size model, PlatformIO projects, build/flash and serial.

Modules: spec (the model hand-off), quantize (integer model + numpy reference of the C kernels),
codegen (C sources), size (flash/RAM model), project (PlatformIO project folders); platformio and
local_platform run PlatformIO, simulator runs the Uno firmware in simavr, protocol_client speaks the
firmware's line protocol, ports finds USB boards, avr_gcc builds without PlatformIO (measurements).
bingo_studio.targets and bingo_studio.deploy put these together for the CLI (cli) and the window.
"""
