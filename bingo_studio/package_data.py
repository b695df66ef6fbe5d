"""Where the files that ship with BINGO Studio live: the firmware templates and build resources.

A wheel installs the top-level ``firmware_templates/`` and ``resources/`` folders inside the
package (pyproject.toml maps them to ``bingo_studio.firmware_templates`` and
``bingo_studio.resources``), so they are found with importlib.resources wherever the package is
installed. A source checkout (editable install, or the folder on PYTHONPATH) has them beside the
package instead.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _folder(name: str) -> Path:
    installed = Path(str(files(__package__) / name))
    return installed if installed.is_dir() else _CHECKOUT / name


def templates_dir() -> Path:
    """firmware_templates/: the C kernel, line protocol, Arduino main and host test mains."""
    return _folder("firmware_templates")


def resources_dir() -> Path:
    """resources/: the offline PlatformIO platform, the scons shim and the simulator harnesses."""
    return _folder("resources")
