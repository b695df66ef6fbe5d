"""Firmware: quantised sparse C code, its size model, PlatformIO projects, build/flash and serial.

Modules: spec (the model hand-off), quantize (integer model + numpy reference of the C kernels),
codegen (C sources), size (flash/RAM model), project (PlatformIO project folders); the build,
flash and serial side lives in platformio, local_platform and their neighbours.
"""
