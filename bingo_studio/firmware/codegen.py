"""C source of a pruned model: only the surviving weights, column by column, in flash.

Each layer is stored column-major (one column per input), so the first layer can take the
features one at a time while they arrive over serial and the input is never kept in RAM. The
positions of a layer's weights are a per-column bitmask or per-column row-index lists,
whichever is smaller for that layer (``size.layer_layout``). The kernel itself is
firmware_templates/bingo_kernel.c; this module writes the tables and the text around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bingo_studio.errors import UserError
from bingo_studio.firmware import size as sizes
from bingo_studio.firmware.quantize import QLayer, QModel, quantize
from bingo_studio.firmware.spec import FirmwareModel, c_string, safe_word
from bingo_studio.package_data import templates_dir

TEMPLATES = templates_dir()
PROTOCOL_FILES = ("bingo_protocol.h", "bingo_protocol.c")
PER_LINE = 16


@dataclass
class EncodedLayer:
    encoding: str  # "bitmask" or "index"
    structure: np.ndarray  # uint8 bitmask bytes, or uint8/uint16 index entries
    nzcols: np.ndarray | None  # uint8, index encoding only
    values: np.ndarray  # int8 or float32 (binary: packed sign bits), column-major order of the surviving weights


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
    if layer.kind == "binary":  # one sign bit a weight, in the same order (1: +1, 0: -1)
        values = np.packbits(values > 0, bitorder="little")
    enc = EncodedLayer(encoding, structure, nzcols, values)
    counted = structure.nbytes + (0 if nzcols is None else nzcols.nbytes)
    assert counted == structure_bytes, (counted, structure_bytes)  # the size model must hold
    return enc


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


def generate_c(model: FirmwareModel | QModel, fmt: str = "int8", scales: str = "layer") -> dict[str, str]:
    """{"bingo_model.h": ..., "bingo_model.c": ...} for ``model`` (a QModel is used as is)."""
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

    wtype, vfmt = ("float", c_float) if q.fmt == "float32" else ("int8_t", str)
    btype, bfmt = ("float", c_float) if q.fmt == "float32" else ("int16_t", str)
    parts = [f"/* bingo_model.c: generated by BINGO Studio. Do not edit.\n{comment}\n */\n"]
    parts.append((TEMPLATES / "bingo_model_prologue.c").read_text())
    b0, b1 = sizes.buffer_floats([layer.n_out for layer in q.layers])
    parts.append(f"\n#define BINGO_BUF0 {b0}\n#define BINGO_BUF1 {b1}\n")
    kinds = [layer.kind for layer in q.layers]
    parts.append(f"#define BINGO_MAM_BUF {sizes.mam_buffer_floats(q)}\n")
    parts.append(f"#define BINGO_HAS_BINARY {1 if 'binary' in kinds else 0}\n\n")
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
        if enc.values.size and layer.kind == "binary":
            parts.append(c_array("uint8_t", p + "val", enc.values))
            ptr["val"] = f"(const bingo_w_t *)(const void *){p}val"
        elif enc.values.size:
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
        elif layer.kind == "binary":
            flags.append("BINGO_BINARY")
        fields = [ptr.get(key, "NULL") for key in ("nzcols", "idx", "val", "colscale", "rowscale")]
        fields += [
            p + "bias",
            c_float(layer.bias_scale),
            str(layer.n_in),
            str(layer.n_out),
            " | ".join(flags) or "0",
        ]
        descriptors.append("    {" + ", ".join(fields) + "}")
    parts.append(
        "\nstatic const bingo_layer_t bingo_layers[BINGO_N_LAYERS] BINGO_ROM = {\n"
        + ",\n".join(descriptors)
        + "\n};\n\n"
    )
    # the labels' UTF-8 text, one literal a label, each ending in its NUL ("\\000": escapes are octal)
    labels = " ".join(c_string(w + "\0") for w in sizes.label_words(q.class_names))
    parts.append(f"const char bingo_name[] BINGO_ROM = {c_string(q.name)};\n")
    parts.append(f"const char bingo_labels[] BINGO_ROM = {labels};\n")
    parts.append(f"const char bingo_info[] BINGO_ROM = {c_string(sizes.info_text(q))};\n\n")
    parts.append((TEMPLATES / "bingo_kernel.c").read_text())
    return {"bingo_model.h": header, "bingo_model.c": "".join(parts)}


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
