"""Flash and RAM of the generated firmware, counted from the tables the generator writes.

The codegen chooses each layer's encoding with ``layer_layout`` below and asserts that the
arrays it emits have exactly the sizes counted here, so this model cannot drift from the C.
Everything is numpy on counts (no C, no compiler): fast enough for a GUI slider.

Definitions used in the report:
  * model flash: every table of bingo_model.c (structure, values, scales, biases, layer
    descriptors) plus its text (name, labels, info line).
  * model RAM: int8 format: two int8 code buffers (hidden layer k writes buffer k % 2; the input
    codes wait in buffer 1 when layer 0 runs by rows), else layer 0's int32 sums, the int32 class
    scores and the cursor; float32: two float buffers and the cursor.
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
from dataclasses import asdict, dataclass, field

import numpy as np

from bingo_studio.boards import BOARDS, Board
from bingo_studio.errors import UserError
from bingo_studio.firmware.quantize import TANH_TABLE, QModel, stored_counts, uniform
from bingo_studio.firmware.spec import FirmwareLayer, FirmwareModel, label_words, safe_word

SMALL_INDEX_ROWS = 128  # rows a one-byte index addresses (7 bits + end-of-column flag)
WIDE_INDEX_ROWS = 32768  # two-byte index: 15 bits + flag
AVR_PTR = 2
ROW_LAYOUTS = ("dense", "bitmask", "index")  # the integer kernel's fast row loops, one a layout


def index_bytes(n_out: int) -> int:
    if n_out > WIDE_INDEX_ROWS:
        raise UserError(
            f"a layer with {n_out} outputs is too wide for the firmware (at most {WIDE_INDEX_ROWS})"
        )
    return 1 if n_out <= SMALL_INDEX_ROWS else 2


def layer_layout(n_in: int, n_out: int, nnz: int, dense_ok: bool = False) -> tuple[str, int]:
    """('dense' | 'bitmask' | 'index', bytes of the position structure) of a layer stored as n_in
    lines of n_out positions: the smallest encoding (ties: dense, then bitmask, the faster ones).

    dense (``dense_ok``: a dense layer the integer kernel runs by rows): every position holds a
    value, so its structure is the zeros it stores; bitmask: n_in * ceil(n_out / 8) bytes; index:
    one bit a line (non-empty?) plus one position a weight (1 or 2 bytes, top bit marking the
    line's last weight).
    """
    if n_in > 65535:
        raise UserError(f"a layer with {n_in} inputs is too wide for the firmware (at most 65535)")
    options = [("dense", n_in * n_out - nnz)] if dense_ok else []
    options += [("bitmask", n_in * ((n_out + 7) // 8)), ("index", (n_in + 7) // 8 + nnz * index_bytes(n_out))]
    return min(options, key=lambda option: option[1])


def descriptor_bytes(ptr_bytes: int, fmt: str = "int8") -> int:
    """sizeof(bingo_layer_t). int8: five table pointers, four int16, four bytes; float32: six
    table pointers, a float, two uint16, one flags byte."""
    raw = 5 * ptr_bytes + 8 + 4 if fmt == "int8" else 6 * ptr_bytes + 4 + 2 + 2 + 1
    return raw if ptr_bytes == AVR_PTR else (raw + 3) // 4 * 4  # AVR packs; 32-bit pads to 4


def cursor_bytes(ptr_bytes: int, fmt: str = "int8", l0_rows: bool = False) -> int:
    raw = 2 if l0_rows else ptr_bytes + 5 if fmt == "int8" else 2 * ptr_bytes + 2
    return raw if ptr_bytes == AVR_PTR else (raw + 3) // 4 * 4


def l0_by_rows(n_features: int, widths: list[int]) -> bool:
    """Whether the integer kernel runs layer 0 row by row too (its input codes kept in buffer 1:
    23 cycles a weight on the simulated Uno against about 37 summing columns into int32 sums in
    RAM) rather than column by column while the features arrive: rows whenever the codes take no
    more RAM than layer 0's int32 sums (4 bytes an output) would."""
    b1 = int_buffer_bytes(widths)[1]
    return max(b1, n_features) - b1 <= 4 * widths[0]


def line_shape(fmt: str, k: int, n_in: int, n_out: int, l0_rows: bool = False) -> tuple[int, int]:
    """(lines, positions a line) as layer k is stored: the integer kernel keeps layer 0 column by
    column (it runs while the features arrive) unless ``l0_rows``, and the others row by row;
    float32 all by column."""
    return (n_out, n_in) if fmt == "int8" and (k > 0 or l0_rows) else (n_in, n_out)


def int_layouts(q: ModelShape | QModel) -> list[tuple[str, int]]:
    """Each layer's (encoding, structure bytes) in the integer kernel: the smallest layout
    (``layer_layout``; dense for dense layers run by rows), except that the dense layers run by
    rows take index lists instead of bitmasks when that costs fewer table bytes than the bitmask
    row loop's code saves (INT_KERNEL_FLASH): the firmware is then smaller, and faster (index
    lists measured 23 cycles a weight on the simulated Uno, the bitmask loop about 45)."""
    shape = q if isinstance(q, ModelShape) else ModelShape.of_qmodel(q)
    rows = shape.l0_rows
    out, swap, extra, index_used = [], [], 0, False
    for k, la in enumerate(shape.layers):
        lines, pos = line_shape("int8", k, la.n_in, la.n_out, rows)
        by_rows = (k > 0 or rows) and la.kind == "dense"
        layout = layer_layout(lines, pos, la.nnz, dense_ok=by_rows)
        if by_rows and layout[0] == "bitmask" and index_bytes(pos) == 1:
            index = (lines + 7) // 8 + la.nnz
            swap.append((k, index))
            extra += index - layout[1]
        index_used |= by_rows and layout[0] == "index"
        out.append(layout)
    saved = INT_KERNEL_FLASH["rows_bitmask"] - (0 if index_used else INT_KERNEL_FLASH["rows_index"])
    if swap and extra < saved:
        for k, index in swap:
            out[k] = ("index", index)
    return out


def int_buffer_bytes(widths: list[int], n_features: int = 0) -> tuple[int, int]:
    """Bytes of the int8 code buffers 0 and 1: hidden layer k (all but the last) writes k % 2;
    ``n_features`` > 0: the input codes wait in buffer 1 (layer 0 by rows)."""
    hidden = widths[:-1]
    b0, b1 = max(hidden[0::2], default=0), max(hidden[1::2] + [n_features], default=0)
    return max(b0, 1), b1  # C has no empty arrays


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
    colscale: int  # floats of per-input multipliers (int8: 1 or n_in on the first layer; 0: none)
    rowscale: int  # int8: requantisation multipliers (int16, 1 or n_out); float32: 0
    kind: str = "dense"  # "mam": max/min reduction; "binary": one bit a stored weight
    colshift: int = 0  # floats of per-input mean a first MAM layer subtracts (0: none)
    intcode: int = 0  # int8 codes of whole-number features 0..K (layer 0 of integer pixels; 0: none)


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

    @property
    def l0_rows(self) -> bool:
        """The integer kernel runs layer 0 by rows (``l0_by_rows``)."""
        return self.fmt == "int8" and l0_by_rows(self.n_features, [layer.n_out for layer in self.layers])

    @classmethod
    def of_qmodel(cls, q: QModel) -> ModelShape:
        layers = [
            LayerShape(
                la.name,
                la.n_in,
                la.n_out,
                la.nnz,
                0 if la.colscale is None else la.colscale.size,
                0 if la.mult is None else la.mult.size,
                la.kind,
                0 if la.colshift is None else la.colshift.size,
                0 if la.intcode is None else la.intcode.size,
            )
            for la in q.layers
        ]
        return cls(q.name, q.fmt, q.scales, q.activation, list(q.class_names), q.metadata, layers)

    @classmethod
    def of_model(cls, fm: FirmwareModel, fmt: str = "int8", scales: str = "layer") -> ModelShape:
        """Counts without building the tables (the same numbers ``quantize`` leads to, faster)."""
        counts = stored_counts(fm, fmt, scales)
        per_feature = not uniform(fm.std)
        int_max = int((fm.metadata.get("calibration") or {}).get("int_max", 0))
        layers = []
        for k, (layer, nnz) in enumerate(zip(fm.layers, counts)):
            col = 0 if (k > 0 or fmt == "float32") else (layer.n_in if per_feature else 1)
            kind = "dense" if (layer.kind == "binary" and fmt == "float32") else layer.kind
            row = 0 if fmt == "float32" else (layer.n_out if scales == "row" or kind == "binary" else 1)
            shift = layer.n_in if (k == 0 and kind == "mam") else 0
            table = int_max + 1 if (k == 0 and fmt == "int8" and int_max and not shift and not per_feature) else 0
            layers.append(LayerShape(layer.name, layer.n_in, layer.n_out, nnz, col, row, kind, shift, table))
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
    for key in ("accuracy", "test_accuracy", "firmware_test_accuracy"):
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
    layouts = int_layouts(q) if q.fmt == "int8" else []
    vbytes = 4 if q.fmt == "float32" else 1
    for k, layer in enumerate(q.layers):
        n_in, n_out, nnz = layer.n_in, layer.n_out, layer.nnz
        if q.fmt == "int8":
            encoding, structure = layouts[k]
        else:
            encoding, structure = layer_layout(n_in, n_out, nnz)
        scale = 4 * (layer.colscale + layer.colshift) + 2 * layer.rowscale + layer.intcode
        if k == 0 and q.fmt == "int8" and q.activation == "tanh":
            scale += TANH_TABLE.size  # the one tanh table counts with layer 0
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
    widths = [layer.n_out for layer in q.layers]
    if q.fmt == "int8":
        shape = q if isinstance(q, ModelShape) else ModelShape.of_qmodel(q)
        rows = shape.l0_rows
        b0, b1 = int_buffer_bytes(widths, q.n_features if rows else 0)
        return (0 if rows else 4 * widths[0]) + b0 + b1 + 4 * widths[-1] + cursor_bytes(ptr_bytes, "int8", rows)
    b0, b1 = buffer_floats(widths)
    kinds = [getattr(layer, "kind", "dense") for layer in q.layers]
    extra = 4 * mam_buffer_floats(q) + (2 if "binary" in kinds else 0)  # running minima; bit counter
    return 4 * (b0 + b1) + cursor_bytes(ptr_bytes, q.fmt) + extra


# kernel code the MAM and binary paths add (avr-gcc -Os, measured on the Uno against the dense
# kernel: a digits 64-32-16-10 model; used for the other boards as an estimate)
KIND_FLASH = {
    "float32": {"mam": 423, "binary": 256},
    # integer kernel, beside INT_KERNEL_FLASH's general row loop: measured on digits models whose
    # layers are all of one kind
    "int8": {"mam": 95, "binary": 0},
}
# integer-kernel code that only some models compile in (avr-gcc -Os on the Uno, measured on digits,
# wine and MNIST-5k models against the board's overhead, which has none of these; used for the other
# boards as an estimate): layer 0 by columns (with index lists; a bitmask adds l0_bitmask), the
# table of whole-number codes, tanh, the general row loop and each fast row loop
INT_KERNEL_FLASH = {
    "l0_columns": 251, "l0_bitmask": 338, "int_table": 21, "tanh": 82, "rows_generic": 1023,
    "rows_dense": 55, "rows_bitmask": 327, "rows_index": 60,
}


def row_loops(q) -> list[str]:
    """The integer kernel's loop for each layer: "columns" (layer 0 while the features arrive), a
    fast row loop of one layout ("dense", "bitmask", "index"), or "generic" (MAM, binary, or
    two-byte indices in a layer run by rows). Each loop a model uses is compiled in, only those."""
    shape = q if isinstance(q, ModelShape) else ModelShape.of_qmodel(q)
    loops = []
    for k, ((layout, _), la) in enumerate(zip(int_layouts(shape), shape.layers)):
        if k == 0 and not shape.l0_rows:
            loops.append("columns")
        elif la.kind != "dense" or layout == "index" and index_bytes(la.n_in) == 2:
            loops.append("generic")
        else:
            loops.append(layout)
    return loops


def row_layouts(q) -> set[str]:
    """The layouts of the dense layers the integer kernel runs by rows (each compiles its own loop)."""
    return set(row_loops(q)) & set(ROW_LAYOUTS)


def rows_generic(q) -> bool:
    """Whether the integer kernel needs its general row loop, compiled in only then."""
    return "generic" in row_loops(q)


def int_kernel_flash(q: ModelShape) -> int:
    extra = INT_KERNEL_FLASH["tanh"] if q.activation == "tanh" else 0
    extra += INT_KERNEL_FLASH["rows_generic"] if rows_generic(q) else 0
    layouts = row_layouts(q)
    extra += sum(INT_KERNEL_FLASH["rows_" + layout] for layout in layouts)
    if not q.l0_rows:
        extra += INT_KERNEL_FLASH["l0_columns"]
        if int_layouts(q)[0][0] == "bitmask":
            extra += INT_KERNEL_FLASH["l0_bitmask"]
    return extra + (INT_KERNEL_FLASH["int_table"] if q.layers[0].intcode else 0)


def mam_buffer_floats(q) -> int:
    """Floats of the running-minimum buffer MAM layers need beside their output buffer."""
    return max((layer.n_out for layer in q.layers if getattr(layer, "kind", "dense") == "mam"), default=0)


def board_fit(report: SizeReport, q: ModelShape, board: Board) -> BoardFit:
    desc = descriptor_bytes(board.ptr_bytes, q.fmt) * len(q.layers)
    flash = board.overhead_flash[q.fmt] + report.table_bytes + desc + report.text_bytes
    if q.activation == "tanh" and q.fmt == "float32":
        flash += board.tanh_flash  # libm's tanhf (the integer kernel uses a table instead)
    for kind in {layer.kind for layer in q.layers}:
        flash += KIND_FLASH[q.fmt].get(kind, 0)
    if q.fmt == "int8":
        flash += int_kernel_flash(q)
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
        descriptor_bytes(AVR_PTR, q.fmt) * len(q.layers),
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
    int_max: int = 0,
) -> SizeReport:
    """``size_report`` from bare arrays (weight (out, in), bias, mask per layer), e.g. a pruning slider.

    Text sizes assume the name "model" and labels 0..K-1 unless ``class_names`` is given;
    ``int_max``: the features are whole numbers 0..int_max (pixels), which get a table of codes.
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
        {"calibration": {"int_max": int_max}},
    )
    return size_report(fm, fmt, scales)
