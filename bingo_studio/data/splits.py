"""Seeded stratified train/val/test splits and train-split normalisation, shared by every source."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bingo_studio.config import DatasetConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.errors import UserError

MIN_PER_CLASS = 2


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    if not (0.0 <= val_fraction < 1.0 and 0.0 <= test_fraction < 1.0 and val_fraction + test_fraction < 1.0):
        raise UserError(
            f"validation and test fractions must be >= 0 and add up to less than 1 "
            f"(got {val_fraction} and {test_fraction})"
        )


def check_class_counts(y: np.ndarray, class_names: Sequence[str] | None = None) -> None:
    """Refuse classes too small to split; ``class_names`` makes the message name the class."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(class_names or []))
    for label, count in enumerate(counts):
        if count < MIN_PER_CLASS:
            name = class_names[label] if class_names and label < len(class_names) else str(label)
            raise UserError(
                f"class '{name}' has only {count} sample{'s' if count != 1 else ''}; every class needs "
                f"at least {MIN_PER_CLASS} for a train/val/test split"
            )


def _split_off(idx: np.ndarray, y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept, taken) index arrays; ``taken`` is ``fraction`` of ``idx``, stratified when the classes allow."""
    if fraction <= 0.0 or len(idx) == 0:
        return idx, idx[:0]
    from sklearn.model_selection import train_test_split  # slow to import; only needed here

    try:
        kept, taken = train_test_split(idx, test_size=fraction, random_state=seed, stratify=y[idx])
    except ValueError:
        # Too few samples of some class (or fewer test slots than classes) to stratify: plain split.
        try:
            kept, taken = train_test_split(idx, test_size=fraction, random_state=seed)
        except ValueError as exc:
            raise UserError(f"too few samples ({len(idx)}) to split off {fraction:.0%} of them") from exc
    return np.sort(kept), np.sort(taken)


def split_indices(
    y: np.ndarray, seed: int, val_fraction: float, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded stratified (train, val, test) index arrays; val and test are fractions of all of ``y``."""
    check_fractions(val_fraction, test_fraction)
    y = np.asarray(y)
    idx = np.arange(len(y))
    rest, test = _split_off(idx, y, test_fraction, seed)
    # val_fraction is of the whole set, so take the matching share of what is left.
    rest_fraction = val_fraction / (1.0 - test_fraction) if val_fraction > 0 else 0.0
    train, val = _split_off(rest, y, rest_fraction, seed + 1)
    if len(train) == 0:
        raise UserError(f"too few samples ({len(y)}) to keep any for training")
    return train, val, test


def normalization(x_train: np.ndarray, per_feature: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean/std of the train split: per feature (tabular) or one scalar (images). A zero std becomes 1."""
    x = np.asarray(x_train, dtype=np.float64)
    if per_feature:
        mean, std = x.mean(axis=0), x.std(axis=0)
    else:
        mean, std = np.array([x.mean()]), np.array([x.std()])
    std = np.where(std > 1e-12, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def build_dataset(
    name: str,
    splits: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    class_names: Sequence[str],
    *,
    image: bool,
    feature_names: Sequence[str] = (),
    description: str = "",
) -> Dataset:
    """A ``Dataset`` from ready splits (x_train, y_train, x_val, y_val, x_test, y_test), raw features."""
    x_train, y_train, x_val, y_val, x_test, y_test = splits
    f32 = [np.ascontiguousarray(a, dtype=np.float32) for a in (x_train, x_val, x_test)]
    i64 = [np.ascontiguousarray(a, dtype=np.int64) for a in (y_train, y_val, y_test)]
    mean, std = normalization(f32[0], per_feature=not image)
    return Dataset(
        name=name,
        x_train=f32[0],
        y_train=i64[0],
        x_val=f32[1],
        y_val=i64[1],
        x_test=f32[2],
        y_test=i64[2],
        mean=mean,
        std=std,
        class_names=[str(c) for c in class_names],
        feature_names=[str(f) for f in feature_names],
        description=description,
    )


def split_dataset(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    class_names: Sequence[str],
    cfg: DatasetConfig,
    *,
    image: bool,
    feature_names: Sequence[str] = (),
    description: str = "",
) -> Dataset:
    """Split all of (x, y) into train/val/test with ``cfg``'s seed and fractions, then normalise on train."""
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.int64)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"expected x of shape (n, features) and n labels, got {x.shape} and {y.shape}")
    check_class_counts(y, class_names)
    train, val, test = split_indices(y, int(cfg.seed), float(cfg.val_fraction), float(cfg.test_fraction))
    splits = (x[train], y[train], x[val], y[val], x[test], y[test])
    return build_dataset(
        name, splits, class_names, image=image, feature_names=feature_names, description=description
    )


def split_with_official_test(
    name: str,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    class_names: Sequence[str],
    cfg: DatasetConfig,
    *,
    image: bool,
    feature_names: Sequence[str] = (),
    description: str = "",
) -> Dataset:
    """Keep a dataset's official test set; split validation (``cfg.val_fraction`` of train) from train."""
    x_tr, y_tr = np.asarray(train[0]), np.asarray(train[1], dtype=np.int64)
    check_fractions(float(cfg.val_fraction), 0.0)
    check_class_counts(y_tr, class_names)
    kept, val = _split_off(np.arange(len(y_tr)), y_tr, float(cfg.val_fraction), int(cfg.seed))
    splits = (x_tr[kept], y_tr[kept], x_tr[val], y_tr[val], test[0], test[1])
    return build_dataset(
        name, splits, class_names, image=image, feature_names=feature_names, description=description
    )
