"""Datasets: a registry of sources, each returning the same ``Dataset`` with fixed seeded splits.

Add a source by writing a module with a ``SOURCES`` tuple and listing it in ``_MODULES``.
"""

from __future__ import annotations

from bingo_studio.config import DatasetConfig
from bingo_studio.data import builtin, csv_import, fashion, mnist, mnist5k
from bingo_studio.data.dataset import Dataset
from bingo_studio.data.source import DatasetSource
from bingo_studio.errors import UserError

_MODULES = (builtin, mnist5k, fashion, mnist, csv_import)

DATASETS: dict[str, DatasetSource] = {s.name: s for m in _MODULES for s in m.SOURCES}


def get_source(name: str) -> DatasetSource:
    try:
        return DATASETS[name]
    except KeyError:
        raise UserError(f"unknown dataset '{name}'; choose one of {', '.join(DATASETS)}") from None


def load_dataset(cfg: DatasetConfig) -> Dataset:
    """The dataset ``cfg`` names, split with its seed and fractions ("csv" reads cfg.csv_path/cfg.label)."""
    return get_source(cfg.name).load(cfg)


def list_datasets() -> list[dict]:
    """One dict a source for the CLI's ``datasets`` command: name, description, available, reason."""
    out = []
    for source in DATASETS.values():
        ok, reason = source.available()
        out.append(
            {"name": source.name, "description": source.description, "available": ok, "reason": reason}
        )
    return out


__all__ = ["DATASETS", "Dataset", "DatasetSource", "get_source", "list_datasets", "load_dataset"]
