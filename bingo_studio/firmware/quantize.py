"""Weights as the board stores them, and a numpy twin of the C kernel that checks the generated code.

int8 format: each surviving weight is an int8 code ``q`` with a float scale per layer (the
default, ``scales="layer"``) or per output row (``scales="row"``), symmetric: ``w = q * s``. Per
layer was chosen by measurement (benchmarks/firmware_size.py): on pruned digits and MNIST-5k MLPs
it loses no test accuracy against per-row scales and saves 4 bytes a neuron, which is what
keeps a 95%-sparse MNIST model within 1.15x of the information bound. A surviving weight whose
code rounds to 0 contributes exactly nothing, so it is dropped from the tables.

The board takes RAW features (as in the user's CSV). The input normalisation ``(x - mean)/std``
is folded in, exactly in real arithmetic:
  * ``1/std``: into the first layer's scales when std is one value (images); as a per-feature
    column scale when std differs per feature (tabular), so the int8 codes quantise the weights in
    the normalised space the model was trained in (folding a per-feature std into per-row scales
    would let near-constant features blow up the row's range).
  * ``mean``: into the first layer's bias, computed from the codes actually stored.
Biases are int16 codes with one float scale per layer (int8 format), float32 otherwise.

The C kernel walks each layer column by column (so the first layer can be accumulated while the
features arrive): ``acc[r] += w(q[r][j]) * t_j`` for j in order, then
``v = acc[r] * s_r + b_q[r] * b_s``. ``reference_outputs`` repeats these float32 operations in
the same order, so host-built C and this reference agree bit for bit except where a libm
function (tanhf) differs from numpy's.

Layer kinds (spec.KINDS). A MAM layer keeps a running max and min per row instead of the sum,
``mx[r] = max(mx[r], w(q[r][j]) * t_j)`` (a zero input is not skipped: its 0 product competes),
then ``v = (mx + mn) * s_r + b`` (a row without weights gives b); int8 codes and a positive scale
keep the argmax/argmin of the float layer. Its input mean cannot be folded into the bias (max and
min are not linear), so a first MAM layer subtracts it on the board (``colshift``) before the
column scale. A binary layer (int8 format) stores codes +-1 with its own per-row scales (one bit a
weight in the tables); in float32 format it is stored as its float weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bingo_studio.errors import UserError
from bingo_studio.firmware.spec import FirmwareModel

FORMATS = ("int8", "float32")
SCALES = ("row", "layer")
_F32 = np.float32


@dataclass
class QLayer:
    name: str
    values: np.ndarray  # (n_out, n_in) int8 codes or float32 weights; 0 = not stored
    colscale: np.ndarray | None  # float32 (n_in,) for a per-feature normalisation, else None
    rowscale: np.ndarray | None  # float32 (n_out,) or (1,) in int8; None in float32
    bias: np.ndarray  # int16 codes (int8 format) or float32
    bias_scale: float = 1.0  # float32 value; the bias is bias * bias_scale in int8 format
    kind: str = "dense"  # "dense", "mam" or "binary" (int8 codes +-1, stored one bit each)
    colshift: np.ndarray | None = None  # float32 (n_in,): the input mean a first MAM layer subtracts

    @property
    def n_in(self) -> int:
        return int(self.values.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.values.shape[0])

    @property
    def stored(self) -> np.ndarray:
        return self.values != 0

    @property
    def nnz(self) -> int:
        return int(np.count_nonzero(self.values))

    def bias_values(self) -> np.ndarray:
        """The bias as the kernel computes it (float32 product of the int16 code and the scale)."""
        if self.bias.dtype == np.int16:
            return self.bias.astype(_F32) * _F32(self.bias_scale)
        return self.bias.astype(_F32)


@dataclass
class QModel:
    name: str
    fmt: str
    scales: str
    activation: str
    layers: list[QLayer]
    class_names: list[str]
    metadata: dict = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return self.layers[0].n_in

    @property
    def nnz(self) -> int:
        return sum(layer.nnz for layer in self.layers)


def _check(fmt: str, scales: str) -> None:
    if fmt not in FORMATS:
        raise UserError(f"unknown weight format '{fmt}'; choose one of {', '.join(FORMATS)}")
    if scales not in SCALES:
        raise UserError(f"unknown scale granularity '{scales}'; choose one of {', '.join(SCALES)}")


def uniform(a: np.ndarray) -> bool:
    return bool(np.all(a == a.reshape(-1)[0]))


def int8_codes(w: np.ndarray, per_row: bool) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 codes of ``w`` (already masked) and the float64 scale(s) they use."""
    a = np.abs(w)
    peak = a.max(axis=1) if per_row else np.array([a.max(initial=0.0)])
    scale = np.where(peak > 0, peak / 127.0, 1.0)
    div = scale[:, None] if per_row else scale[0]
    q = np.clip(np.rint(w / div), -127, 127).astype(np.int8)
    return q, scale


def stored_counts(fmodel: FirmwareModel, fmt: str = "int8", scales: str = "layer") -> list[int]:
    """Weights per layer that ``quantize`` would store, without building the tables (size slider)."""
    _check(fmt, scales)
    counts = []
    for k, layer in enumerate(fmodel.layers):
        w = np.where(layer.mask, layer.weight, 0).astype(np.float64)
        if layer.kind == "binary" and fmt == "int8":  # a sign code never rounds to 0
            counts.append(int(np.count_nonzero(w)))
            continue
        if fmt == "float32":
            if k == 0:
                w = w / fmodel.std.astype(np.float64)
            counts.append(int(np.count_nonzero(w.astype(_F32))))
            continue
        a = np.abs(w)
        if scales == "row":
            peak = a.max(axis=1)
            div = np.where(peak > 0, peak / 127.0, 1.0)[:, None]
        else:
            peak = a.max(initial=0.0)
            div = peak / 127.0 if peak > 0 else 1.0
        # rint(x) != 0 exactly when |x| > 0.5 (ties go to even: rint(0.5) == 0)
        counts.append(int(np.count_nonzero(a / div > 0.5)))
    return counts


def quantize(fmodel: FirmwareModel, fmt: str = "int8", scales: str = "layer") -> QModel:
    """The tables of ``fmodel`` as the generated C stores them (see the module doc)."""
    _check(fmt, scales)
    mean = fmodel.mean.astype(np.float64)
    std = fmodel.std.astype(np.float64)
    per_feature = not (uniform(fmodel.std))
    layers = []
    for k, layer in enumerate(fmodel.layers):
        w = layer.masked_weight.astype(np.float64)
        bias = layer.bias.astype(np.float64)
        first = k == 0
        colscale = None
        kind = layer.kind
        if fmt == "float32" and kind == "binary":
            kind = "dense"  # float weights: the dense kernel
        colshift = None
        if first and kind == "mam":
            colshift = np.broadcast_to(mean, (layer.n_in,)).astype(_F32)
        if fmt == "float32":
            if first:
                w = w / std  # broadcasts over columns; std is (1,) or (n_in,)
            values = w.astype(_F32)
            eff = values.astype(np.float64)
            rowscale = None
        else:
            if kind == "binary":  # codes +-1, the row's |w| (its scale) as a per-row scale
                q = np.sign(w).astype(np.int8)
                s = np.where(q.any(1), np.abs(w).max(axis=1), 1.0)
            else:
                q, s = int8_codes(w, scales == "row")
            if first and per_feature:
                colscale = (1.0 / std).astype(_F32)
            elif first:
                s = s / std[0]
            rowscale = s.astype(_F32)
            values = q
            rs = rowscale.astype(np.float64)
            eff = q.astype(np.float64) * (rs[:, None] if rs.size > 1 else rs[0])
            if colscale is not None:
                eff = eff * colscale.astype(np.float64)[None, :]
        if first and colshift is None:
            # mean folded into the bias with the weights the board really applies to raw x
            bias = bias - eff @ np.broadcast_to(mean, (layer.n_in,))
        if fmt == "float32":
            qbias, bscale = bias.astype(_F32), 1.0
        else:
            peak = float(np.abs(bias).max(initial=0.0))
            bscale = float(_F32(peak / 32767.0)) if peak > 0 else 1.0
            qbias = np.clip(np.rint(bias / bscale), -32767, 32767).astype(np.int16)
        layers.append(QLayer(layer.name, values, colscale, rowscale, qbias, bscale, kind, colshift))
    meta = dict(fmodel.metadata)
    return QModel(fmodel.safe_name, fmt, scales, fmodel.activation, layers, list(fmodel.class_names), meta)


def reference_outputs(qmodel: QModel, x_raw: np.ndarray) -> np.ndarray:
    """Final-layer outputs (float32, one row a sample) exactly as the C kernel computes them."""
    x = np.atleast_2d(np.asarray(x_raw, dtype=_F32))
    if x.shape[1] != qmodel.n_features:
        raise UserError(f"expected {qmodel.n_features} features, got {x.shape[1]}")
    h = x
    for k, layer in enumerate(qmodel.layers):
        t = h - layer.colshift[None, :] if layer.colshift is not None else h
        t = t * layer.colscale[None, :] if layer.colscale is not None else t
        w = layer.values.astype(_F32)
        if layer.kind == "mam":
            acc = _mam_columns(t, layer.values, w)
        else:
            acc = np.zeros((x.shape[0], layer.n_out), dtype=_F32)
            for j in range(layer.n_in):
                rows = np.flatnonzero(layer.values[:, j])
                if rows.size:
                    acc[:, rows] += t[:, j : j + 1] * w[rows, j][None, :]
        if layer.rowscale is not None:
            s = layer.rowscale if layer.rowscale.size > 1 else layer.rowscale[0]
            acc = acc * s
        v = acc + layer.bias_values()
        if k < len(qmodel.layers) - 1:
            v = np.maximum(v, _F32(0.0)) if qmodel.activation == "relu" else np.tanh(v)
        h = v.astype(_F32)
    return h


def _mam_columns(t: np.ndarray, values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """mx + mn per row, walking the columns in order as the C kernel does (float32)."""
    n_out = values.shape[0]
    mx = np.full((t.shape[0], n_out), -np.inf, dtype=_F32)
    mn = np.full((t.shape[0], n_out), np.inf, dtype=_F32)
    for j in range(values.shape[1]):
        rows = np.flatnonzero(values[:, j])
        if rows.size:
            p = t[:, j : j + 1] * w[rows, j][None, :]
            mx[:, rows] = np.maximum(mx[:, rows], p)
            mn[:, rows] = np.minimum(mn[:, rows], p)
    empty = ~values.any(1)
    out = mx + mn
    out[:, empty] = 0.0
    return out.astype(_F32)


def reference_predict(qmodel: QModel, x_raw: np.ndarray) -> np.ndarray:
    """Class index per sample, as the board answers (first maximum wins, like the C argmax)."""
    return np.argmax(reference_outputs(qmodel, x_raw), axis=1)
