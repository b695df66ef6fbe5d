"""Hyperparameters as one small dataclass per concern (in the style of OpenLTH's hparams).

The GUI and the CLI build the same objects; a run folder stores them as JSON, so a run is
reproducible from its ``config.json`` alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields


@dataclass
class DatasetConfig:
    name: str = "digits"  # a key of bingo_studio.data.DATASETS, or "csv"
    csv_path: str | None = None
    label: str | None = None  # CSV label column: a header name or a 0-based index as text
    root: str | None = None  # folder for file-based datasets (full MNIST)
    seed: int = 0  # fixes the train/val/test split
    val_fraction: float = 0.15
    test_fraction: float = 0.2


@dataclass
class ModelConfig:
    preset: str = "digits-tiny"  # a key of bingo_studio.models.PRESETS, or "custom"
    hidden: list[int] | None = None  # hidden layer widths, used with preset "custom"
    activation: str = "relu"
    family: str = "dense"  # layer family: a key of bingo_studio.models.FAMILIES ("dense", "mam", "binary")


@dataclass
class TrainConfig:
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"  # "adam" or "sgd"
    weight_decay: float = 0.0
    seed: int = 0


@dataclass
class ScoringConfig:
    """BINGO's lottery-ticket search during training (shared/design/method.md)."""

    estimator: str = "train-time"  # a key of bingo_studio.bingo.estimators.ESTIMATORS ("paper": as written)
    searches_per_step: int = 4  # K subsets tried after each optimizer step
    subset_fraction: float = 0.01  # f: share of prunable weights reset in one search
    eval_batch: int = 512  # validation samples used to measure a search
    start_fraction: float = 0.0  # begin searching after this share of training
    every: int = 4  # search after every n-th step (batched: K subsets in one pass)
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.subset_fraction <= 1.0:
            raise ValueError("subset_fraction must be in (0, 1]")
        if self.searches_per_step < 0 or self.every < 1 or self.eval_batch < 1:
            raise ValueError("searches_per_step >= 0, every >= 1 and eval_batch >= 1 are required")


@dataclass
class LadderConfig:
    """The curve of deployable networks grown after the dense epochs of the one run (training/ladder.py)."""

    recovery: float = 0.4  # training steps spent recovering along the whole ladder, as a share of the run's (0: none)
    rate: float = 0.2  # share of the surviving weights each rung removes
    max_sparsity: float = 0.998  # the ladder stops at this share of weights pruned ...
    max_drop: float = 0.10  # ... or when a rung's validation accuracy is this far under the dense network's
    start_drop: float = 0.005  # the first rung: the sparsest level one-shot pruning reaches losing at most this

    def __post_init__(self) -> None:
        if not 0.0 <= self.recovery <= 10.0 or not 0.0 < self.rate < 1.0 or not 0.0 < self.max_sparsity < 1.0:
            raise ValueError("ladder recovery must be in [0, 10], rate and max_sparsity in (0, 1)")


@dataclass
class RunConfig:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    ladder: LadderConfig = field(default_factory=LadderConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        def build(kind, values):
            known = {f.name for f in fields(kind)}
            return kind(**{k: v for k, v in (values or {}).items() if k in known})

        return cls(
            dataset=build(DatasetConfig, d.get("dataset")),
            model=build(ModelConfig, d.get("model")),
            train=build(TrainConfig, d.get("train")),
            scoring=build(ScoringConfig, d.get("scoring")),
            # runs saved before the ladder existed: no ladder was grown (their one-shot curve is used)
            ladder=build(LadderConfig, d["ladder"]) if "ladder" in d else LadderConfig(recovery=0.0),
        )

    def digest(self) -> str:
        """Short hash naming these settings, so the same settings find the same run."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]
