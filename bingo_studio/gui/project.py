"""A project on disk: ``project.json`` (the window's state) beside ``run/`` (an ordinary run folder
the CLI can open: weights, scores, mask, curve) and the firmware projects (``firmware-<board>/``).

The window never works inside a saved project: it works in a session folder of its own (the
autosave folder), and only Save writes the project, item by item, each swapped in whole, with
``project.json`` written last. Opening validates project.json and the run, then copies them into a
new session folder, so nothing in the window changes until the whole project has loaded, and
retraining never overwrites what the user saved.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from PySide6.QtCore import QSettings

from bingo_studio.errors import UserError
from bingo_studio.runs import read_json, write_json

PROJECT_FILE = "project.json"
FORMAT = "bingo-studio-project"
RECENT_KEY = "recent_projects"
MAX_RECENT = 8
RUN_DIR = "run"
FIRMWARE_GLOB = "firmware-*"

# The window state a project may hold: per page, each value's type and, where it has one, its range.
# Unknown keys are dropped; a value of the wrong type or out of range refuses the whole project.
_STATE_SCHEMA: dict[str, dict[str, tuple]] = {
    "data": {"dataset": (str,), "csv_path": (str,), "csv_label": (str,), "preset": (str,), "hidden": (str,),
             "family": (str,)},
    "train": {"epochs": (int, 1, 100_000), "batch": (int, 1, 1_000_000), "lr": (float, 0.0, 10.0),
              "searches": (int, 0, 1_000), "estimator": (str,), "recovery": (float, 0.0, 10.0)},
    "prune": {"method": (str,), "min_accuracy": (float, 0.0, 1.0)},
    "deploy": {"board": (str,), "offline": (bool,), "message": (str,), "built": (str,), "built_summary": (str,)},
    "console": {"baud": (str,)},
}


def settings() -> QSettings:
    return QSettings("BINGO Studio", "BINGO Studio")


def validate_state(state) -> dict:
    """The window state of project.json, checked against _STATE_SCHEMA; UserError naming the field."""
    if not isinstance(state, dict):
        raise UserError(f"{PROJECT_FILE}: 'state' is not an object")
    clean: dict = {}
    for page, fields in _STATE_SCHEMA.items():
        values = state.get(page, {})
        if not isinstance(values, dict):
            raise UserError(f"{PROJECT_FILE}: 'state.{page}' is not an object")
        clean[page] = {}
        for key, (kind, *bounds) in fields.items():
            if key not in values or values[key] is None:
                continue
            v = values[key]
            ok = isinstance(v, kind) and not (kind is int and isinstance(v, bool))
            if kind is float and isinstance(v, int) and not isinstance(v, bool):
                v, ok = float(v), True
            if not ok:
                raise UserError(f"{PROJECT_FILE}: 'state.{page}.{key}' should be {kind.__name__}, not {v!r}")
            if bounds and not bounds[0] <= v <= bounds[1]:
                raise UserError(f"{PROJECT_FILE}: 'state.{page}.{key}' = {v!r} is outside {bounds[0]}..{bounds[1]}")
            clean[page][key] = v
    tab = state.get("tab", 0)
    if not isinstance(tab, int) or isinstance(tab, bool) or not 0 <= tab <= 4:
        raise UserError(f"{PROJECT_FILE}: 'state.tab' should be a step number 0..4, not {tab!r}")
    clean["tab"] = tab
    return clean


def _copy_tree_into(src: Path, dst: Path) -> None:
    """Replace ``dst`` with a copy of ``src`` as one step: copy beside it, then swap the names."""
    tmp = dst.with_name(f".{dst.name}.saving{os.getpid()}")
    old = dst.with_name(f".{dst.name}.old{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    if dst.exists():
        os.replace(dst, old)
    os.replace(tmp, dst)
    shutil.rmtree(old, ignore_errors=True)


def save_project(folder: Path, state: dict, session: Path, run=None) -> Path:
    """Write the project into ``folder``: the run (``run.path``, copied whole), the session's firmware
    projects, then project.json, each written beside its old version and swapped in."""
    folder, session = Path(folder), Path(session)
    folder.mkdir(parents=True, exist_ok=True)
    if run is not None:
        if run.path is None:
            raise UserError("The trained run has not been written yet: wait for its first epoch")
        if Path(run.path).resolve() != (folder / RUN_DIR).resolve():
            _copy_tree_into(Path(run.path), folder / RUN_DIR)
    for fw in session.glob(FIRMWARE_GLOB):
        if fw.is_dir() and fw.resolve() != (folder / fw.name).resolve():
            _copy_tree_into(fw, folder / fw.name)
    meta = {"format": FORMAT, "version": 2, "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "run": RUN_DIR if run is not None else None, "state": state}
    write_json(folder / PROJECT_FILE, meta)  # last: the project is complete once this is there
    add_recent(folder)
    return folder


def load_project(folder: Path, session: Path | None = None) -> tuple[dict, object]:
    """(validated window state, Run or None) of a saved project; UserError when anything is off.

    With ``session``, the run and firmware folders are first copied there and the run is loaded
    from the copy: the window then works on the copy, never inside the saved project.
    """
    from bingo_studio.runs import load_run

    folder = Path(folder)
    meta = read_json(folder / PROJECT_FILE)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{folder} is not a BINGO Studio project (no valid {PROJECT_FILE})")
    state = validate_state(meta.get("state", {}))
    run_name = meta.get("run", RUN_DIR if (folder / RUN_DIR / "run.json").exists() else None)
    if run_name is not None and (not isinstance(run_name, str) or "/" in run_name or "\\" in run_name
                                 or run_name.startswith(".")):
        raise UserError(f"{PROJECT_FILE}: 'run' should name a folder of the project, not {run_name!r}")
    run = None
    if run_name is not None:
        run = load_run(folder / run_name)  # validates before anything is copied
        if session is not None:
            session.mkdir(parents=True, exist_ok=True)
            _copy_tree_into(folder / run_name, session / RUN_DIR)
            for fw in folder.glob(FIRMWARE_GLOB):
                if fw.is_dir():
                    _copy_tree_into(fw, session / fw.name)
            run = load_run(session / RUN_DIR)
    add_recent(folder)
    return state, run


def recent_projects() -> list[str]:
    value = settings().value(RECENT_KEY, [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if (Path(p) / PROJECT_FILE).exists()]


def add_recent(folder: Path) -> None:
    path = str(Path(folder).resolve())
    items = [p for p in recent_projects() if p != path]
    settings().setValue(RECENT_KEY, [path, *items][:MAX_RECENT])
