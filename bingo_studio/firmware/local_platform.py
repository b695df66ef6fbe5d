"""Offline Uno/Nano builds: a local PlatformIO dev platform on Debian's AVR toolchain.

PlatformIO's official `atmelavr` platform must be downloaded on first use; in a classroom with no
internet that fails after a minute of retries. The platform in resources/platformio/bingo-atmelavr
builds the same firmware with `gcc-avr`, `avr-libc`, `arduino-core-avr` and `avrdude` from the
system. PlatformIO also insists on its own `tool-scons` package, so pip's SCons is registered
under that name. Everything lands in a PlatformIO core folder of our own (never ~/.platformio
unless the user points PLATFORMIO_CORE_DIR there).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
from pathlib import Path

from bingo_studio.errors import UserError
from bingo_studio.package_data import resources_dir

RESOURCES_DIR = resources_dir() / "platformio"
PLATFORM_NAME = "bingo-atmelavr"
PLATFORM_SRC = RESOURCES_DIR / PLATFORM_NAME
OFFLINE_CONFIG_NAME = "bingo-offline.ini"
_SHIM_MARK = "bingo-studio"


def default_core_dir() -> Path:
    """PlatformIO core folder for offline builds: $PLATFORMIO_CORE_DIR, else our own cache folder."""
    if os.environ.get("PLATFORMIO_CORE_DIR"):
        return Path(os.environ["PLATFORMIO_CORE_DIR"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "bingo-studio" / "platformio"


def offline_boards() -> list[str]:
    """PlatformIO board ids the local platform can build (uno, nanoatmega328, ...)."""
    return sorted(p.stem for p in (PLATFORM_SRC / "boards").glob("*.json"))


def missing_tools() -> list[str]:
    """System programs/folders the offline build needs that are not installed (Debian package names)."""
    missing = []
    for prog, pkg in (("avr-gcc", "gcc-avr"), ("avr-objcopy", "binutils-avr"), ("avrdude", "avrdude")):
        if shutil.which(prog) is None:
            missing.append(pkg)
    core = Path(os.environ.get("BINGO_ARDUINO_AVR_DIR", "/usr/share/arduino/hardware/arduino/avr"))
    if not (core / "cores" / "arduino" / "Arduino.h").is_file():
        missing.append("arduino-core-avr")
    if not Path("/usr/lib/avr/include/avr/io.h").is_file() and not Path("/usr/avr/include/avr/io.h").is_file():
        missing.append("avr-libc")
    return missing


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _scons_requirement() -> str:
    """The tool-scons version this PlatformIO release asks for (e.g. '4.41101.0' from '~4.41101.0')."""
    from platformio.dependencies import get_core_dependencies

    return get_core_dependencies()["tool-scons"].lstrip("~^=<> ")


def _install_scons_shim(packages_dir: Path) -> None:
    """Register pip's SCons as PlatformIO's `tool-scons` package so PlatformIO does not download it."""
    import SCons

    target = packages_dir / "tool-scons"
    manifest = target / "package.json"
    if target.is_dir() and (target / "scons.py").is_file() and (target / ".piopm").is_file():
        if not manifest.is_file() or _SHIM_MARK not in manifest.read_text():
            return  # a real tool-scons that PlatformIO installed itself: keep it
    version = _scons_requirement()
    scons_parent = str(Path(SCons.__file__).resolve().parents[1])
    target.mkdir(parents=True, exist_ok=True)
    template = (RESOURCES_DIR / "tool-scons" / "scons.py.in").read_text()
    _write_if_changed(target / "scons.py", template.replace("@SCONS_PARENT@", repr(scons_parent)))
    _write_if_changed(
        manifest,
        json.dumps(
            {
                "name": "tool-scons",
                "version": version,
                "description": f"SCons {SCons.__version__} from pip, registered by {_SHIM_MARK}",
                "system": "*",
            },
            indent=2,
        ),
    )
    piopm = {
        "type": "tool",
        "name": "tool-scons",
        "version": version,
        "spec": {"owner": "platformio", "id": None, "name": "tool-scons", "requirements": None, "uri": None},
    }
    _write_if_changed(target / ".piopm", json.dumps(piopm))


def _write_if_changed(path: Path, text: str) -> None:
    """Atomic write, skipped when the content is already there (parallel builds read these files)."""
    if path.is_file() and path.read_text() == text:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def ensure_offline_platform(core_dir: Path | str | None = None) -> Path:
    """Install the tool-scons shim and a copy of the local AVR platform into a PlatformIO core folder.

    Returns the platform folder, to be named as `platform = symlink://<folder>` in a project.
    Cheap when already up to date (compares the copy's files with the originals).
    """
    missing = missing_tools()
    if missing:
        raise UserError(
            "Offline Uno builds need these system packages: " + " ".join(missing)
            + " (apt-get install --no-install-recommends " + " ".join(missing) + ")"
        )
    core = Path(core_dir) if core_dir else default_core_dir()
    try:
        core.mkdir(parents=True, exist_ok=True)
        _install_scons_shim(core / "packages")
        dest = core / "bingo" / PLATFORM_NAME
        if not dest.is_dir() or _tree_digest(dest) != _tree_digest(PLATFORM_SRC):
            # copy beside it, then swap: a build running meanwhile never sees half a platform
            tmp = dest.with_name(f".{PLATFORM_NAME}-{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(PLATFORM_SRC, tmp, ignore=shutil.ignore_patterns("__pycache__"))
            if dest.exists():
                old = dest.with_name(f".{PLATFORM_NAME}-old-{os.getpid()}")
                os.replace(dest, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, dest)
    except OSError as exc:
        raise UserError(f"Cannot prepare the offline PlatformIO folder {core}: {exc}") from exc
    return dest


def write_offline_config(project_dir: Path | str, platform_dir: Path | str) -> Path:
    """Copy the project's platformio.ini with every AVR env pointed at the local platform.

    The project's own file stays untouched (it still builds online with `atmelavr`); `pio run -c`
    reads the copy, written to <project>/.pio/bingo-offline.ini.
    """
    project = Path(project_dir)
    ini = project / "platformio.ini"
    if not ini.is_file():
        raise UserError(f"{project} is not a PlatformIO project (no platformio.ini)")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keep option names as written
    try:
        parser.read(ini, encoding="utf-8")
    except configparser.Error as exc:
        raise UserError(f"Cannot read {ini}: {exc.message.splitlines()[0]}") from exc
    boards = set(offline_boards())
    common_board = parser.get("env", "board", fallback="") if parser.has_section("env") else ""
    for section in parser.sections():
        board = parser.get(section, "board", fallback=common_board).strip()
        if section.startswith("env:") and board in boards:
            parser.set(section, "platform", f"symlink://{Path(platform_dir).resolve()}")
            parser.remove_option(section, "platform_packages")
    out = project / ".pio" / OFFLINE_CONFIG_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        fh.write(f"; Generated by BINGO Studio from {ini.name} for an offline build; edit {ini.name}.\n")
        parser.write(fh)
    return out
