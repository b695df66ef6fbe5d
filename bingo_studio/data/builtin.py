"""scikit-learn's bundled datasets: digits (8x8 images, the default), iris and wine (tabular)."""

from __future__ import annotations

from functools import cache

import numpy as np

from bingo_studio.config import DatasetConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.data.source import DatasetSource
from bingo_studio.data.splits import split_dataset


@cache
def _bunch(name: str):
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")()


def load_digits(cfg: DatasetConfig) -> Dataset:
    b = _bunch("digits")
    return split_dataset(
        "digits",
        b.data,
        b.target,
        [str(i) for i in range(10)],
        cfg,
        image=True,
        feature_names=list(b.feature_names),
        description=DIGITS.description,
    )


def _tabular(name: str, description: str):
    def load(cfg: DatasetConfig) -> Dataset:
        b = _bunch(name)
        return split_dataset(
            name,
            np.asarray(b.data),
            b.target,
            [str(c) for c in b.target_names],
            cfg,
            image=False,
            feature_names=list(b.feature_names),
            description=description,
        )

    return load


DIGITS = DatasetSource(
    "digits",
    "1,797 handwritten digits as 8x8 images (64 features, values 0..16), 10 classes; "
    "bundled with scikit-learn",
    load_digits,
)
_IRIS = "150 iris flowers, 4 measurements in cm, 3 species; bundled with scikit-learn"
_WINE = "178 wines, 13 chemical measurements, 3 cultivars; bundled with scikit-learn"

SOURCES = (
    DIGITS,
    DatasetSource("iris", _IRIS, _tabular("iris", _IRIS)),
    DatasetSource("wine", _WINE, _tabular("wine", _WINE)),
)
