"""A run on disk: settings, weights, scores, history and pruning results in one folder.

The folder changes as one unit (``run_folder``): a save writes the changed files under new
generation names, then replaces ``run.json``, which lists every file with its sha256. Reading
checks run.json against its schema (``run_schema``) before building anything, and each file
against its size and checksum before unpickling; weights load with
``torch.load(weights_only=True)``, so a run folder can't execute code.
"""

from __future__ import annotations

import io
import json
import pickle
import time
import zipfile
from pathlib import Path

import torch
from torch import nn

from bingo_studio import __version__
from bingo_studio import run_schema as schema
from bingo_studio.bingo.estimators import make_scorer
from bingo_studio.errors import UserError
from bingo_studio.models import build_model, hidden_layers, prunable_layers
from bingo_studio.run_folder import atomic_write, checked_bytes, commit, sha256_of
from bingo_studio.training.run import Run  # noqa: F401 - the run in memory; this module is its folder

FORMAT = "bingo-studio-run"
FORMAT_VERSION = 2  # 2: generations behind run.json, a sha256 per file; 1 (plain names) still opens
POINTER = "run.json"


def tensor_bytes(tensors) -> bytes:
    buf = io.BytesIO()
    torch.save(tensors, buf)
    return buf.getvalue()


def json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=2, default=float, allow_nan=False) + "\n").encode()


def write_json(path: Path, obj) -> None:
    """A standalone JSON file (a project's settings...), written atomically."""
    atomic_write(Path(path), json_bytes(obj))


def read_json(path: Path, limit: int = schema.MAX_JSON_BYTES) -> dict:
    path = Path(path)
    try:
        if path.stat().st_size > limit:
            raise UserError(f"{path} is larger than {limit:,} bytes: not a BINGO Studio file")
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise UserError(f"{path.name} is missing from {path.parent}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise UserError(f"{path} is corrupted: {e}") from None
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror or e}") from None


class RunFolder:
    """A run folder as its pointer file says it is: run.json checked, its files read through the
    manifest (size bounded before reading, sha256 checked before unpickling)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        pointer = self.path / POINTER
        if not pointer.is_file():
            raise UserError(f"{self.path} is not a BINGO Studio run folder (no run.json)")
        meta = read_json(pointer)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise UserError(f"{pointer} is not a BINGO Studio run file")
        version = schema.number(meta.get("version"), POINTER, "version", 1, 1 << 30, integer=True)
        if version > FORMAT_VERSION:
            raise UserError(f"{self.path} was saved by a newer BINGO Studio (format {version})")
        self.meta = meta
        self.legacy = version < 2  # saved before manifests: plain names, no checksums
        self.config = schema.run_config(meta.get("config"), POINTER)
        self.n_features, self.n_classes = schema.model_shape(meta, self.config, POINTER)
        widths = [self.n_features, *hidden_layers(self.config.model), self.n_classes]
        self.n_params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
        self.files: dict = {} if self.legacy else schema.manifest(meta.get("files"), POINTER, self.limit)

    @property
    def limit(self) -> int:
        """The most bytes any one file of this run may hold: room for many copies of the model
        (a ladder of masks and weights) and the dataset, far from what would exhaust memory."""
        return 256 * self.n_params + (256 << 20)

    def has(self, name: str) -> bool:
        return name in self.files if not self.legacy else (self.path / name).is_file()

    def entry(self, name: str) -> dict | None:
        if self.legacy:
            return None
        if name not in self.files:
            raise UserError(f"{name} is missing from the run folder {self.path} (run.json does not list it)")
        return self.files[name]

    def stored_path(self, name: str) -> Path:
        entry = self.entry(name)
        return self.path / (entry["file"] if entry else name)

    def bytes(self, name: str) -> bytes:
        return checked_bytes(self.path, name, self.entry(name), self.limit)

    def tensors(self, name: str):
        data = self.bytes(name)
        schema.zip_payload_bytes(data, self.limit, name)
        try:
            value = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, zipfile.BadZipFile, OSError, KeyError,
                TypeError, AttributeError, IndexError, MemoryError) as e:
            raise UserError(f"{name} of {self.path} is corrupted or not a BINGO Studio file ({type(e).__name__})") \
                from None
        return schema.finite_tensors(value, name)

    def json(self, name: str):
        try:
            return json.loads(self.bytes(name))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            raise UserError(f"{name} of {self.path} is corrupted: {e}") from None


def _current(path: Path) -> RunFolder | None:
    """The folder's valid current state, or None (new folder, or nothing usable to carry over)."""
    try:
        return RunFolder(path)
    except UserError:
        return None


def _file_bytes(name: str, value) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return tensor_bytes(value) if name.endswith(".pt") else json_bytes(value)


def save_tensors(path: Path, tensors: dict) -> None:
    """Tensors into a run folder as one more file of it (a new generation, with its checksum); a
    path outside a run folder is written as a plain file, atomically."""
    path = Path(path)
    current = _current(path.parent)
    if current is None:
        atomic_write(path, tensor_bytes(tensors))
        return
    commit(path.parent, POINTER, _without_files(current.meta), {path.name: tensor_bytes(tensors)}, current.files,
           set(current.files), legacy=current.legacy)


def load_tensors(path: Path):
    """A tensor file of a run folder, through its manifest (checked), or a plain tensor file."""
    path = Path(path)
    if (path.parent / POINTER).is_file():
        return RunFolder(path.parent).tensors(path.name)
    if not path.is_file():
        raise UserError(f"{path} is missing")
    data = checked_bytes(path.parent, path.name, None, 1 << 31)
    try:
        return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, zipfile.BadZipFile, OSError) as e:
        raise UserError(f"{path} is corrupted or not a BINGO Studio file ({type(e).__name__})") from None


def _without_files(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k != "files"}


def _diverged(run: Run) -> str | None:
    for name, t in run.model.state_dict().items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            return name
    return None


def save_run(run: Run, path: str | Path, files: dict | None = None) -> Path:
    """Save the run as one new generation of its folder. ``files``: more files of the run (logical
    name -> tensors for .pt, a JSON-able object for .json, None to drop). Files derived from
    earlier weights (mask, curve...) are dropped when the weights change, kept otherwise."""
    path = Path(path)
    bad = _diverged(run)
    if bad is not None:
        raise UserError(
            f"training diverged: {bad} holds NaN or infinite values (lower the learning rate or check the data); "
            f"{path} keeps its last good state"
        )
    ds = run.get_dataset()
    blobs = {
        "weights.pt": tensor_bytes({"initial": run.initial_state, "final": run.model.state_dict()}),
        "scores.pt": tensor_bytes(run.scorer.state_dict()),
        "train_masks.pt": tensor_bytes(run.masks) if run.masks is not None else None,
        # a new training in an old folder drops the ladder of the weights it replaces
        "ladder.pt": tensor_bytes(run.ladder.to_tensors()) if run.ladder is not None else None,
    }
    current = _current(path)
    same_weights = current is not None and current.files.get("weights.pt", {}).get("sha256") == sha256_of(
        blobs["weights.pt"])
    if not same_weights or "dense_val_accuracy" not in run.metrics:
        run.finish_metrics()  # the metrics saved are those of the weights saved (each epoch's, when training)
    previous = current.files if current is not None else {}
    carry = set(previous) if same_weights else set()
    if run.config.dataset.name == "csv" and "data.csv" not in carry and run.config.dataset.csv_path:
        src = Path(run.config.dataset.csv_path)
        if src.is_file():
            blobs["data.csv"] = src.read_bytes()  # the run stays usable if the CSV moves
    blobs.update({name: _file_bytes(name, value) for name, value in (files or {}).items()})
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "app_version": __version__,
        "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "config": run.config.to_dict(),
        "dataset": ds.summary(),
        "widths": getattr(run.model, "widths", None),
        "status": run.status,
        "history": run.history,
        "metrics": run.metrics,
        "train_seconds": run.train_seconds,
        "extra": run.extra,
    }
    try:
        json_bytes(meta)
    except ValueError as e:  # NaN/inf: refused rather than written as invalid JSON
        raise UserError(f"cannot save the run to {path}: a result is not a finite number ({e})") from None
    commit(path, POINTER, meta, blobs, previous, carry, legacy=current is not None and current.legacy)
    run.path = path
    return path


def load_run(path: str | Path) -> Run:
    folder = RunFolder(path)
    meta, cfg = folder.meta, folder.config
    file = POINTER
    history = schema.history(meta.get("history", []), file)
    metrics = schema.metrics(meta.get("metrics", {}), file)
    status = meta.get("status", "unknown")
    if not isinstance(status, str):
        raise schema.fail(file, "status", "must be a text")
    train_seconds = schema.number(meta.get("train_seconds", 0.0), file, "train_seconds", 0)
    extra = meta.get("extra", {})
    if not isinstance(extra, dict):
        raise schema.fail(file, "extra", "must be an object")
    model = build_model(cfg.model, folder.n_features, folder.n_classes)
    layers = prunable_layers(model)
    if "prune" in extra:
        schema.prune_summary(extra["prune"], file, sum(m.weight.numel() for m in layers.values()))
    fresh = model.state_dict()
    weights = folder.tensors("weights.pt")
    if not isinstance(weights, dict):
        raise UserError(f"weights.pt of {folder.path} must hold the initial and final weights")
    schema.state_dict(weights.get("final"), fresh, "weights.pt", "final")
    initial = schema.state_dict(weights.get("initial"), fresh, "weights.pt", "initial")
    model.load_state_dict(weights["final"])
    scorer = make_scorer(cfg.scoring, layers, {n: initial[f"{n}.weight"] for n in layers})
    scorer.load_state_dict(schema.scores(folder.tensors("scores.pt"), scorer.state_dict(), "scores.pt"))
    model.eval()
    masks = None
    if folder.has("train_masks.pt"):
        masks = schema.masks(folder.tensors("train_masks.pt"), _shapes(layers), "train_masks.pt")
    ladder = None
    if folder.has("ladder.pt"):  # runs saved before the ladder have none: their one-shot curve is used
        from bingo_studio.training.ladder import Ladder

        ladder = Ladder.from_tensors(folder.tensors("ladder.pt"), model)
    saved_csv = None
    if folder.has("data.csv"):
        def saved_csv() -> Path:  # the copy of the data, checked against its sha256 before use
            folder.bytes("data.csv")
            return folder.stored_path("data.csv")
    return Run(
        config=cfg, model=model, initial_state=initial, scorer=scorer, history=history, status=status,
        train_seconds=float(train_seconds), metrics=metrics, masks=masks, path=folder.path, extra=extra,
        ladder=ladder, saved_csv=saved_csv,
    )


def _shapes(layers: dict[str, nn.Module]) -> dict[str, torch.Size]:
    return {n: m.weight.shape for n, m in layers.items()}


def load_mask(run: Run) -> dict[str, torch.Tensor] | None:
    """The mask saved by ``prune`` (one a prunable layer, the weight's exact shape), or None."""
    if run.path is None:
        return None
    folder = RunFolder(run.path)
    if not folder.has("mask.pt"):
        return None
    if "prune" not in run.extra:
        raise UserError(f"{run.path}: mask.pt has no pruning result in run.json (field 'extra.prune')")
    masks = schema.masks(folder.tensors("mask.pt"), _shapes(run.layers), "mask.pt")
    kept, said = int(sum(int(m.sum()) for m in masks.values())), run.extra["prune"].get("kept_weights")
    if said is not None and kept != said:
        raise UserError(f"{run.path}: mask.pt keeps {kept} weights but run.json says {said} (field 'extra.prune')")
    return masks


def run_file(path: str | Path, name: str) -> Path | None:
    """Where logical file ``name`` of a run folder is stored now (None: the run has none)."""
    folder = RunFolder(path)
    return folder.stored_path(name) if folder.has(name) else None


def read_run_json(path: str | Path, name: str):
    """A JSON file of a run folder (prune.json, curve.json), checked against the manifest."""
    return RunFolder(path).json(name)
