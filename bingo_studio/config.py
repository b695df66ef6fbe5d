"""Hyperparameters as one small dataclass per concern (in the style of OpenLTH's hparams).

The GUI and the CLI build the same objects; a run folder stores them in its ``run.json``, so a run
is reproducible from that file alone. Every field carries its help text (``opt``): the CLI's flags
are generated from these fields (bingo_studio/cli/options.py), so a new setting is one new field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields


def opt(default, help: str, flag: str | None = None, **argparse_kw):
    """A config field with its CLI help; ``flag`` overrides the generated ``--field-name``."""
    meta = {"help": help, "flag": flag, "argparse": argparse_kw}
    if isinstance(default, list) or default is None and argparse_kw.get("nargs"):
        return field(default_factory=lambda: default, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class DatasetConfig:
    name: str = opt("digits", "built-in dataset (see 'datasets')", flag="--dataset")
    csv_path: str | None = opt(None, "train on a CSV file instead (numeric features + a label column)", flag="--csv")
    label: str | None = opt(
        None, "CSV label column: header name or 0-based index (default: guessed: a column named label, class, "
        "target or species, else a text column, else y, else the last)"
    )
    root: str | None = opt(None, "folder holding file-based datasets (full MNIST)", flag="--data-root")
    seed: int = opt(0, "seed of the train/validation/test split", flag="--split-seed")
    val_fraction: float = opt(0.15, "share of the data held out for validation (the floor is checked there)")
    test_fraction: float = opt(0.2, "share of the data held out for the final test")


@dataclass
class ModelConfig:
    preset: str = opt("digits-tiny", "model preset (see 'models'), or custom with --hidden", flag="--model")
    hidden: list[int] | None = opt(None, "hidden layer widths, e.g. 32,16 (implies a custom model)")
    activation: str = opt("relu", "activation between layers: relu or tanh")
    family: str = opt("dense", "layer family: dense, mam (max+min layers, prune well) or binary (1 bit a weight)")


@dataclass
class TrainConfig:
    epochs: int = opt(20, "training epochs")
    batch_size: int = opt(32, "samples a step")
    lr: float = opt(1e-3, "learning rate")
    optimizer: str = opt("adam", "optimizer", choices=["adam", "sgd"])
    weight_decay: float = opt(0.0, "L2 weight decay")
    seed: int = opt(0, "seed of the initial weights, batch order and searches")


@dataclass
class ScoringConfig:
    """BINGO's lottery-ticket search during training (shared/design/method.md)."""

    estimator: str = opt("train-time", "significance estimator (see 'estimators'; 'paper': the formula as written)")
    searches_per_step: int = opt(4, "lottery-ticket searches (random subsets reset) a search step", flag="--searches")
    subset_fraction: float = opt(0.01, "share of the prunable weights reset in one search", flag="--subset")
    eval_batch: int = opt(512, "validation samples that measure a search")
    start_fraction: float = opt(0.0, "begin searching after this share of training", flag="--search-start")
    every: int = opt(4, "search after every n-th optimizer step (K subsets in one batched pass)", flag="--search-every")
    seed: int = opt(0, "seed of the searches' random subsets (CLI default: the same as --seed)", flag="--scoring-seed")

    def __post_init__(self) -> None:
        if not 0.0 < self.subset_fraction <= 1.0:
            raise ValueError("subset_fraction must be in (0, 1]")
        if self.searches_per_step < 0 or self.every < 1 or self.eval_batch < 1:
            raise ValueError("searches_per_step >= 0, every >= 1 and eval_batch >= 1 are required")




@dataclass
class LadderConfig:
    """The curve of deployable networks grown after the dense epochs of the one run (training/ladder.py)."""

    recovery: float = opt(0.3, "training steps spent recovering along the whole ladder of pruned networks, as a "
                               "share of the run's (0: no ladder, one-shot pruning only)", flag="--ladder-recovery")
    patience: int = opt(2, "dense training ends once validation has not improved for this many epochs (0: never "
                           "early) and the epochs left go to the ladder", flag="--ladder-patience")
    rate: float = opt(0.2, "share of the surviving weights each rung of the ladder removes", flag="--ladder-rate")
    max_sparsity: float = opt(0.998, "the ladder stops at this share of weights pruned...",
                              flag="--ladder-max-sparsity")
    max_drop: float = opt(0.10, "...or when a rung's validation accuracy is this far under the dense network's",
                          flag="--ladder-max-drop")
    start_drop: float = opt(0.005, "the first rung: the sparsest one-shot prune losing at most this much accuracy",
                            flag="--ladder-start-drop")

    def __post_init__(self) -> None:
        if not 0.0 <= self.recovery <= 10.0 or not 0.0 < self.rate < 1.0 or not 0.0 < self.max_sparsity < 1.0:
            raise ValueError("ladder recovery must be in [0, 10], rate and max_sparsity in (0, 1)")
        if self.patience < 0:
            raise ValueError("ladder patience must be 0 or more epochs")


def old_ladder(values):
    """A saved run's ladder settings; runs saved before ``patience`` existed trained all their epochs dense."""
    return {"patience": 0, **values} if isinstance(values, dict) else values


SECTIONS = {"dataset": DatasetConfig, "model": ModelConfig, "train": TrainConfig, "scoring": ScoringConfig,
            "ladder": LadderConfig}


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

        values = {name: build(kind, d.get(name)) for name, kind in SECTIONS.items() if name != "ladder"}
        # runs saved before the ladder existed: no ladder was grown (their one-shot curve is used)
        ladder = build(LadderConfig, old_ladder(d["ladder"])) if "ladder" in d else LadderConfig(recovery=0.0)
        return cls(**values, ladder=ladder)

    def digest(self) -> str:
        """Short hash naming these settings, so the same settings find the same run."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]
