"""A run on disk: settings, weights, scores, history and pruning results in one folder.

Every file is written to a temporary name and renamed into place, and ``run.json`` last, so
a crash or a kill mid-save leaves the previous good state. Weights are loaded with
``torch.load(weights_only=True)``: a run folder can't execute code.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from bingo_studio import __version__
from bingo_studio.bingo.estimators import Scorer, make_scorer
from bingo_studio.config import RunConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.errors import UserError
from bingo_studio.models import build_model, prunable_layers

FORMAT = "bingo-studio-run"
FORMAT_VERSION = 1


@dataclass
class Run:
    config: RunConfig
    model: nn.Module
    initial_state: dict[str, torch.Tensor]
    scorer: Scorer
    dataset: Dataset | None = None
    history: list[dict] = field(default_factory=list)
    status: str = "new"
    train_seconds: float = 0.0
    metrics: dict = field(default_factory=dict)
    masks: dict[str, torch.Tensor] | None = None  # fixed masks the run was trained under, if any
    path: Path | None = None
    extra: dict = field(default_factory=dict)  # saved JSON-able results of later steps (pruning...)
    ladder: object | None = None  # training.ladder.Ladder: the deployable networks grown after training

    def get_dataset(self) -> Dataset:
        if self.dataset is None:
            from bingo_studio.data import load_dataset

            cfg = self.config.dataset
            if cfg.name == "csv" and self.path is not None and (self.path / "data.csv").exists():
                if not cfg.csv_path or not Path(cfg.csv_path).exists():
                    cfg = type(cfg)(**{**vars(cfg), "csv_path": str(self.path / "data.csv")})
            self.dataset = load_dataset(cfg)
        return self.dataset

    @property
    def layers(self) -> dict[str, nn.Module]:
        return prunable_layers(self.model)

    def finish_metrics(self) -> None:
        from bingo_studio.training.loop import evaluate

        ds = self.get_dataset()
        self.metrics["dense_val_accuracy"] = evaluate(self.model, *ds.tensors("val"))
        self.metrics["dense_test_accuracy"] = evaluate(self.model, *ds.tensors("test"))
        self.metrics["total_weights"] = sum(m.weight.numel() for m in self.layers.values())
        self.metrics["train_seconds"] = self.train_seconds

    def summary(self) -> dict:
        return {
            "status": self.status,
            "dataset": self.config.dataset.name,
            "model": self.config.model.preset,
            "widths": getattr(self.model, "widths", None),
            "estimator": self.config.scoring.estimator,
            "epochs_done": len(self.history),
            **self.metrics,
            **self._ladder_summary(),
        }

    def _ladder_summary(self) -> dict:
        """The ladder's rungs and the lottery-ticket searches' check of the estimates that cut them."""
        out = {}
        check = getattr(self.scorer, "check", None)
        if check is not None and check():
            out["estimator_check"] = {k: round(v, 3) for k, v in check().items()}
        if self.ladder is not None and self.ladder.rungs:
            total = sum(m.weight.numel() for m in self.layers.values())
            out["ladder"] = [{"kept_weights": total - r.pruned, "val_accuracy": r.val_accuracy, "cut_by": r.candidate}
                             for r in self.ladder.rungs]
        return out


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_tensors(path: Path, tensors: dict) -> None:
    buf = io.BytesIO()
    torch.save(tensors, buf)
    _atomic_write(path, buf.getvalue())


def load_tensors(path: Path) -> dict:
    if not path.exists():
        raise UserError(f"{path.name} is missing from the run folder {path.parent}")
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, zipfile.BadZipFile, OSError) as e:
        raise UserError(f"{path} is corrupted or not a BINGO Studio file ({type(e).__name__})") from None


def write_json(path: Path, obj) -> None:
    _atomic_write(path, (json.dumps(obj, indent=2, default=float) + "\n").encode())


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path.name} is missing from {path.parent}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path} is corrupted: {e}") from None


def save_run(run: Run, path: str | Path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    ds = run.get_dataset()
    if run.config.dataset.name == "csv" and run.config.dataset.csv_path:
        src = Path(run.config.dataset.csv_path)
        if src.exists() and src.resolve() != (path / "data.csv").resolve():
            shutil.copyfile(src, path / "data.csv")  # the run stays usable if the CSV moves
    save_tensors(path / "weights.pt", {"initial": run.initial_state, "final": run.model.state_dict()})
    save_tensors(path / "scores.pt", run.scorer.state_dict())
    if run.masks is not None:
        save_tensors(path / "train_masks.pt", run.masks)
    if run.ladder is not None:
        save_tensors(path / "ladder.pt", run.ladder.to_tensors())
    elif (path / "ladder.pt").exists():  # a new training in an old folder: its ladder belonged to other weights
        (path / "ladder.pt").unlink()
    write_json(path / "run.json", {
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
    })
    run.path = path
    return path


def load_run(path: str | Path) -> Run:
    path = Path(path)
    if not (path / "run.json").exists():
        raise UserError(f"{path} is not a BINGO Studio run folder (no run.json)")
    meta = read_json(path / "run.json")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{path / 'run.json'} is not a BINGO Studio run file")
    if meta.get("version", 0) > FORMAT_VERSION:
        raise UserError(f"{path} was saved by a newer BINGO Studio (format {meta['version']})")
    try:
        cfg = RunConfig.from_dict(meta["config"])
        n_features, n_classes = meta["dataset"]["features"], meta["dataset"]["classes"]
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"{path / 'run.json'} is incomplete or corrupted ({e})") from None
    model = build_model(cfg.model, n_features, n_classes)
    weights = load_tensors(path / "weights.pt")
    try:
        model.load_state_dict(weights["final"])
        initial = weights["initial"]
        layers = prunable_layers(model)
        scorer = make_scorer(cfg.scoring, layers, {n: initial[f"{n}.weight"] for n in layers})
        scorer.load_state_dict(load_tensors(path / "scores.pt"))
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        raise UserError(f"{path} holds weights or scores that do not match its settings ({e})") from None
    model.eval()
    masks = load_tensors(path / "train_masks.pt") if (path / "train_masks.pt").exists() else None
    ladder = None
    if (path / "ladder.pt").exists():  # runs saved before the ladder have none: their one-shot curve is used
        from bingo_studio.training.ladder import Ladder

        ladder = Ladder.from_tensors(load_tensors(path / "ladder.pt"), model)
    return Run(
        config=cfg, model=model, initial_state=initial, scorer=scorer, history=meta.get("history", []),
        status=meta.get("status", "unknown"), train_seconds=meta.get("train_seconds", 0.0),
        metrics=meta.get("metrics", {}), masks=masks, path=path, extra=meta.get("extra", {}), ladder=ladder,
    )
