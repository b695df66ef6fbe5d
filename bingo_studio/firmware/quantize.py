"""Weights as the board stores them, and a numpy twin of the C kernel that checks the generated code.

Two formats. ``int8`` (the default) is integer-only inference, as TFLM/CMSIS-NN int8 do it:
  * weights: int8 codes ``q`` with a symmetric scale per layer (``scales="layer"``, the default)
    or per output row; a surviving weight whose code rounds to 0 is dropped from the tables.
  * input: the board turns raw feature x_j into an int8 code ``t_j = sat(round(x_j * c_j))`` with
    one float32 multiply (by 2 c_j, see ``input_codes``; ``c_j = 1 / (std_j * s_x)``, ``s_x``
    calibrated on the training split), so a raw 0 gives code 0 (skipped once per input where
    layer 0 runs by columns). Whole-number features (pixels 0..255) read their code from a table
    instead. The mean is folded exactly (in real arithmetic) into the first layer's integer bias;
    a first MAM layer subtracts it instead (``colshift``), as max and min are not linear.
  * every layer: int32 accumulator ``v = sum q * t + bias`` (bias int16 << bias_shift), then a
    fixed-point requantisation ``y = sat((sat(v >> pre) * mult + 2^(post-1)) >> post)``, mult an
    int16 (per layer, or per row for per-row and binary scales), the multiply's input clamped to
    uint16 for ReLU layers (a sum <= 0 gives 0) and to int16 otherwise; ``post`` is 16 whenever the
    multipliers allow, so the board takes the product's high half instead of shifting bit by bit.
    Hidden layers give int8 codes (ReLU: 0..127; tanh: a pre-activation code, then a 128-entry
    lookup table). A last layer with one scale for every class is ``raw``: its int32 sums are the
    class scores (the argmax needs no requantisation); with per-row scales it is requantised to
    int16 scores. The board takes the argmax of those integers.
  * activation scales are calibrated on the training split (``calibrate``: max |activation|).
``reference_outputs`` repeats these integer operations, so the host-built C and the simulated Uno
agree with it bit for bit (the one float32 multiply per input is IEEE on every target).

``float32`` keeps float weights and the float kernel for comparison: ``acc[r] += w * t`` column
by column, then ``v = acc + b``, repeated here in the same float32 order.

Layer kinds (spec.KINDS). A MAM layer keeps a running max and min of the products per row
instead of the sum (a zero input is not skipped: its 0 product competes), ``v = mx + mn + bias``
(a row without weights gives the bias). A binary layer (int8 format) stores codes +-1 with its
own per-row scales (one bit a weight in the tables); in float32 format it is stored as its float
weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bingo_studio.errors import UserError
from bingo_studio.firmware.spec import FirmwareModel

FORMATS = ("int8", "float32")
SCALES = ("row", "layer")
_F32 = np.float32
CODE_MAX = 127  # int8 activations and input codes: -127..127 (ReLU outputs 0..127)
SCORE_MAX = 8191  # class scores of a last layer with per-row scales, small enough for a 16-bit post shift
FAST_POST = 16  # requantisation shift taken as the high half of the 32-bit product
TANH_RANGE = 4.0  # a tanh pre-activation code covers -4..4 (tanh(4) = 0.9993)
TANH_TABLE = np.rint(np.tanh(np.arange(CODE_MAX + 1) * (TANH_RANGE / CODE_MAX)) * CODE_MAX).astype(np.int8)


@dataclass
class QLayer:
    name: str
    values: np.ndarray  # (n_out, n_in) int8 codes or float32 weights; 0 = not stored
    colscale: np.ndarray | None  # float32: int8: twice the input code multipliers c_j ((1,) or (n_in,)), layer 0
    rowscale: np.ndarray | None  # float32 weight scale(s), (1,) or (n_out,) (int8 only; the requant is derived)
    bias: np.ndarray  # int16 codes (int8 format: bias << bias_shift in accumulator units) or float32
    bias_scale: float = 1.0  # unused by the int8 kernel (kept 1.0); float32: 1.0
    kind: str = "dense"  # "dense", "mam" or "binary" (int8 codes +-1, stored one bit each)
    colshift: np.ndarray | None = None  # float32 (n_in,): the input mean a first MAM layer subtracts
    # integer requantisation (int8 format): y = sat((sat16(v >> pre) * mult + 2^(post-1)) >> post)
    mult: np.ndarray | None = None  # int16 (1,) or (n_out,)
    pre: int = 0
    post: int = 1
    bias_shift: int = 0
    lo: int = -CODE_MAX
    hi: int = CODE_MAX
    out_scale: float = 1.0  # real value of one output code (before tanh's table)
    tanh: bool = False  # hidden tanh layer: the output code goes through TANH_TABLE
    intcode: np.ndarray | None = None  # layer 0: int8 codes of the raw integers 0..K (see quantize)
    raw: bool = False  # last layer with one scale: its int32 sums are the class scores (no requant)

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
        """float32 format: the bias as the kernel adds it."""
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


# ---- calibration: the ranges the integer codes must cover ------------------------------------------
def _bound_calibration(fmodel: FirmwareModel) -> dict:
    """Ranges from interval bounds when no training data was seen (synthetic models): safe, coarse."""
    mean, std = fmodel.mean.astype(np.float64), fmodel.std.astype(np.float64)
    inp = float(np.max(np.abs(mean / std)) + 4.0)
    hmax, outs = 4.0, []
    for layer in fmodel.layers:
        w = np.abs(layer.masked_weight.astype(np.float64))
        out = float(np.max(w.sum(1) * hmax + np.abs(layer.bias), initial=0.0))
        outs.append(out)
        hmax = out if fmodel.activation == "relu" else 1.0
    return {"input": inp, "layers": outs}


def requant_params(m: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, int, int]:
    """int16 multipliers and (pre, post) shifts so that y = v * m (m > 0 per row) in fixed point.

    ``pre`` makes v >> pre fit the multiply's input wherever y has not saturated yet (so its clamp
    never changes a result): uint16 for ReLU (lo = 0: a sum <= 0 gives 0 before any arithmetic),
    else int16. ``post`` is 16 whenever the multipliers fit int16 with it: the board then takes the
    product's high half (whole bytes; the AVR has no barrel shifter) and the multiplier keeps at
    least (hi + 1) steps. Otherwise (m > 0.5) ``post`` puts the largest multiplier in
    [2^14, 2^15) and the board shifts bit by bit."""
    m = np.asarray(m, dtype=np.float64)
    m_max, m_min = float(m.max()), float(m.min())
    p_max = 65535.0 if lo == 0 else 32767.0
    pre = max(0, math.ceil(math.log2((hi + 1) / (m_min * p_max))))
    post = FAST_POST
    if m_max * 2.0 ** (pre + post) >= 32767.5:
        post = max(1, min(30, 14 - math.floor(math.log2(m_max)) - pre))
    mult = np.clip(np.rint(m * 2.0 ** (pre + post)), 1, 32767).astype(np.int16)
    return mult, pre, post


def requantize(v: np.ndarray, layer: QLayer) -> np.ndarray:
    """The board's requantisation of int32 sums ``v`` (int64 array, samples x rows): the multiply's
    input is v >> pre clamped to uint16 for ReLU (lo = 0), else to int16."""
    mult = layer.mult.astype(np.int64)
    p = np.clip(v >> layer.pre, 0, 65535) if layer.lo == 0 else np.clip(v >> layer.pre, -32768, 32767)
    y = (p * mult + (1 << (layer.post - 1))) >> layer.post
    return np.clip(y, layer.lo, layer.hi)


def _int_bias(bias_acc: np.ndarray) -> tuple[np.ndarray, int]:
    peak = float(np.abs(bias_acc).max(initial=0.0))
    shift = max(0, math.ceil(math.log2(peak / 32767.0))) if peak > 32767 else 0
    return np.clip(np.rint(bias_acc / 2.0**shift), -32767, 32767).astype(np.int16), shift


def quantize(
    fmodel: FirmwareModel, fmt: str = "int8", scales: str = "layer", calibration: dict | None = None
) -> QModel:
    """The tables of ``fmodel`` as the generated C stores them (see the module doc).

    ``calibration`` (``calibrate``'s dict) defaults to the one saved with the model by
    ``FirmwareModel.from_torch``, else interval bounds."""
    _check(fmt, scales)
    if fmt == "float32":
        return _quantize_float(fmodel, scales)
    cal = calibration or fmodel.metadata.get("calibration") or _bound_calibration(fmodel)
    mean = fmodel.mean.astype(np.float64)
    std = fmodel.std.astype(np.float64)
    n = len(fmodel.layers)
    tanh = fmodel.activation == "tanh"
    s_in = max(float(cal["input"]), 1e-12) / CODE_MAX  # real value of one input code
    layers = []
    for k, layer in enumerate(fmodel.layers):
        w = layer.masked_weight.astype(np.float64)
        first, last = k == 0, k == n - 1
        if layer.kind == "binary":  # codes +-1, the row's |w| (its scale) as a per-row scale
            q = np.sign(w).astype(np.int8)
            sw = np.where(q.any(1), np.abs(w).max(axis=1), 1.0)
        else:
            q, sw = int8_codes(w, scales == "row")
        sw_rows = np.broadcast_to(sw, (layer.n_out,)).astype(np.float64)
        colscale = colshift = None
        bias_real = layer.bias.astype(np.float64)
        if first:
            colshift = np.broadcast_to(mean, (layer.n_in,)).astype(_F32) if layer.kind == "mam" else None
            std_cols = std if std.size > 1 else std[:1]
            colscale = (2.0 / (std_cols * s_in)).astype(_F32)  # c2 = 2c: the board rounds u2 = 2u
            if colshift is None:  # x/std = s_in * t, so (x - mean)/std = s_in * t - mean/std
                eff = q.astype(np.float64) * sw_rows[:, None]
                bias_real = bias_real - eff @ np.broadcast_to(mean / std, (layer.n_in,))
        bias_q, bias_shift = _int_bias(bias_real / (sw_rows * s_in))
        if last:
            lo, hi = -SCORE_MAX, SCORE_MAX
            out_scale = max(float(cal["layers"][k]), 1e-12) / (SCORE_MAX - 1)
        elif tanh:
            lo, hi, out_scale = -CODE_MAX, CODE_MAX, TANH_RANGE / CODE_MAX
        else:
            lo, hi = 0, CODE_MAX
            out_scale = max(float(cal["layers"][k]), 1e-12) / CODE_MAX
        m = sw_rows * s_in / out_scale
        raw = last and uniform(m)
        if raw:  # one scale for every class: the int32 sums are the scores (argmax needs no requant)
            mult, pre, post, lo, hi = np.ones(1, np.int16), 0, FAST_POST, -32767 - 1, 32767
            out_scale = float(sw_rows[0] * s_in)
        else:
            mult, pre, post = requant_params(m[:1] if uniform(m) else m, lo, hi)
        layers.append(
            QLayer(
                layer.name, q, colscale, np.asarray(sw, _F32).reshape(-1), bias_q, 1.0, layer.kind, colshift,
                mult, pre, post, bias_shift, lo, hi, out_scale, tanh and not last, raw=raw,
            )
        )
        if first and colshift is None and colscale.size == 1 and int(cal.get("int_max", 0)) > 0:
            # integer features (pixels): the board looks their code up instead of a float multiply
            # and conversion; the table holds exactly what that arithmetic gives
            ints = np.arange(int(cal["int_max"]) + 1, dtype=_F32)[:, None]
            layers[-1].intcode = input_codes(layers[-1], ints)[:, 0].astype(np.int8)
        s_in = 1.0 / CODE_MAX if tanh else out_scale
    meta = {key: val for key, val in fmodel.metadata.items() if key != "calibration"}
    return QModel(fmodel.safe_name, "int8", scales, fmodel.activation, layers, list(fmodel.class_names), meta)


def _quantize_float(fmodel: FirmwareModel, scales: str) -> QModel:
    mean = fmodel.mean.astype(np.float64)
    std = fmodel.std.astype(np.float64)
    layers = []
    for k, layer in enumerate(fmodel.layers):
        w = layer.masked_weight.astype(np.float64)
        bias = layer.bias.astype(np.float64)
        first = k == 0
        kind = "dense" if layer.kind == "binary" else layer.kind  # float weights: the dense kernel
        colshift = None
        if first and kind == "mam":
            colshift = np.broadcast_to(mean, (layer.n_in,)).astype(_F32)
        if first:
            w = w / std  # broadcasts over columns; std is (1,) or (n_in,)
        values = w.astype(_F32)
        if first and colshift is None:
            # mean folded into the bias with the weights the board really applies to raw x
            bias = bias - values.astype(np.float64) @ np.broadcast_to(mean, (layer.n_in,))
        layers.append(QLayer(layer.name, values, None, None, bias.astype(_F32), 1.0, kind, colshift))
    meta = {key: val for key, val in fmodel.metadata.items() if key != "calibration"}
    return QModel(fmodel.safe_name, "float32", scales, fmodel.activation, layers, list(fmodel.class_names), meta)


# ---- the numpy twins of the C kernels -----------------------------------------------------------------
def input_codes(layer: QLayer, x: np.ndarray) -> np.ndarray:
    """int8 input codes of raw features as the board computes them: u2 = x * c2 in float32 (c2 =
    2 c, so u2 = 2u exactly), |u2| >= 2^15 saturates, else round(u) = (trunc(u2) + 1) / 2 in
    magnitude (half away from zero), clamped to +-127."""
    u = x - layer.colshift[None, :] if layer.colshift is not None else x
    c2 = layer.colscale if layer.colscale.size > 1 else layer.colscale[0]
    with np.errstate(over="ignore"):  # a huge x gives inf, as on the board; it saturates below
        u2 = (u.astype(_F32) * c2).astype(_F32)
    big = ~(np.abs(u2) < 2.0**15)  # also inf and NaN (the board tests the exponent bits)
    i = np.trunc(np.where(big, 0, u2)).astype(np.int64)
    t = np.sign(i) * ((np.abs(i) + 1) >> 1)
    t = np.where(big, np.where(np.signbit(u2), -CODE_MAX, CODE_MAX), t)
    return np.clip(t, -CODE_MAX, CODE_MAX)


def _int_sums(layer: QLayer, t: np.ndarray) -> np.ndarray:
    q = layer.values.astype(np.int64)
    if layer.kind != "mam":
        # in float64, where BLAS multiplies: codes of |v| <= 127 sum exactly far beyond any layer's width
        return (t.astype(np.float64) @ q.T.astype(np.float64)).astype(np.int64)
    present = layer.values != 0
    out = np.zeros((t.shape[0], layer.n_out), dtype=np.int64)
    for r in range(layer.n_out):
        cols = np.flatnonzero(present[r])
        if cols.size:
            p = t[:, cols] * q[r, cols][None, :]
            out[:, r] = p.max(1) + p.min(1)
    return out


def _int_outputs(qmodel: QModel, x: np.ndarray) -> np.ndarray:
    t = input_codes(qmodel.layers[0], x)
    for layer in qmodel.layers:
        bias = layer.bias.astype(np.int64) * (1 << layer.bias_shift)
        v = _int_sums(layer, t) + bias[None, :]
        if layer.raw:  # int32 on the board; sums of int8 products and an int16 << shift bias fit
            return v
        y = requantize(v, layer)
        if layer.tanh:
            y = np.sign(y) * TANH_TABLE.astype(np.int64)[np.abs(y)]
        t = y
    return t


def _float_outputs(qmodel: QModel, x: np.ndarray) -> np.ndarray:
    h = x
    for k, layer in enumerate(qmodel.layers):
        t = h - layer.colshift[None, :] if layer.colshift is not None else h
        w = layer.values.astype(_F32)
        if layer.kind == "mam":
            acc = _mam_columns(t, layer.values, w)
        else:
            acc = np.zeros((x.shape[0], layer.n_out), dtype=_F32)
            for j in range(layer.n_in):
                rows = np.flatnonzero(layer.values[:, j])
                if rows.size:
                    acc[:, rows] += t[:, j : j + 1] * w[rows, j][None, :]
        v = acc + layer.bias_values()
        if k < len(qmodel.layers) - 1:
            v = np.maximum(v, _F32(0.0)) if qmodel.activation == "relu" else np.tanh(v)
        h = v.astype(_F32)
    return h


def reference_scores(qmodel: QModel, x_raw: np.ndarray) -> np.ndarray:
    """The last layer's outputs as the board holds them: int16 codes (int8) or float32 (float32)."""
    x = np.atleast_2d(np.asarray(x_raw, dtype=_F32))
    if x.shape[1] != qmodel.n_features:
        raise UserError(f"expected {qmodel.n_features} features, got {x.shape[1]}")
    return _int_outputs(qmodel, x) if qmodel.fmt == "int8" else _float_outputs(qmodel, x)


def reference_outputs(qmodel: QModel, x_raw: np.ndarray) -> np.ndarray:
    """Final-layer outputs (float32, one row a sample) exactly as ``bingo_output`` gives them."""
    s = reference_scores(qmodel, x_raw)
    if qmodel.fmt == "float32":
        return s
    return (s.astype(_F32) * _F32(qmodel.layers[-1].out_scale)).astype(_F32)


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
    return np.argmax(reference_scores(qmodel, x_raw), axis=1)
