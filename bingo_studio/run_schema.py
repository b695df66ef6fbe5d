"""What a run folder's files must hold, checked before anything is built or allocated from them.

Every check names the file and the field, in one line (a UserError), so a damaged or hand-edited
run is refused with a message instead of a traceback, a silent reshape or a terabyte allocation.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import MISSING, fields

import torch

from bingo_studio.config import (
    DatasetConfig,
    LadderConfig,
    ModelConfig,
    RunConfig,
    ScoringConfig,
    TrainConfig,
    old_ladder,
)
from bingo_studio.errors import UserError

# bounds that keep a hostile or damaged file from asking for absurd memory
MAX_WIDTH = 1 << 16  # neurons in one layer (features and classes included)
MAX_LAYERS = 64
MAX_PARAMS = 50_000_000  # 200 MB of float32: far beyond any board this studio targets
MAX_JSON_BYTES = 64 << 20
STORED_NAME = re.compile(r"^[A-Za-z0-9_\-]+\.g\d{1,9}\.(pt|json|csv)$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def fail(file: str, field: str, what: str) -> UserError:
    return UserError(f"{file}: field '{field}' {what}")


def number(value, file: str, field: str, lo: float = -math.inf, hi: float = math.inf, integer: bool = False):
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type:
        raise fail(file, field, f"must be {'an integer' if integer else 'a number'}, not {value!r:.40}")
    if not math.isfinite(value):
        raise fail(file, field, f"is {value}; a finite number is needed")
    if not lo <= value <= hi:
        raise fail(file, field, f"is {value}, outside {lo:g}..{hi:g}")
    return value


def accuracy(value, file: str, field: str) -> float:
    return number(value, file, field, 0.0, 1.0)


# Kept over the complexity limit: one type check per kind of config field, each with its own message
def _section(kind, values, file: str, prefix: str):  # noqa: C901
    """A config dataclass from JSON, each field of the JSON type of its default."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise fail(file, prefix, "must be an object")
    out = {}
    for f in fields(kind):
        if f.name not in values:
            continue
        v, where = values[f.name], f"{prefix}.{f.name}"
        default = f.default if f.default is not MISSING else None
        if v is None and default is None:
            out[f.name] = None
        elif isinstance(default, bool):
            if not isinstance(v, bool):
                raise fail(file, where, "must be true or false")
            out[f.name] = v
        elif isinstance(default, int):
            out[f.name] = number(v, file, where, -(2**63), 2**63 - 1, integer=True)
        elif isinstance(default, float):
            out[f.name] = float(number(v, file, where))
        elif isinstance(default, str) or default is None and f.name != "hidden":
            if not isinstance(v, str) or len(v) > 4096:
                raise fail(file, where, "must be a text")
            out[f.name] = v
        else:  # hidden: a list of layer widths
            if not isinstance(v, list) or len(v) > MAX_LAYERS:
                raise fail(file, where, f"must be a list of at most {MAX_LAYERS} widths")
            out[f.name] = [number(w, file, f"{where}[{i}]", 1, MAX_WIDTH, integer=True) for i, w in enumerate(v)]
    try:
        return kind(**out)
    except (ValueError, TypeError) as exc:
        raise fail(file, prefix, f"is invalid ({exc})") from None


def run_config(d, file: str) -> RunConfig:
    if not isinstance(d, dict):
        raise fail(file, "config", "must be an object")
    cfg = RunConfig(
        dataset=_section(DatasetConfig, d.get("dataset"), file, "config.dataset"),
        model=_section(ModelConfig, d.get("model"), file, "config.model"),
        train=_section(TrainConfig, d.get("train"), file, "config.train"),
        scoring=_section(ScoringConfig, d.get("scoring"), file, "config.scoring"),
        # runs saved before the ladder existed grew none: their one-shot curve is used
        ladder=(_section(LadderConfig, old_ladder(d["ladder"]), file, "config.ladder") if "ladder" in d
                else LadderConfig(recovery=0.0)),
    )
    number(cfg.train.epochs, file, "config.train.epochs", 1, 1_000_000, integer=True)
    number(cfg.train.batch_size, file, "config.train.batch_size", 1, 1 << 24, integer=True)
    number(cfg.train.lr, file, "config.train.lr", 0.0, 1e6)
    return cfg


def model_shape(meta: dict, cfg: RunConfig, file: str) -> tuple[int, int]:
    """(features, classes), checked against the recorded widths and bounded before a model is built."""
    from bingo_studio.models import hidden_layers

    ds = meta.get("dataset")
    if not isinstance(ds, dict):
        raise fail(file, "dataset", "must be an object")
    n_features = number(ds.get("features"), file, "dataset.features", 1, MAX_WIDTH, integer=True)
    n_classes = number(ds.get("classes"), file, "dataset.classes", 2, MAX_WIDTH, integer=True)
    names = ds.get("class_names")
    if names is not None and (not isinstance(names, list) or len(names) != n_classes
                              or not all(isinstance(n, str) for n in names)):
        raise fail(file, "dataset.class_names", f"must be a list of {n_classes} texts")
    try:
        hidden = hidden_layers(cfg.model)
    except UserError as exc:
        raise fail(file, "config.model", str(exc)) from None
    if len(hidden) > MAX_LAYERS or any(not 1 <= h <= MAX_WIDTH for h in hidden):
        raise fail(file, "config.model.hidden", f"needs 1..{MAX_LAYERS} widths of 1..{MAX_WIDTH}")
    widths = [n_features, *hidden, n_classes]
    if meta.get("widths") is not None and meta["widths"] != widths:
        raise fail(file, "widths", f"is {meta['widths']!r:.80} but the settings give {widths}")
    params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    if params > MAX_PARAMS:
        raise fail(file, "widths", f"give {params:,} parameters, more than {MAX_PARAMS:,}")
    return n_features, n_classes


def manifest(files, file: str, max_bytes: int) -> dict:
    if not isinstance(files, dict):
        raise fail(file, "files", "must be an object")
    for name, e in files.items():
        where = f"files.{name}"
        if not isinstance(e, dict) or not isinstance(e.get("file"), str) or not STORED_NAME.match(e["file"]):
            raise fail(file, where, "must name a file of this folder")
        if not isinstance(e.get("sha256"), str) or not SHA256.match(e["sha256"]):
            raise fail(file, f"{where}.sha256", "must be a sha256 in hex")
        number(e.get("bytes"), file, f"{where}.bytes", 0, max_bytes, integer=True)
    return files


def history(value, file: str) -> list[dict]:
    if not isinstance(value, list):
        raise fail(file, "history", "must be a list")
    for i, rec in enumerate(value):
        if not isinstance(rec, dict):
            raise fail(file, f"history[{i}]", "must be an object")
        for k, v in rec.items():
            if k.endswith("accuracy"):
                accuracy(v, file, f"history[{i}].{k}")
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isfinite(v):
                raise fail(file, f"history[{i}].{k}", f"is {v}; training diverged in that epoch")
    return value


def metrics(value, file: str) -> dict:
    if not isinstance(value, dict):
        raise fail(file, "metrics", "must be an object")
    for k, v in value.items():
        if k.endswith("accuracy"):
            accuracy(v, file, f"metrics.{k}")
        elif k in ("total_weights", "dense_epoch"):
            number(v, file, f"metrics.{k}", 1, MAX_PARAMS, integer=True)
        elif k.endswith("seconds"):
            number(v, file, f"metrics.{k}", 0)
    return value


def prune_summary(value, file: str, total_weights: int) -> dict:
    """What ``info`` and ``export`` print about the saved mask: checked like the mask itself."""
    if not isinstance(value, dict):
        raise fail(file, "extra.prune", "must be an object")
    if not isinstance(value.get("method"), str):
        raise fail(file, "extra.prune.method", "must be a text")
    for k in ("min_accuracy", "val_accuracy", "test_accuracy", "sparsity"):
        if k in value:
            accuracy(value[k], file, f"extra.prune.{k}")
    for k in ("kept_weights", "pruned_weights", "total_weights"):
        if k in value:
            number(value[k], file, f"extra.prune.{k}", 0, total_weights, integer=True)
    return value


# ---- tensor files -----------------------------------------------------------------------------
def zip_payload_bytes(data: bytes, limit: int, file: str) -> None:
    """A torch file is a zip: its declared (uncompressed) sizes are bounded before torch reads it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UserError(f"{file} is corrupted or not a BINGO Studio file (not a torch archive)") from None
    if total > limit:
        raise UserError(f"{file} declares {total:,} bytes of data, more than the {limit:,} it can hold")


def state_dict(value, expected: dict[str, torch.Tensor], file: str, field: str) -> dict[str, torch.Tensor]:
    """A model state: exactly the names, shapes and dtypes of ``expected`` (a fresh model's), finite."""
    if not isinstance(value, dict):
        raise fail(file, field, "must be a dict of tensors")
    missing = [k for k in expected if k not in value]
    extra = [k for k in value if k not in expected]
    if missing or extra:
        raise fail(file, field, f"does not match the model (missing {missing[:3]}, unexpected {extra[:3]})")
    for k, t in value.items():
        where = f"{field}.{k}"
        if not isinstance(t, torch.Tensor) or t.dtype != expected[k].dtype:
            raise fail(file, where, f"must be a tensor of {expected[k].dtype}")
        if tuple(t.shape) != tuple(expected[k].shape):
            raise fail(file, where, f"has shape {tuple(t.shape)}, the model needs {tuple(expected[k].shape)}")
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise fail(file, where, "holds NaN or infinite values")
    return value


def masks(value, shapes: dict[str, torch.Size], file: str) -> dict[str, torch.Tensor]:
    """A mask per prunable layer, shaped exactly like its weight, of 0/1 (or bool) values."""
    if not isinstance(value, dict):
        raise UserError(f"{file} must hold one mask a layer (a dict of tensors), not a {type(value).__name__}")
    missing = [k for k in shapes if k not in value]
    extra = [k for k in value if k not in shapes]
    if missing or extra:
        raise UserError(f"{file} does not match the model's layers (missing {missing}, unexpected {extra[:3]})")
    out = {}
    for k, m in value.items():
        if not isinstance(m, torch.Tensor):
            raise fail(file, k, "must be a tensor")
        if tuple(m.shape) != tuple(shapes[k]):
            raise fail(file, k, f"has shape {tuple(m.shape)}, the layer's weight is {tuple(shapes[k])}")
        if m.dtype != torch.bool and not ((m == 0) | (m == 1)).all():
            raise fail(file, k, "must hold only 0 and 1 (keep or pruned)")
        out[k] = m.bool()
    return out


def scores(value, fresh: dict[str, torch.Tensor], file: str) -> dict[str, torch.Tensor]:
    """The estimator's state: exactly its tensors, the right lengths, finite."""
    if not isinstance(value, dict):
        raise UserError(f"{file} must hold the estimator's scores (a dict of tensors)")
    missing = [k for k in fresh if k not in value]
    extra = [k for k in value if k not in fresh]
    if missing or extra:
        raise UserError(f"{file} does not hold this estimator's scores (missing {missing[:3]}, unexpected {extra[:3]})")
    for k, t in value.items():
        if not isinstance(t, torch.Tensor):
            raise fail(file, k, "must be a tensor")
        variable = k.startswith("check_")  # one row a search: any number of rows, the pair alike
        shape, want = tuple(t.shape), tuple(fresh[k].shape)
        if (shape[1:] != want[1:] or t.dim() != len(want)) if variable else shape != want:
            raise fail(file, k, f"has shape {shape}, expected {('N',) + want[1:] if variable else want}")
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise fail(file, k, "holds NaN or infinite values")
    if "check_measured" in value and len(value["check_measured"]) != len(value.get("check_predicted", ())):
        raise fail(file, "check_predicted", "must have one entry per search, like check_measured")
    return value


def finite_tensors(value, file: str, field: str = "", depth: int = 0):
    """Any other tensor file (the run's extra tensors): nested dicts/lists of finite tensors."""
    if depth > 8:
        raise fail(file, field or "(top)", "is nested too deep")
    if isinstance(value, dict):
        for k, v in value.items():
            finite_tensors(v, file, f"{field}.{k}" if field else str(k), depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            finite_tensors(v, file, f"{field}[{i}]", depth + 1)
    elif isinstance(value, torch.Tensor):
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise fail(file, field or "(top)", "holds NaN or infinite values")
    elif isinstance(value, float) and not math.isfinite(value):
        raise fail(file, field or "(top)", f"is {value}")
    return value
