"""A corpus of damaged run folders, generated from a real one: each case is a name, a damage
(a function of the folder) and the file and field the refusal must name."""

from __future__ import annotations

import hashlib
import io
import json
import struct
from pathlib import Path

import torch

from bingo_studio.runs import run_file


def meta(path: Path) -> dict:
    return json.loads((path / "run.json").read_text())


def write_meta(path: Path, m: dict) -> None:
    (path / "run.json").write_text(json.dumps(m))


def edit(change):
    """A damage that edits run.json's object with ``change(meta)``."""
    def damage(path: Path) -> None:
        m = meta(path)
        change(m)
        write_meta(path, m)
    return damage


def setp(dotted: str, value):
    def change(m: dict) -> None:
        *parents, last = dotted.split(".")
        node = m
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return edit(change)


def rewrite(name: str, data: bytes, path: Path) -> None:
    """Replace a run file's bytes AND its manifest entry: only the schema can catch what is inside."""
    run_file(path, name).write_bytes(data)
    m = meta(path)
    m["files"][name].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    write_meta(path, m)


def tensors(name: str, change):
    """A damage that loads a tensor file, changes the object and writes it back (manifest updated)."""
    def damage(path: Path) -> None:
        value = torch.load(run_file(path, name), weights_only=True)
        value = change(value)
        buf = io.BytesIO()
        torch.save(value, buf)
        rewrite(name, buf.getvalue(), path)
    return damage


def _with(d: dict, key: str, value) -> dict:
    d = dict(d)
    d[key] = value
    return d


def _without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


def _nan_first(state: dict) -> dict:
    state = dict(state)
    k = next(iter(state))
    t = state[k].clone()
    t.view(-1)[0] = float("nan")
    state[k] = t
    return state


def flip_bytes(name: str, count: int = 100):
    def damage(path: Path) -> None:
        f = run_file(path, name)
        data = bytearray(f.read_bytes())
        step = max(1, len(data) // (count + 1))
        for i in range(count):
            data[(i + 1) * step % len(data)] ^= 0xFF
        f.write_bytes(bytes(data))
    return damage


def huge_zip_entry(name: str):
    """The torch archive's central directory claims a 2 GB entry: refused before torch reads it."""
    def damage(path: Path) -> None:
        data = bytearray(run_file(path, name).read_bytes())
        at = data.rfind(b"PK\x01\x02")
        data[at + 24 : at + 28] = struct.pack("<I", 0x7FFFFFF0)
        rewrite(name, bytes(data), path)
    return damage


def first_layer_shape(path: Path) -> tuple[int, int]:
    widths = meta(path)["widths"]
    return widths[1], widths[0]


# (id, damage, words the one-line refusal must contain)
RUN_JSON_CASES = [
    ("not-json", lambda p: (p / "run.json").write_text("{oops"), "run.json is corrupted"),
    ("a-list", lambda p: (p / "run.json").write_text("[1, 2]"), "not a BINGO Studio run file"),
    ("newer", setp("version", 99), "newer BINGO Studio"),
    ("version-text", setp("version", "2"), "field 'version'"),
    ("config-list", setp("config", []), "field 'config'"),
    ("epochs-negative", setp("config.train.epochs", -1), "field 'config.train.epochs'"),
    ("lr-text", setp("config.train.lr", "fast"), "field 'config.train.lr'"),
    ("subset-5", setp("config.scoring.subset_fraction", 5), "field 'config.scoring'"),
    ("preset-unknown", setp("config.model.preset", "nope"), "field 'config.model'"),
    ("terabyte-widths", edit(lambda m: m["config"]["model"].update(preset="custom", hidden=[10**6, 10**6])),
     "field 'config.model.hidden[0]'"),
    ("huge-model", edit(lambda m: (m["config"]["model"].update(preset="custom", hidden=[60000, 60000]),
                                   m.update(widths=[64, 60000, 60000, 10]))), "parameters, more than"),
    ("features-terabyte", setp("dataset.features", 10**12), "field 'dataset.features'"),
    ("features-text", setp("dataset.features", "64"), "field 'dataset.features'"),
    ("one-class", setp("dataset.classes", 1), "field 'dataset.classes'"),
    ("widths-other", setp("widths", [64, 5, 10]), "field 'widths'"),
    ("history-object", setp("history", {}), "field 'history'"),
    ("history-accuracy-text", setp("history.0.val_accuracy", "x"), "field 'history[0].val_accuracy'"),
    ("dense-accuracy-nan", lambda p: (p / "run.json").write_text(
        (p / "run.json").read_text().replace('"dense_val_accuracy": ', '"dense_val_accuracy": NaN, "x": ', 1)),
     "field 'metrics.dense_val_accuracy'"),
    ("dense-accuracy-150", setp("metrics.dense_val_accuracy", 1.5), "field 'metrics.dense_val_accuracy'"),
    ("status-number", setp("status", 5), "field 'status'"),
    ("seconds-negative", setp("train_seconds", -5), "field 'train_seconds'"),
    ("extra-text", setp("extra", "x"), "field 'extra'"),
    ("prune-sparsity-2", setp("extra.prune.sparsity", 2), "field 'extra.prune.sparsity'"),
    ("prune-kept-more", setp("extra.prune.kept_weights", 10**9), "field 'extra.prune.kept_weights'"),
    ("files-missing", setp("files", None), "field 'files'"),
    ("file-escapes", edit(lambda m: m["files"]["weights.pt"].update(file="../../etc/passwd")),
     "field 'files.weights.pt'"),
    ("file-size-petabyte", edit(lambda m: m["files"]["weights.pt"].update(bytes=10**15)),
     "field 'files.weights.pt.bytes'"),
    ("file-sha-bad", edit(lambda m: m["files"]["weights.pt"].update(sha256="0" * 64)), "weights.pt of"),
    ("scores-unlisted", edit(lambda m: m["files"].pop("scores.pt")), "scores.pt is missing"),
]

TENSOR_CASES = [
    ("weights-flipped", flip_bytes("weights.pt"), "weights.pt of"),
    ("scores-flipped", flip_bytes("scores.pt", 10), "scores.pt of"),
    ("weights-not-zip", lambda p: rewrite("weights.pt", b"\x00garbage" * 10, p), "weights.pt"),
    ("weights-huge-entry", huge_zip_entry("weights.pt"), "weights.pt declares"),
    ("weights-list", tensors("weights.pt", lambda w: [w["final"]]), "weights.pt of"),
    ("weights-nan", tensors("weights.pt", lambda w: _with(w, "final", _nan_first(w["final"]))),
     "NaN or infinite"),
    ("weights-no-initial", tensors("weights.pt", lambda w: _without(w, "initial")), "field 'initial'"),
    ("weights-transposed", tensors("weights.pt", lambda w: _with(w, "final", _with(
        w["final"], "fc0.weight", w["final"]["fc0.weight"].t().contiguous()))), "field 'final.fc0.weight'"),
    ("scores-empty", tensors("scores.pt", lambda s: {}), "scores.pt does not hold this estimator's scores"),
    ("scores-short", tensors("scores.pt", lambda s: {k: v[:3] if v.dim() else v for k, v in s.items()}),
     "scores.pt: field"),
    ("scores-nan", tensors("scores.pt", _nan_first), "NaN or infinite"),
]

# mask.pt is read by export and checked by info; the run itself still loads
MASK_CASES = [
    ("mask-transposed", tensors("mask.pt", lambda m: _with(m, "fc0", m["fc0"].t().contiguous())),
     "mask.pt: field 'fc0' has shape"),
    ("mask-layer-missing", tensors("mask.pt", lambda m: _without(m, "fc1")), "mask.pt does not match"),
    ("mask-not-dict", tensors("mask.pt", lambda m: m["fc0"]), "mask.pt must hold one mask a layer"),
    ("mask-values-2", tensors("mask.pt", lambda m: _with(m, "fc0", m["fc0"].float() * 2)),
     "must hold only 0 and 1"),
    ("mask-other-prune", tensors("mask.pt", lambda m: _with(m, "fc0", torch.ones_like(m["fc0"]))),
     "but run.json says"),
    ("mask-flipped", flip_bytes("mask.pt", 20), "mask.pt of"),
]
