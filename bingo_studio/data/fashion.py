"""fashion-mnist: Zalando's 70,000 clothing images, from the Debian package dataset-fashion-mnist."""

from __future__ import annotations

from pathlib import Path

from bingo_studio.config import DatasetConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.data.idx import find_idx_set, read_idx_dataset
from bingo_studio.data.mnist5k import pixel_names
from bingo_studio.data.source import DatasetSource
from bingo_studio.data.splits import split_with_official_test
from bingo_studio.errors import UserError

DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEFAULT_FOLDER = Path("/usr/share/datasets/fashion-mnist")
TRAIN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
DESCRIPTION = (
    "Fashion-MNIST: 70,000 clothing images (28x28 = 784 pixels, 0..255), 10 classes; "
    "official 10,000-image test set"
)


def _folder(cfg: DatasetConfig | None = None, folder: str | Path | None = None) -> Path:
    if folder is not None:
        return Path(folder)
    if cfg is not None and cfg.root:
        return Path(cfg.root).expanduser()
    return DEFAULT_FOLDER


def available(folder: str | Path | None = None) -> tuple[bool, str]:
    where = _folder(folder=folder)
    if find_idx_set([where], TRAIN + TEST) is None:
        return False, f"install the Debian package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE})"
    return True, ""


def load(cfg: DatasetConfig, folder: str | Path | None = None) -> Dataset:
    """Official train/t10k files; validation is ``cfg.val_fraction`` of train, seeded and stratified."""
    where = _folder(cfg, folder)
    if find_idx_set([where], TRAIN + TEST) is None:
        raise UserError(
            f"fashion-mnist files are not in {where}; install the Debian package {DEBIAN_PACKAGE} "
            f"(sudo apt-get install {DEBIAN_PACKAGE})"
        )
    train, test = read_idx_dataset(where, TRAIN, TEST, len(CLASS_NAMES))
    return split_with_official_test(
        "fashion-mnist",
        train,
        test,
        CLASS_NAMES,
        cfg,
        image=True,
        feature_names=pixel_names(train[0].shape[1]),
        description=DESCRIPTION,
    )


SOURCES = (DatasetSource("fashion-mnist", DESCRIPTION, load, available),)
