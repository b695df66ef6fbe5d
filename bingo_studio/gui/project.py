"""A project on disk: the run folder (``run/``, firmware folders) plus ``project.json`` (window state).

Inputs: a folder and the window's state dict. Outputs: the same state dict back, and the list of
recent projects in QSettings. Copying a trained run into a new folder reuses the engine's
save_run, so a project's ``run/`` is an ordinary run folder the CLI can open.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings

from bingo_studio.errors import UserError
from bingo_studio.runs import read_json, write_json

PROJECT_FILE = "project.json"
FORMAT = "bingo-studio-project"
RECENT_KEY = "recent_projects"
MAX_RECENT = 8


def settings() -> QSettings:
    return QSettings("BINGO Studio", "BINGO Studio")


def save_project(folder: Path, state: dict, run=None) -> Path:
    """Write ``project.json`` (and the run, when given and not already there) into ``folder``."""
    from bingo_studio.runs import save_run

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if run is not None:
        target = folder / "run"
        if run.path is None or Path(run.path).resolve() != target.resolve():
            save_run(run, target)
    write_json(
        folder / PROJECT_FILE,
        {
            "format": FORMAT,
            "version": 1,
            "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "has_run": (folder / "run" / "run.json").exists(),
            "state": state,
        },
    )
    add_recent(folder)
    return folder


def load_project(folder: Path) -> tuple[dict, object]:
    """(window state, Run or None) of a saved project; UserError when it is not one."""
    from bingo_studio.runs import load_run

    folder = Path(folder)
    meta = read_json(folder / PROJECT_FILE)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{folder} is not a BINGO Studio project (no valid {PROJECT_FILE})")
    run = load_run(folder / "run") if (folder / "run" / "run.json").exists() else None
    add_recent(folder)
    return meta.get("state", {}), run


def recent_projects() -> list[str]:
    value = settings().value(RECENT_KEY, [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if (Path(p) / PROJECT_FILE).exists()]


def add_recent(folder: Path) -> None:
    path = str(Path(folder).resolve())
    items = [p for p in recent_projects() if p != path]
    settings().setValue(RECENT_KEY, [path, *items][:MAX_RECENT])
