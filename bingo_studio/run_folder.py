"""A folder that changes as one unit: generations of files behind one pointer file.

Every file is written to a temporary name, flushed to disk and renamed into place, so no reader
ever sees half a file. A folder of several files (a run: settings, weights, scores, mask...) is
made consistent as a whole by never overwriting a file it points to: a save writes the files that
changed under new names (``weights.g7.pt``), then replaces the pointer file (``run.json``), whose
``files`` manifest names every file of the folder with its size and sha256. A kill at any instant
leaves the old pointer (with its old files, all still there) or the new one (with its new files,
all already on disk); files of neither are removed at the next save.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

from bingo_studio.errors import UserError

# logical file name -> {"file": stored name, "sha256": hex digest, "bytes": size}
Manifest = dict[str, dict]

_GENERATION = re.compile(r"^(?P<stem>.+)\.g(?P<gen>\d+)(?P<suffix>\.[^.]+)$")
_TMP = re.compile(r"^\..+\.tmp\d+$")  # atomic_write's temporary name
_LOGICAL = re.compile(r"^[A-Za-z0-9_\-]+\.(pt|json|csv)$")


def atomic_write(path: Path, data: bytes) -> None:
    """``path`` holds either its old bytes or ``data``, never a mix, whenever the process dies."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_dir(path.parent)


def _sync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to flush."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _next_generation(folder: Path, manifest: Manifest) -> int:
    """A generation number no file in the folder uses yet (orphans of a killed save included)."""
    gens = [int(m.group("gen")) for p in folder.iterdir() if (m := _GENERATION.match(p.name))]
    gens += [int(m.group("gen")) for e in manifest.values() if (m := _GENERATION.match(str(e.get("file", ""))))]
    return max(gens, default=0) + 1


def commit(
    folder: Path, pointer: str, meta: dict, files: dict[str, bytes | None], previous: Manifest,
    carry: set[str], legacy: bool = False,
) -> Manifest:
    """Write ``files`` (logical name -> bytes; None drops the file) as a new generation, carry over
    the ``carry`` entries of the ``previous`` manifest, then switch ``pointer`` to ``meta`` plus the
    new manifest. A file whose bytes equal its previous version is not written again. ``legacy``:
    the folder was saved before manifests; its unversioned files go once the pointer no longer
    names them. Returns the manifest written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest: Manifest = {k: dict(v) for k, v in previous.items() if k in carry and k not in files}
    gen = _next_generation(folder, previous)
    for name, data in files.items():
        if data is None:
            continue
        if not _LOGICAL.match(name):
            raise ValueError(f"internal: '{name}' is not a run file name")
        digest = sha256_of(data)
        old = previous.get(name)
        if old and old.get("sha256") == digest and _intact(folder / old["file"], digest):
            manifest[name] = dict(old)  # unchanged: the file on disk is reused, never rewritten
            continue
        stem, suffix = name.rsplit(".", 1)
        stored = f"{stem}.g{gen}.{suffix}"
        atomic_write(folder / stored, data)
        manifest[name] = {"file": stored, "sha256": digest, "bytes": len(data)}
    atomic_write(folder / pointer, (json.dumps({**meta, "files": manifest}, indent=2) + "\n").encode())
    collect_garbage(folder, pointer, manifest, set(manifest) | set(files) | set(previous) | {pointer}, legacy)
    return manifest


def _intact(path: Path, digest: str) -> bool:
    try:
        return sha256_of(path.read_bytes()) == digest
    except OSError:
        return False


def collect_garbage(folder: Path, pointer: str, manifest: Manifest, known: set[str], legacy: bool = False) -> None:
    """Remove generations of the ``known`` logical files that the pointer no longer names, temporary
    files of killed writes, and (``legacy``) the unversioned files of a folder saved by an older
    version. Other files in the folder are the user's and stay; so does the pointer itself."""
    referenced = {e["file"] for e in manifest.values()} | {pointer}

    def logical(name: str) -> str:
        g = _GENERATION.match(name)
        return f"{g.group('stem')}{g.group('suffix')}" if g else name

    for p in folder.iterdir():
        if p.name in referenced or not p.is_file():
            continue
        t = _TMP.match(p.name)
        name = p.name[1 : p.name.rindex(".tmp")] if t else p.name  # what a temporary file was to become
        if logical(name) in known and (t or name != logical(name) or legacy):
            with contextlib.suppress(OSError):
                p.unlink()


def checked_bytes(folder: Path, name: str, entry: dict | None, limit: int) -> bytes:
    """The bytes of logical file ``name``: size checked against ``limit`` before reading, then
    against the manifest's size and sha256 (``entry`` None: a folder from before manifests)."""
    path = folder / (entry["file"] if entry else name)
    shown = f"{name} of {folder}"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError(f"{shown} is missing") from None
    except OSError as exc:
        raise UserError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if size > limit:
        raise UserError(f"{shown} is {size:,} bytes, more than the {limit:,} this run can hold: refused")
    if entry is not None and size != entry["bytes"]:
        raise UserError(f"{shown} is {size:,} bytes but run.json recorded {entry['bytes']:,}: damaged")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if entry is not None and sha256_of(data) != entry["sha256"]:
        raise UserError(f"{shown} does not match its checksum in run.json: the file is damaged")
    return data
