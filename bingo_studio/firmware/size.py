"""Flash and RAM of the generated firmware, counted from the tables the generator writes.

The codegen chooses each layer's encoding with ``layer_layout`` below and asserts that the
arrays it emits have exactly the sizes counted here, so this model cannot drift from the C.
Everything is numpy on counts (no C, no compiler): fast enough for a GUI slider.

Definitions used in the report:
  * model flash: every table of bingo_model.c (structure, values, scales, biases, layer
    descriptors) plus its text (name, labels, info line).
  * model RAM: the two activation buffers (float32, layer k writes buffer k % 2) and the cursor.
  * dense float32: every weight and bias as float32; dense int8: weights int8, biases float32.
  * information bound: ``nnz * (8 + index bits)`` bits, where a weight's index bits are
    ceil(log2(min(n_in, n_out))) of its layer: the bits that name its position within the
    shorter of its row and column (the cheapest per-row/per-column index list). It leaves out
    biases, scales and list boundaries, so a sparse format sits a little above it; it is not a
    strict lower bound (on denser layers a bitmask costs less than index bits).
  * entropy bound: ``8 * nnz + log2(C(n_in * n_out, nnz))`` bits per layer, the least any
    format can spend on int8 values plus which positions survive.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bingo_studio.boards import BOARDS, Board
from bingo_studio.errors import UserError
from bingo_studio.firmware.quantize import QModel, stored_counts, uniform
from bingo_studio.firmware.spec import FirmwareLayer, FirmwareModel, label_words, safe_word

SMALL_INDEX_ROWS = 128  # rows a one-byte index addresses (7 bits + end-of-column flag)
WIDE_INDEX_ROWS = 32768  # two-byte index: 15 bits + flag
AVR_PTR = 2


def index_bytes(n_out: int) -> int:
    if n_out > WIDE_INDEX_ROWS:
        raise UserError(
            f"a layer with {n_out} outputs is too wide for the firmware (at most {WIDE_INDEX_ROWS})"
        )
    return 1 if n_out <= SMALL_INDEX_ROWS else 2


def layer_layout(n_in: int, n_out: int, nnz: int) -> tuple[str, int]:
    """('bitmask' | 'index', bytes of the position structure): the smaller of the two encodings.

    bitmask: n_in * ceil(n_out / 8) bytes; index: one bit a column (non-empty?) plus one row
    index a weight (1 or 2 bytes, top bit marking the column's last weight).
    """
    if n_in > 65535:
        raise UserError(f"a layer with {n_in} inputs is too wide for the firmware (at most 65535)")
    bitmask = n_in * ((n_out + 7) // 8)
    index = (n_in + 7) // 8 + nnz * index_bytes(n_out)
    return ("bitmask", bitmask) if bitmask <= index else ("index", index)


def descriptor_bytes(ptr_bytes: int) -> int:
    """sizeof(bingo_layer_t): six table pointers, a float, two uint16, one flags byte."""
    raw = 6 * ptr_bytes + 4 + 2 + 2 + 1
    return raw if ptr_bytes == AVR_PTR else (raw + 3) // 4 * 4  # AVR packs; 32-bit pads to 4


def cursor_bytes(ptr_bytes: int) -> int:
    raw = 2 * ptr_bytes + 2
    return raw if ptr_bytes == AVR_PTR else (raw + 3) // 4 * 4


def buffer_floats(widths: list[int]) -> tuple[int, int]:
    """Floats in activation buffers 0 and 1 (layer k of out-widths ``widths`` writes k % 2)."""
    return max(widths[0::2], default=0), max(widths[1::2], default=0)


# ---- text the firmware prints: built here so sizes and code use the same strings ----------------
@dataclass
class LayerShape:
    name: str
    n_in: int
    n_out: int
    nnz: int  # weights stored
    colscale: int  # floats of per-input scale (0: none)
    rowscale: int  # floats of per-row/per-layer scale (0: none)
    kind: str = "dense"  # "mam": max/min reduction; "binary": one bit a stored weight
    colshift: int = 0  # floats of per-input mean a first MAM layer subtracts (0: none)


@dataclass
class ModelShape:
    """What the size model needs: per-layer counts, the weight format and the printed text."""

    name: str
    fmt: str
    scales: str
    activation: str
    class_names: list[str]
    metadata: dict
    layers: list[LayerShape]

    @property
    def n_features(self) -> int:
        return self.layers[0].n_in

    @property
    def nnz(self) -> int:
        return sum(layer.nnz for layer in self.layers)

    @property
    def n_weights(self) -> int:
        return sum(layer.n_in * layer.n_out for layer in self.layers)

    @classmethod
    def of_qmodel(cls, q: QModel) -> ModelShape:
        layers = [
            LayerShape(
                la.name,
                la.n_in,
                la.n_out,
                la.nnz,
                0 if la.colscale is None else la.colscale.size,
                0 if la.rowscale is None else la.rowscale.size,
                la.kind,
                0 if la.colshift is None else la.colshift.size,
            )
            for la in q.layers
        ]
        return cls(q.name, q.fmt, q.scales, q.activation, list(q.class_names), q.metadata, layers)

    @classmethod
    def of_model(cls, fm: FirmwareModel, fmt: str = "int8", scales: str = "layer") -> ModelShape:
        """Counts without building the tables (the same numbers ``quantize`` leads to, faster)."""
        counts = stored_counts(fm, fmt, scales)
        per_feature = not uniform(fm.std)
        layers = []
        for k, (layer, nnz) in enumerate(zip(fm.layers, counts)):
            col = layer.n_in if (k == 0 and fmt == "int8" and per_feature) else 0
            kind = "dense" if (layer.kind == "binary" and fmt == "float32") else layer.kind
            row = 0 if fmt == "float32" else (layer.n_out if scales == "row" or kind == "binary" else 1)
            shift = layer.n_in if (k == 0 and kind == "mam") else 0
            layers.append(LayerShape(layer.name, layer.n_in, layer.n_out, nnz, col, row, kind, shift))
        return cls(fm.safe_name, fmt, scales, fm.activation, list(fm.class_names), dict(fm.metadata), layers)


def info_text(shape: ModelShape | QModel) -> str:
    """The line after "info " (one line, space-separated key=value, no commas but in labels)."""
    q = shape if isinstance(shape, ModelShape) else ModelShape.of_qmodel(shape)
    m = q.metadata
    widths = [q.n_features] + [layer.n_out for layer in q.layers]
    total = q.n_weights
    parts = [
        f"model={q.name}",
        f"dataset={safe_word(m.get('dataset', '') or '-')}",
        f"features={q.n_features}",
        f"classes={len(q.class_names)}",
        f"labels={','.join(label_words(q.class_names))}",
        f"format={q.fmt}",
        f"layers={'-'.join(map(str, widths))}",
        f"weights={q.nnz}/{total}",
        f"sparsity={1 - q.nnz / total:.3f}",
    ]
    for key in ("accuracy", "test_accuracy"):
        if isinstance(m.get(key), (int, float)):
            parts.append(f"{key}={float(m[key]):.4f}")
    return " ".join(parts)


def text_bytes(q: ModelShape) -> int:
    labels = sum(len(w.encode()) + 1 for w in label_words(q.class_names)) + 1  # + the literal's own NUL
    return (len(q.name) + 1) + labels + len(info_text(q).encode()) + 1


# ---- the report -----------------------------------------------------------------------------------
@dataclass
class LayerSize:
    name: str
    n_in: int
    n_out: int
    nnz: int
    encoding: str  # "bitmask" or "index"
    structure_bytes: int
    value_bytes: int
    scale_bytes: int
    bias_bytes: int
    bound_bytes: float
    entropy_bytes: float

    @property
    def table_bytes(self) -> int:
        return self.structure_bytes + self.value_bytes + self.scale_bytes + self.bias_bytes


@dataclass
class BoardFit:
    board: str
    flash: int
    flash_limit: int
    ram: int  # static RAM (what avr-size reports as data + bss)
    ram_limit: int
    stack_reserve: int
    measured: bool  # overhead measured with the real toolchain (else a typical figure)

    @property
    def flash_fits(self) -> bool:
        return self.flash <= self.flash_limit

    @property
    def ram_fits(self) -> bool:
        return self.ram + self.stack_reserve <= self.ram_limit

    @property
    def fits(self) -> bool:
        return self.flash_fits and self.ram_fits

    @property
    def flash_over(self) -> int:
        """Bytes of flash to save before it fits (0 when it fits)."""
        return max(0, self.flash - self.flash_limit)

    @property
    def ram_over(self) -> int:
        return max(0, self.ram + self.stack_reserve - self.ram_limit)


@dataclass
class SizeReport:
    fmt: str
    scales: str
    n_weights: int
    nnz: int
    layers: list[LayerSize]
    descriptor_bytes: int  # on the Uno (2-byte pointers)
    text_bytes: int
    model_ram: int  # on the Uno
    dense_float32: int
    dense_int8: int
    boards: dict[str, BoardFit] = field(default_factory=dict)

    @property
    def table_bytes(self) -> int:
        """Weights, positions, scales and biases: the part pruning shrinks."""
        return sum(layer.table_bytes for layer in self.layers)

    @property
    def model_flash(self) -> int:
        """All model bytes in the Uno's flash (tables + layer descriptors + text)."""
        return self.table_bytes + self.descriptor_bytes + self.text_bytes

    @property
    def bound_bytes(self) -> float:
        return sum(layer.bound_bytes for layer in self.layers)

    @property
    def entropy_bytes(self) -> float:
        return sum(layer.entropy_bytes for layer in self.layers)

    @property
    def sparsity(self) -> float:
        return 1.0 - self.nnz / self.n_weights if self.n_weights else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(
            table_bytes=self.table_bytes,
            model_flash=self.model_flash,
            bound_bytes=self.bound_bytes,
            entropy_bytes=self.entropy_bytes,
            sparsity=self.sparsity,
        )
        for key, fit in self.boards.items():
            d["boards"][key].update(
                fits=fit.fits,
                flash_fits=fit.flash_fits,
                ram_fits=fit.ram_fits,
                flash_over=fit.flash_over,
                ram_over=fit.ram_over,
            )
        for i, layer in enumerate(self.layers):
            d["layers"][i]["table_bytes"] = layer.table_bytes
        return d


def _log2_binom(n: int, k: int) -> float:
    if k <= 0 or k >= n:
        return 0.0
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def layer_sizes(q: ModelShape) -> list[LayerSize]:
    out = []
    vbytes = 4 if q.fmt == "float32" else 1
    for layer in q.layers:
        n_in, n_out, nnz = layer.n_in, layer.n_out, layer.nnz
        encoding, structure = layer_layout(n_in, n_out, nnz)
        scale = 4 * (layer.colscale + layer.rowscale + layer.colshift)
        binary = layer.kind == "binary"
        bias = n_out * (2 if q.fmt == "int8" else 4)
        idx_bits = math.ceil(math.log2(max(2, min(n_in, n_out))))
        out.append(
            LayerSize(
                layer.name,
                n_in,
                n_out,
                nnz,
                encoding,
                structure,
                (nnz + 7) // 8 if binary else nnz * vbytes,
                scale,
                bias,
                nnz * ((1 if binary else 8) + idx_bits) / 8,
                ((1 if binary else 8) * nnz + _log2_binom(n_in * n_out, nnz)) / 8,
            )
        )
    return out


def model_ram(q: ModelShape | QModel, ptr_bytes: int = AVR_PTR) -> int:
    b0, b1 = buffer_floats([layer.n_out for layer in q.layers])
    kinds = [getattr(layer, "kind", "dense") for layer in q.layers]
    extra = 4 * mam_buffer_floats(q) + (2 if "binary" in kinds else 0)  # running minima; bit counter
    return 4 * (b0 + b1) + cursor_bytes(ptr_bytes) + extra


# kernel code the MAM and binary paths add (avr-gcc -Os, measured on the Uno against the dense
# kernel: a digits 64-32-16-10 model; used for the other boards as an estimate)
KIND_FLASH = {"mam": 423, "binary": 256}


def mam_buffer_floats(q) -> int:
    """Floats of the running-minimum buffer MAM layers need beside their output buffer."""
    return max((layer.n_out for layer in q.layers if getattr(layer, "kind", "dense") == "mam"), default=0)


def board_fit(report: SizeReport, q: ModelShape, board: Board) -> BoardFit:
    desc = descriptor_bytes(board.ptr_bytes) * len(q.layers)
    flash = board.overhead_flash[q.fmt] + report.table_bytes + desc + report.text_bytes
    if q.activation == "tanh":
        flash += board.tanh_flash
    for kind in {layer.kind for layer in q.layers}:
        flash += KIND_FLASH.get(kind, 0)
    ram = board.overhead_ram + model_ram(q, board.ptr_bytes)
    return BoardFit(
        board.key,
        flash,
        board.flash_bytes,
        ram,
        board.ram_bytes,
        board.stack_reserve,
        board.overhead_measured,
    )


def size_report(
    model: FirmwareModel | QModel,
    fmt: str = "int8",
    scales: str = "layer",
    boards: tuple[str, ...] | None = None,
) -> SizeReport:
    """Sizes of ``model`` as firmware (a QModel is taken as is; fmt/scales then come from it)."""
    q = ModelShape.of_qmodel(model) if isinstance(model, QModel) else ModelShape.of_model(model, fmt, scales)
    n_weights = q.n_weights
    n_bias = sum(layer.n_out for layer in q.layers)
    report = SizeReport(
        q.fmt,
        q.scales,
        n_weights,
        q.nnz,
        layer_sizes(q),
        descriptor_bytes(AVR_PTR) * len(q.layers),
        text_bytes(q),
        model_ram(q),
        4 * (n_weights + n_bias),
        n_weights + 4 * n_bias,
    )
    for key in boards if boards is not None else tuple(BOARDS):
        report.boards[key] = board_fit(report, q, BOARDS[key])
    return report


def size_report_arrays(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    masks: list[np.ndarray],
    n_features: int,
    fmt: str = "int8",
    scales: str = "layer",
    class_names: list[str] | None = None,
    per_feature_std: bool = False,
    activation: str = "relu",
) -> SizeReport:
    """``size_report`` from bare arrays (weight (out, in), bias, mask per layer), e.g. a pruning slider.

    Text sizes assume the name "model" and labels 0..K-1 unless ``class_names`` is given.
    """
    layers = [
        FirmwareLayer(
            f"fc{k}",
            np.asarray(w, np.float32),
            np.asarray(b, np.float32),
            np.asarray(m).reshape(np.shape(w)) != 0,
        )
        for k, (w, b, m) in enumerate(zip(weights, biases, masks))
    ]
    n_classes = layers[-1].n_out
    std = np.linspace(1.0, 2.0, n_features, dtype=np.float32) if per_feature_std else np.ones(1, np.float32)
    fm = FirmwareModel(
        "model",
        layers,
        activation,
        np.zeros(1, np.float32),
        std,
        list(class_names or [str(i) for i in range(n_classes)]),
    )
    return size_report(fm, fmt, scales)


# ---- measurement with the real AVR toolchain (tests, benchmarks, recalibrating boards.py) --------
ARDUINO_AVR = Path("/usr/share/arduino/hardware/arduino/avr")
AVR_COMMON = [
    "-mmcu=atmega328p",
    "-DF_CPU=16000000L",
    "-DARDUINO=10807",
    "-DARDUINO_AVR_UNO",
    "-DARDUINO_ARCH_AVR",
    "-DDECIMAL_DIG=__DECIMAL_DIG__",
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
    "-flto",
    "-w",
]
AVR_CXX = ["-std=gnu++11", "-fpermissive", "-fno-exceptions", "-fno-threadsafe-statics"]


def avr_toolchain_missing() -> str | None:
    """Why the Uno firmware cannot be built here with avr-gcc (None: it can)."""
    for tool in ("avr-gcc", "avr-g++", "avr-gcc-ar", "avr-size"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install gcc-avr avr-libc)"
    if not (ARDUINO_AVR / "cores" / "arduino" / "Arduino.h").is_file():
        return f"the Arduino AVR core is missing at {ARDUINO_AVR} (apt-get install arduino-core-avr)"
    return None


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"avr build failed: {' '.join(cmd[:3])} ...\n{proc.stderr[-4000:]}")


def avr_core_archive(work_dir: Path) -> Path:
    """The Arduino core built once into ``work_dir``/core.a (reused by later builds)."""
    archive = work_dir / "core.a"
    if archive.is_file():
        return archive
    core, variant = ARDUINO_AVR / "cores" / "arduino", ARDUINO_AVR / "variants" / "standard"
    inc = [f"-I{core}", f"-I{variant}"]
    objs = []
    (work_dir / "core").mkdir(parents=True, exist_ok=True)
    for src in sorted(core.iterdir()):
        obj = work_dir / "core" / (src.name + ".o")
        if src.suffix == ".c":
            _run(["avr-gcc", "-std=gnu11", *AVR_COMMON, *inc, "-c", str(src), "-o", str(obj)])
        elif src.suffix == ".cpp":
            _run(["avr-g++", *AVR_CXX, *AVR_COMMON, *inc, "-c", str(src), "-o", str(obj)])
        elif src.suffix == ".S":
            _run(["avr-gcc", "-x", "assembler-with-cpp", *AVR_COMMON, *inc, "-c", str(src), "-o", str(obj)])
        else:
            continue
        objs.append(str(obj))
    tmp = work_dir / "core.a.tmp"
    _run(["avr-gcc-ar", "rcs", str(tmp), *objs])
    tmp.replace(archive)
    return archive


def avr_build(
    src_dir: str | Path, work_dir: str | Path, defines: tuple[str, ...] = ()
) -> tuple[int, int, Path]:
    """Build the Uno firmware in ``src_dir`` with avr-gcc as PlatformIO would; (flash, RAM, ELF).

    flash = text + data and RAM = data + bss of avr-size, the figures PlatformIO prints.
    """
    why = avr_toolchain_missing()
    if why:
        raise UserError(why)
    src_dir, work_dir = Path(src_dir), Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    core = avr_core_archive(work_dir)
    inc = [
        f"-I{ARDUINO_AVR / 'cores' / 'arduino'}",
        f"-I{ARDUINO_AVR / 'variants' / 'standard'}",
        f"-I{src_dir}",
    ]
    defs = [f"-D{d}" for d in defines]
    objs = []
    for src in sorted(src_dir.iterdir()):
        obj = work_dir / (src.name + ".o")
        if src.suffix == ".c":
            _run(["avr-gcc", "-std=gnu11", *AVR_COMMON, *inc, *defs, "-c", str(src), "-o", str(obj)])
        elif src.suffix == ".cpp":
            _run(["avr-g++", *AVR_CXX, *AVR_COMMON, *inc, *defs, "-c", str(src), "-o", str(obj)])
        else:
            continue
        objs.append(str(obj))
    elf = work_dir / "firmware.elf"
    _run(
        [
            "avr-gcc",
            "-mmcu=atmega328p",
            "-Os",
            "-flto",
            "-fuse-linker-plugin",
            "-Wl,--gc-sections",
            "-o",
            str(elf),
            *objs,
            str(core),
            "-lm",
        ]
    )
    out = subprocess.run(["avr-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sec = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\.(\w+)\s+(\d+)", out, re.M)}
    text, data, bss = sec.get("text", 0), sec.get("data", 0), sec.get("bss", 0)
    return text + data, data + bss, elf
