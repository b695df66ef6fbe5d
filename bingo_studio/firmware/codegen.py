"""C source of a pruned model: only the surviving weights, in flash.

The float32 kernel stores every layer column-major (one column per input), so the first layer
takes the features one at a time while they arrive over serial and the input is never kept in RAM.
The integer kernel (int8 format) stores layers row-major, so each row's sum stays in registers;
its first layer is column-major like the float32 one only when keeping the input's int8 codes would
take more RAM than that layer's int32 sums (``size.l0_by_rows``). The positions of a layer's weights
are a bitmask per line or per-line index lists, whichever is smaller for that layer, or (integer
kernel, dense layers by rows) every value with no positions; see ``size.layer_layout`` and
``size.int_layouts``. The kernels are firmware_templates/bingo_kernel_int.c and
bingo_kernel_float.c; this module writes the tables and the text around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bingo_studio.errors import UserError
from bingo_studio.firmware import size as sizes
from bingo_studio.firmware.quantize import FAST_POST, TANH_TABLE, QLayer, QModel, quantize
from bingo_studio.firmware.spec import FirmwareModel, c_string, safe_word
from bingo_studio.package_data import templates_dir

TEMPLATES = templates_dir()
PROTOCOL_FILES = ("bingo_protocol.h", "bingo_protocol.c")
PREFIX = "bingo_"  # every generated symbol's (Arduino's binary.h defines B1...: never a bare name)
PER_LINE = 16


@dataclass
class EncodedLayer:
    encoding: str  # "bitmask" or "index"
    structure: np.ndarray  # uint8 bitmask bytes, or uint8/uint16 index entries
    nzcols: np.ndarray | None  # uint8, index encoding only
    values: np.ndarray  # float32, column-major order of the surviving weights


def encode_layer(layer: QLayer) -> EncodedLayer:
    stored_t = layer.values.T != 0  # (n_in, n_out): column j's rows
    cols, rows = np.nonzero(stored_t)  # sorted by column, then row: the kernel's walk order
    values = layer.values.T[cols, rows]
    encoding, structure_bytes = sizes.layer_layout(layer.n_in, layer.n_out, len(values))
    nzcols = None
    if encoding == "bitmask":
        structure = np.packbits(stored_t, axis=1, bitorder="little").reshape(-1)
    else:
        wide = sizes.index_bytes(layer.n_out) == 2
        last = np.ones(len(cols), dtype=bool)
        last[:-1] = cols[1:] != cols[:-1]
        flag = 0x8000 if wide else 0x80
        structure = (rows | np.where(last, flag, 0)).astype(np.uint16 if wide else np.uint8)
        nzcols = np.packbits(stored_t.any(axis=1), bitorder="little")
    enc = EncodedLayer(encoding, structure, nzcols, values)
    counted = structure.nbytes + (0 if nzcols is None else nzcols.nbytes)
    assert counted == structure_bytes, (counted, structure_bytes)  # the size model must hold
    return enc


@dataclass
class IntLayerTables:
    encoding: str  # "dense", "bitmask" or "index"
    nz: np.ndarray | None  # uint8 bitmap of the lines holding weights (index encoding)
    entries: np.ndarray  # uint8: positions and values interleaved in walk order (dense: values only)
    sign: np.ndarray | None  # uint8 packed sign bits (binary layers)
    wide: bool


def encode_int_layer(layer: QLayer, columns: bool, layout: tuple[str, int] | None = None) -> IntLayerTables:
    """Tables of the integer kernel: by columns (layer 0 while the features arrive) or by rows, in
    ``layout`` (``size.int_layouts``; default: the smallest for this layer alone)."""
    lines = layer.values.T if columns else layer.values  # (major, minor)
    n_major, n_minor = lines.shape
    stored = lines != 0
    dense_ok = not columns and layer.kind == "dense"
    encoding, structure_bytes = layout or sizes.layer_layout(n_major, n_minor, int(stored.sum()), dense_ok)
    binary = layer.kind == "binary"
    out: list[int] = []
    order: list[int] = []  # the stored values in walk order
    wide = sizes.index_bytes(n_minor) == 2
    nz = None
    if encoding == "dense":  # every value, zeros too
        out = (lines.reshape(-1).astype(np.int64) & 0xFF).tolist()
        order = lines[stored].tolist()
    elif encoding == "bitmask":
        for line, keep in zip(lines, stored):
            for g in range(0, n_minor, 8):
                group = keep[g : g + 8]
                out.append(int(np.packbits(group, bitorder="little")[0]))
                vals = line[g : g + 8][group].tolist()
                order += vals
                if not binary:
                    out += [v & 0xFF for v in vals]
    else:
        nz = np.packbits(stored.any(axis=1), bitorder="little")
        for line, keep in zip(lines, stored):
            pos = np.flatnonzero(keep)
            for i, c in enumerate(pos.tolist()):
                last = i == len(pos) - 1
                if wide:
                    out += [c & 0xFF, (c >> 8) | (0x80 if last else 0)]
                else:
                    out.append(c | (0x80 if last else 0))
                order.append(int(line[c]))
                if not binary:
                    out.append(int(line[c]) & 0xFF)
    entries = np.array(out, dtype=np.uint8)
    sign = np.packbits(np.array(order) > 0, bitorder="little") if binary and order else None
    counted = entries.size + (0 if nz is None else nz.size) - (0 if binary else len(order))
    assert counted == structure_bytes, (counted, structure_bytes)  # the size model must hold
    return IntLayerTables(encoding, nz, entries, sign, wide)


def c_float(v: float) -> str:
    """A float32 as a C literal that reads back to the same bits (9 significant digits)."""
    s = f"{float(np.float32(v)):.9g}"
    if not any(ch in s for ch in ".e"):
        s += ".0"
    return s + "f"


def c_array(ctype: str, name: str, values: np.ndarray, fmt=str) -> str:
    items = [fmt(v) for v in np.asarray(values).reshape(-1).tolist()]
    lines = [", ".join(items[i : i + PER_LINE]) for i in range(0, len(items), PER_LINE)]
    body = ",\n    ".join(lines)
    return f"static const {ctype} {name}[{len(items)}] BINGO_ROM = {{\n    {body}\n}};\n"


def _comment(q: QModel, report: sizes.SizeReport) -> str:
    m = q.metadata
    widths = [q.n_features] + [layer.n_out for layer in q.layers]
    lines = [
        f"model:      {q.name}",
        f"dataset:    {safe_word(m.get('dataset', '') or '-')}",
        f"classes:    {_comment_text(', '.join(sizes.label_words(q.class_names)))}",
        f"layers:     {'-'.join(map(str, widths))}, {q.activation} between layers",
        f"weights:    {report.nnz} of {report.n_weights} kept (sparsity {report.sparsity:.1%}), "
        f"{q.fmt}" + (f" with per-{q.scales} scales" if q.fmt == "int8" else ""),
    ]
    for key in ("accuracy", "test_accuracy", "float_accuracy"):
        if isinstance(m.get(key), (int, float)):
            lines.append(f"{key + ':':<11} {float(m[key]):.4f}")
    lines.append(
        f"flash:      {report.model_flash} B model tables and text (dense float32 {report.dense_float32} B, "
        f"dense int8 {report.dense_int8} B)"
    )
    lines.append(f"RAM:        {report.model_ram} B activations (on an Uno)")
    kind_note = {la.name: f" {la.kind}" for la in q.layers if la.kind != "dense"}
    for layer in report.layers:
        lines.append(
            f"  {layer.name}: {layer.n_in}->{layer.n_out}{kind_note.get(layer.name, '')}, {layer.nnz} weights, "
            f"{layer.encoding}, "
            f"{layer.table_bytes} B"
        )
    return "\n".join(" * " + line for line in lines)


def _comment_text(text: str) -> str:
    """Text for a C comment in an ASCII file: non-ASCII as \\u escapes, no comment end inside."""
    return text.encode("ascii", "backslashreplace").decode().replace("*/", "*\\/")


def _fill(template: str, values: dict[str, str]) -> str:
    for key, val in values.items():
        template = template.replace(f"@@{key}@@", val)
    if "@@" in template:
        raise UserError("internal: an unfilled placeholder in a firmware template")
    return template


def generate_c(model: FirmwareModel | QModel, fmt: str = "int8", scales: str = "layer",
               prefix: str = PREFIX) -> dict[str, str]:
    """{"bingo_model.h": ..., "bingo_model.c": ...} for ``model`` (a QModel is used as is).

    ``prefix`` names every symbol and file (``dig_predict`` in ``dig_model.h`` for "dig_"), so
    several models can share one sketch; the line protocol drives the default ``bingo_`` one."""
    q = model if isinstance(model, QModel) else quantize(model, fmt, scales)
    report = sizes.size_report(q, boards=())
    comment = _comment(q, report)
    header = _fill(
        (TEMPLATES / "bingo_model.h.in").read_text(),
        {
            "COMMENT": comment,
            "N_FEATURES": str(q.n_features),
            "N_CLASSES": str(len(q.class_names)),
            "N_LAYERS": str(len(q.layers)),
            "FMT_FLOAT32": "1" if q.fmt == "float32" else "0",
            "ACT_TANH": "1" if q.activation == "tanh" else "0",
        },
    )

    parts = [f"/* bingo_model.c: generated by BINGO Studio. Do not edit.\n{comment}\n */\n"]
    parts.append((TEMPLATES / "bingo_model_prologue.c").read_text())
    parts += _int_tables(q) if q.fmt == "int8" else _float_tables(q)
    # the labels' UTF-8 text, one literal a label, each ending in its NUL ("\\000": escapes are octal)
    labels = " ".join(c_string(w + "\0") for w in sizes.label_words(q.class_names))
    parts.append(f"const char bingo_name[] BINGO_ROM = {c_string(q.name)};\n")
    parts.append(f"const char bingo_labels[] BINGO_ROM = {labels};\n")
    parts.append(f"const char bingo_info[] BINGO_ROM = {c_string(sizes.info_text(q))};\n\n")
    kernel = "bingo_kernel_int.c" if q.fmt == "int8" else "bingo_kernel_float.c"
    parts.append((TEMPLATES / kernel).read_text())
    files = {"bingo_model.h": header, "bingo_model.c": "".join(parts)}
    return files if prefix == PREFIX else {_prefixed(n, prefix): _prefixed(s, prefix) for n, s in files.items()}


def _prefixed(text: str, prefix: str) -> str:
    """The generated text with its own prefix (``bingo_``/``BINGO_`` names and file names) replaced."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*_", prefix):
        raise UserError(f"a symbol prefix is letters and digits ending in '_', like 'dig_', not '{prefix}'")
    return re.sub(r"\bBINGO_", prefix.upper(), re.sub(r"\bbingo_", prefix, text))


# Kept over the complexity limit: one C table per field of the integer layer descriptor, each optional by
# layer kind; a branch a field reads straighter than a table of emitters
def _int_tables(q: QModel) -> list[str]:  # noqa: C901
    l0 = q.layers[0]
    shape = sizes.ModelShape.of_qmodel(q)
    rows = shape.l0_rows
    b0, b1 = sizes.int_buffer_bytes([layer.n_out for layer in q.layers], q.n_features if rows else 0)
    kinds = {"dense": 0, "mam": 1, "binary": 2}
    tabs = [encode_int_layer(layer, k == 0 and not rows, layout)
            for k, (layer, layout) in enumerate(zip(q.layers, sizes.int_layouts(shape)))]
    layouts = sizes.row_layouts(shape)
    parts = [
        f"\n#define BINGO_BUF0 {b0}\n#define BINGO_BUF1 {b1}\n",
        f"#define BINGO_L0_ROWS {int(rows)}\n",
        "".join(f"#define BINGO_ROWS_{kind.upper()} {int(kind in layouts)}\n" for kind in sizes.ROW_LAYOUTS),
        f"#define BINGO_POST_ANY {int(any(layer.post != FAST_POST for layer in q.layers))}\n",
        f"#define BINGO_L0_OUT {l0.n_out}\n",
        f"#define BINGO_L0_KIND {kinds[l0.kind]}\n",
        f"#define BINGO_L0_BITMASK {1 if tabs[0].encoding == 'bitmask' else 0}\n",
        f"#define BINGO_L0_WIDE {1 if tabs[0].wide else 0}\n",
        f"#define BINGO_PER_FEATURE {1 if l0.colscale.size > 1 else 0}\n",
        f"#define BINGO_ROWS_GENERIC {1 if sizes.rows_generic(q) else 0}\n",
        f"#define BINGO_SCORE_SCALE {c_float(q.layers[-1].out_scale)}\n\n",
    ]
    if l0.colshift is not None:
        parts.append("#define BINGO_COLSHIFT 1\n")
        parts.append(c_array("float", "bingo_colshift", l0.colshift, c_float))
    parts.append(c_array("float", "bingo_colscale", l0.colscale, c_float))
    parts.append(f"#define BINGO_INT_MAX {0 if l0.intcode is None else l0.intcode.size - 1}\n")
    if l0.intcode is not None:
        parts.append(c_array("int8_t", "bingo_intcode", l0.intcode))
    if q.activation == "tanh":
        parts.append(c_array("int8_t", "bingo_tanh", TANH_TABLE))
    descriptors = []
    for k, (layer, tab) in enumerate(zip(q.layers, tabs)):
        p = f"bingo_l{k}_"
        ptr = {}
        if tab.nz is not None:
            parts.append(c_array("uint8_t", p + "nz", tab.nz))
            ptr["nz"] = p + "nz"
        if tab.entries.size:
            parts.append(c_array("uint8_t", p + "ent", tab.entries))
            ptr["ent"] = p + "ent"
        elif k == 0:
            parts.append("#define bingo_l0_ent ((const uint8_t *)0)\n")
        if tab.sign is not None:
            parts.append(c_array("uint8_t", p + "sign", tab.sign))
            ptr["sign"] = p + "sign"
        parts.append(c_array("int16_t", p + "bias", layer.bias))
        parts.append(c_array("int16_t", p + "mult", layer.mult))
        flags = []
        if tab.encoding == "bitmask":
            flags.append("BINGO_BITMASK")
        elif tab.encoding == "dense":
            flags.append("BINGO_DENSE")
        elif tab.wide:
            flags.append("BINGO_WIDE")
        if layer.mult.size > 1:
            flags.append("BINGO_PER_ROW")
        if layer.kind == "mam":
            flags.append("BINGO_MAM")
        elif layer.kind == "binary":
            flags.append("BINGO_BINARY")
        if layer.tanh:
            flags.append("BINGO_TANH")
        if layer.raw:
            flags.append("BINGO_RAW")
        fields = [ptr.get(key, "NULL") for key in ("nz", "ent", "sign")]
        fields += [p + "bias", p + "mult", str(layer.n_in), str(layer.n_out), str(layer.lo), str(layer.hi)]
        fields += [" | ".join(flags) or "0", str(layer.bias_shift), str(layer.pre), str(layer.post)]
        descriptors.append("    {" + ", ".join(fields) + "}")
    parts.append(_descriptor_table(descriptors))
    return parts


def _descriptor_table(descriptors: list[str]) -> str:
    """The layer descriptors (one ``{...}`` initialiser a layer) as the kernel's table."""
    rows = ",\n".join(descriptors)
    return f"\nstatic const bingo_layer_t bingo_layers[BINGO_N_LAYERS] BINGO_ROM = {{\n{rows}\n}};\n\n"


def _float_tables(q: QModel) -> list[str]:
    wtype, vfmt = "float", c_float
    btype, bfmt = "float", c_float
    parts = []
    b0, b1 = sizes.buffer_floats([layer.n_out for layer in q.layers])
    parts.append(f"\n#define BINGO_BUF0 {b0}\n#define BINGO_BUF1 {b1}\n")
    parts.append(f"#define BINGO_MAM_BUF {sizes.mam_buffer_floats(q)}\n\n")
    if q.layers[0].colshift is not None:
        parts.append("#define BINGO_COLSHIFT 1\n")
        parts.append(c_array("float", "bingo_colshift", q.layers[0].colshift, c_float))
    descriptors = []
    for k, layer in enumerate(q.layers):
        enc = encode_layer(layer)
        p = f"bingo_l{k}_"
        ptr = {}
        if enc.nzcols is not None:
            parts.append(c_array("uint8_t", p + "nzcols", enc.nzcols))
            ptr["nzcols"] = p + "nzcols"
        if enc.structure.size:
            ctype = "uint16_t" if enc.structure.dtype == np.uint16 else "uint8_t"
            parts.append(c_array(ctype, p + "idx", enc.structure))
            ptr["idx"] = f"(const uint8_t *){p}idx" if ctype == "uint16_t" else p + "idx"
        if enc.values.size:
            parts.append(c_array(wtype, p + "val", enc.values, vfmt))
            ptr["val"] = p + "val"
        if layer.colscale is not None:
            parts.append(c_array("float", p + "colscale", layer.colscale, c_float))
            ptr["colscale"] = p + "colscale"
        if layer.rowscale is not None:
            parts.append(c_array("float", p + "rowscale", layer.rowscale, c_float))
            ptr["rowscale"] = p + "rowscale"
        parts.append(c_array(btype, p + "bias", layer.bias, bfmt))
        flags = []
        if enc.encoding == "bitmask":
            flags.append("BINGO_BITMASK")
        elif enc.structure.dtype == np.uint16:
            flags.append("BINGO_WIDE")
        if layer.rowscale is not None and layer.rowscale.size > 1:
            flags.append("BINGO_PER_ROW")
        if layer.kind == "mam":
            flags.append("BINGO_MAM")
        fields = [ptr.get(key, "NULL") for key in ("nzcols", "idx", "val", "colscale", "rowscale")]
        fields += [
            p + "bias",
            c_float(layer.bias_scale),
            str(layer.n_in),
            str(layer.n_out),
            " | ".join(flags) or "0",
        ]
        descriptors.append("    {" + ", ".join(fields) + "}")
    parts.append(_descriptor_table(descriptors))
    return parts


def write_sources(
    model: FirmwareModel | QModel,
    out_dir: str | Path,
    fmt: str = "int8",
    scales: str = "layer",
    main: bool = True,
) -> list[Path]:
    """Write the model, the protocol and (``main``) the Arduino main.cpp into ``out_dir``."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in generate_c(model, fmt, scales).items():
            (out / name).write_text(text, encoding="ascii")
            written.append(out / name)
        for name in PROTOCOL_FILES + (("main.cpp",) if main else ()):
            (out / name).write_text((TEMPLATES / name).read_text(), encoding="ascii")
            written.append(out / name)
    except OSError as exc:
        raise UserError(f"cannot write firmware sources to {out}: {exc.strerror or exc}") from exc
    return written
