"""mnist: the full 70,000-digit MNIST, from IDX files on disk or downloaded once with torchvision."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from bingo_studio.config import DatasetConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.data.idx import find_idx_set, read_idx_dataset
from bingo_studio.data.mnist5k import pixel_names
from bingo_studio.data.source import DatasetSource
from bingo_studio.data.splits import split_with_official_test
from bingo_studio.errors import UserError

TRAIN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
FILES = TRAIN + TEST
DESCRIPTION = (
    "full MNIST: 70,000 handwritten digits (28x28 = 784 pixels, 0..255), 10 classes; "
    "official 10,000-digit test set; downloaded once with torchvision"
)


def default_root() -> Path:
    return Path.home() / ".cache" / "bingo_studio" / "mnist"


def _root(cfg: DatasetConfig | None) -> Path:
    return Path(cfg.root).expanduser() if cfg is not None and cfg.root else default_root()


def candidate_folders(root: Path) -> list[Path]:
    """Where the four files may be: the root itself, or MNIST/raw below it (torchvision's layout)."""
    return [root, root / "MNIST" / "raw"]


def find_files(root: Path) -> Path | None:
    return find_idx_set(candidate_folders(root), FILES)


def _needs(root: Path) -> str:
    return (
        f"full MNIST needs network access and torchvision (pip install torchvision) to download it, "
        f"or the four files {', '.join(FILES)} (optionally .gz) in {root} or {root / 'MNIST' / 'raw'}"
    )


def download(root: Path) -> Path:
    """Fetch the files with torchvision into ``root/MNIST/raw``; UserError if that cannot work."""
    try:
        torchvision_datasets = importlib.import_module("torchvision.datasets")
    except ImportError as exc:
        raise UserError(f"MNIST files are not in {root}; {_needs(root)}") from exc
    try:
        root.mkdir(parents=True, exist_ok=True)
        for train in (True, False):
            torchvision_datasets.MNIST(str(root), train=train, download=True)
    except Exception as exc:  # noqa: BLE001 - network, disk and mirror errors all mean the same to the user
        raise UserError(f"downloading MNIST into {root} failed ({exc}); {_needs(root)}") from exc
    folder = find_files(root)
    if folder is None:
        raise UserError(f"torchvision did not leave the MNIST files in {root}; {_needs(root)}")
    return folder


def load(cfg: DatasetConfig) -> Dataset:
    root = _root(cfg)
    folder = find_files(root) or download(root)
    train, test = read_idx_dataset(folder, TRAIN, TEST, 10)
    return split_with_official_test(
        "mnist",
        train,
        test,
        [str(i) for i in range(10)],
        cfg,
        image=True,
        feature_names=pixel_names(train[0].shape[1]),
        description=DESCRIPTION,
    )


def available() -> tuple[bool, str]:
    if find_files(default_root()) is not None:
        return True, ""
    try:
        has_tv = importlib.util.find_spec("torchvision") is not None
    except (ImportError, ValueError):
        has_tv = False
    if has_tv:
        return True, f"downloads about 12 MB into {default_root()} on first use"
    return False, (
        f"needs torchvision (pip install torchvision) and network, or the MNIST files in {default_root()}"
    )


SOURCES = (DatasetSource("mnist", DESCRIPTION, load, available),)
