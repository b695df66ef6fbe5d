"""Model sizes next to a pruning result: dense, and what the generated firmware really stores.

The sparse figure is the firmware generator's own size model (bingo_studio.firmware.size,
within a few bytes of avr-size), so what the CLI and the slider promise is what gets built.
"""

from __future__ import annotations

import torch
from torch import nn

from bingo_studio.boards import REPORTED_BOARDS
from bingo_studio.data.dataset import Dataset


def size_report(model: nn.Module, dataset: Dataset, masks: dict[str, torch.Tensor] | None = None) -> dict:
    from bingo_studio.firmware.size import size_report as firmware_size
    from bingo_studio.firmware.spec import FirmwareModel

    report = firmware_size(FirmwareModel.from_torch(model, dataset, masks), boards=REPORTED_BOARDS)
    return {
        "dense_float32_bytes": report.dense_float32,
        "dense_int8_bytes": report.dense_int8,
        "sparse_int8_bytes": report.model_flash,  # tables + descriptors + text, int8 values
        "model_ram_bytes": report.model_ram,
        "kept_weights": report.nnz,
        "boards": {
            key: {"fits": fit.fits, "flash": fit.flash, "ram": fit.ram, "flash_over": fit.flash_over,
                  "ram_over": fit.ram_over}
            for key, fit in report.boards.items()
        },
    }
