"""What the firmware generator needs from a trained, pruned model: plain numpy, no torch objects.

A ``FirmwareModel`` is the hand-off between the engine (training, pruning) and the firmware side
(quantisation, C code, size model). It keeps the float weights and the masks separately, so the
size model can be asked "what if this mask?" without retraining, and saves to one .npz file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bingo_studio.errors import UserError

ACTIVATIONS = ("relu", "tanh")
# layer kinds: "dense" sums w*x; "mam" takes max + min of w*x over the surviving connections
# (bingo_studio/models/mam.py); "binary" holds sign(latent) x row scale as its float weights
# (bingo_studio/models/binary.py) and is stored one bit a weight
KINDS = ("dense", "mam", "binary")


@dataclass
class FirmwareLayer:
    name: str
    weight: np.ndarray  # float32 (n_out, n_in), as trained (pruned entries may hold any value)
    bias: np.ndarray  # float32 (n_out,)
    mask: np.ndarray  # bool (n_out, n_in): True = the weight survives pruning
    kind: str = "dense"  # one of KINDS

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])

    @property
    def masked_weight(self) -> np.ndarray:
        return np.where(self.mask, self.weight, 0.0).astype(np.float32)


@dataclass
class FirmwareModel:
    name: str
    layers: list[FirmwareLayer]
    activation: str  # between layers; none after the last one
    mean: np.ndarray  # float32 (n_features,) or (1,): the model sees (x - mean) / std
    std: np.ndarray
    class_names: list[str]
    metadata: dict = field(default_factory=dict)  # dataset, accuracy, sparsity, ...

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise UserError(
                f"the firmware supports activations {', '.join(ACTIVATIONS)}, not '{self.activation}'"
            )
        if not self.layers:
            raise UserError("the model has no layers to export")
        for layer in self.layers:
            if layer.kind not in KINDS:
                raise UserError(f"layer {layer.name} is of kind '{layer.kind}'; the firmware supports {KINDS}")
            if not (np.all(np.isfinite(layer.weight)) and np.all(np.isfinite(layer.bias))):
                raise UserError(f"layer {layer.name} holds NaN or infinite weights: the model is damaged or "
                                "training diverged; nothing was exported")
        for a, b in zip(self.layers[:-1], self.layers[1:]):
            if a.n_out != b.n_in:
                raise UserError(f"layer {b.name} takes {b.n_in} inputs but {a.name} gives {a.n_out}")
        if self.layers[-1].n_out != len(self.class_names):
            raise UserError(
                f"the model has {self.layers[-1].n_out} outputs but {len(self.class_names)} class names"
            )
        self.mean = np.asarray(self.mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(self.std, dtype=np.float32).reshape(-1)
        for what, arr in (("mean", self.mean), ("std", self.std)):
            if arr.shape[0] not in (1, self.n_features):
                raise UserError(
                    f"normalisation {what} has {arr.shape[0]} values for {self.n_features} features"
                )
        if np.any(self.std == 0) or not np.all(np.isfinite(self.std)) or not np.all(np.isfinite(self.mean)):
            raise UserError("normalisation std must be finite and non-zero")

    @property
    def n_features(self) -> int:
        return self.layers[0].n_in

    @property
    def n_classes(self) -> int:
        return self.layers[-1].n_out

    @property
    def n_weights(self) -> int:
        return sum(layer.weight.size for layer in self.layers)

    @property
    def n_kept(self) -> int:
        return int(sum(layer.mask.sum() for layer in self.layers))

    @property
    def sparsity(self) -> float:
        return 1.0 - self.n_kept / self.n_weights

    @property
    def safe_name(self) -> str:
        """The name as one ASCII word, usable in the serial protocol and in C comments."""
        return safe_word(self.name) or "model"

    def with_masks(self, masks: list[np.ndarray]) -> FirmwareModel:
        """The same model with other masks (what the size model's slider asks about)."""
        layers = [
            FirmwareLayer(
                layer.name, layer.weight, layer.bias, np.asarray(m, dtype=bool).reshape(layer.weight.shape),
                layer.kind,
            )
            for layer, m in zip(self.layers, masks)
        ]
        return FirmwareModel(
            self.name, layers, self.activation, self.mean, self.std, self.class_names, dict(self.metadata)
        )

    def float_predict(self, x_raw: np.ndarray) -> np.ndarray:
        """Class indices of the float pruned model (the accuracy the quantised one is compared to)."""
        h = (np.asarray(x_raw, dtype=np.float64) - self.mean) / self.std
        for k, layer in enumerate(self.layers):
            if layer.kind == "mam":
                h = mam_reduce(h, layer.masked_weight.astype(np.float64), layer.mask) + layer.bias
            else:
                h = h @ layer.masked_weight.astype(np.float64).T + layer.bias
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0) if self.activation == "relu" else np.tanh(h)
        return np.argmax(h, axis=1)

    @classmethod
    def from_torch(
        cls, model, dataset, masks: dict | None = None, meta: dict | None = None, name: str | None = None
    ) -> FirmwareModel:
        """Read an MLP's Linear layers (in order; MAM and binary layers too, by their ``kind``),
        the dataset's normalisation and class names.

        ``masks``: layer name -> tensor/array shaped like the weight (nonzero = keep). Without it
        a ``torch.nn.utils.prune`` mask on the layer is used if present, else the weights'
        zeros count as pruned.
        """
        import torch
        from torch import nn

        layers = []
        for lname, module in model.named_modules():
            kind = "dense" if isinstance(module, nn.Linear) else getattr(module, "kind", None)
            if kind not in KINDS:
                continue
            with torch.no_grad():
                # a binary layer exports its effective weights sign(latent) x scale
                src = module.binary_weight() if kind == "binary" else module.weight
                w = src.detach().cpu().float().numpy().copy()
                b = (
                    module.bias.detach().cpu().float().numpy().copy()
                    if module.bias is not None
                    else np.zeros(w.shape[0], np.float32)
                )
            if masks is not None and lname in masks:
                m = masks[lname]
                m = m.detach().cpu().numpy() if hasattr(m, "detach") else np.asarray(m)
                m = m.reshape(w.shape) != 0
            elif hasattr(module, "weight_mask"):
                m = module.weight_mask.detach().cpu().numpy() != 0
            else:
                m = w != 0
            layers.append(FirmwareLayer(lname, w, b, m, kind))
        if not layers:
            raise UserError("the model has no Linear layers; only MLPs can be exported to firmware")
        act = getattr(model, "activation", None)
        if act is None:
            act = "tanh" if any(isinstance(m, nn.Tanh) for m in model.modules()) else "relu"
        meta = dict(meta or {})
        meta.setdefault("dataset", getattr(dataset, "name", ""))
        fm = cls(
            name or meta.get("name") or getattr(dataset, "name", "model"),
            layers,
            act,
            dataset.mean,
            dataset.std,
            list(dataset.class_names),
            meta,
        )
        fm.metadata.setdefault("sparsity", round(fm.sparsity, 4))
        x_train = getattr(dataset, "x_train", None)
        if x_train is not None and len(x_train):  # activation ranges for the integer firmware
            fm.metadata["calibration"] = calibrate(fm, x_train)
        return fm

    # ---- persistence: one .npz holding arrays plus a JSON header -------------------------------
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        arrays = {"mean": self.mean, "std": self.std}
        for k, layer in enumerate(self.layers):
            arrays[f"w{k}"], arrays[f"b{k}"], arrays[f"m{k}"] = layer.weight, layer.bias, layer.mask
        header = {
            "name": self.name,
            "activation": self.activation,
            "class_names": self.class_names,
            "metadata": self.metadata,
            "layer_names": [la.name for la in self.layers],
            "layer_kinds": [la.kind for la in self.layers],
        }
        np.savez_compressed(path, header=np.array(json.dumps(header, default=str)), **arrays)
        return path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> FirmwareModel:
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(str(z["header"]))
                kinds = header.get("layer_kinds") or ["dense"] * len(header["layer_names"])
                layers = [
                    FirmwareLayer(n, z[f"w{k}"], z[f"b{k}"], z[f"m{k}"].astype(bool), kinds[k])
                    for k, n in enumerate(header["layer_names"])
                ]
                return cls(
                    header["name"],
                    layers,
                    header["activation"],
                    z["mean"],
                    z["std"],
                    header["class_names"],
                    header.get("metadata", {}),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise UserError(f"cannot read firmware model {path}: {exc}") from exc


def mam_reduce(h: np.ndarray, w: np.ndarray, present: np.ndarray) -> np.ndarray:
    """max_i(w_ji h_i) + min_i(w_ji h_i) over present connections (0 for a row without any)."""
    out = np.zeros((h.shape[0], w.shape[0]))
    step = max(1, (1 << 22) // max(1, w.size))  # samples a chunk: (chunk, out, in) products
    for c in range(0, h.shape[0], step):
        p = h[c : c + step, None, :] * w[None, :, :]
        hi = np.where(present[None], p, -np.inf).max(-1)
        lo = np.where(present[None], p, np.inf).min(-1)
        out[c : c + step] = np.where(present.any(1)[None], hi + lo, 0.0)
    return out


LABEL_BYTES = 32  # bytes of one label in the firmware's table (UTF-8)


def _label_char(ch: str) -> str:
    """A character as the board prints it: itself, or %XX per UTF-8 byte for those the line
    protocol gives a meaning (space and comma separate, % escapes, = names a field, control chars)."""
    if ch in " ,%=" or ord(ch) < 0x20 or ord(ch) == 0x7F:
        return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
    return ch


def label_words(class_names: list[str]) -> list[str]:
    """Each class name as one word of the protocol (``pred 3 <word> ...``, ``labels=a,b``): its UTF-8
    text, reserved characters %-escaped (so "a b" and "a_b" stay apart), at most LABEL_BYTES bytes;
    a word taken already or empty gets ``~<class index>``. ``label_text`` reads a word back."""
    words: list[str] = []
    for i, name in enumerate(class_names):
        word = ""
        for ch in str(name):
            piece = _label_char(ch)
            if len((word + piece).encode("utf-8")) > LABEL_BYTES - 4:  # room for a ~index suffix
                break
            word += piece
        if not word or word in words:
            word = f"{word}~{i}"
            while word in words:  # a real label spelled like the suffixed one
                word += f"~{i}"
        words.append(word)
    return words


def label_text(word: str) -> str:
    """The class name a board's label word stands for (undoes the %-escapes of ``label_words``)."""
    from urllib.parse import unquote

    return unquote(word)


def c_string(text: str) -> str:
    """A C string literal of ``text``'s UTF-8 bytes, plain ASCII as is, every other byte as a
    three-digit octal escape (never a hex escape, which would swallow a following digit)."""
    out = []
    for b in text.encode("utf-8"):
        ch = chr(b)
        out.append(ch if 0x20 <= b < 0x7F and ch not in '"\\?' else f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def safe_word(text: str, limit: int = 40) -> str:
    """ASCII letters, digits and ._- only, others as '_' (labels and names travel over serial)."""
    return re.sub(r"[^A-Za-z0-9._\-]", "_", str(text))[:limit]


INT_TABLE_MAX = 255  # raw features that are all integers 0..255 (pixels) get a table of their codes


def calibrate(fmodel: FirmwareModel, x_raw: np.ndarray) -> dict:
    """Max |value| on ``x_raw`` (the training split) of the first layer's input as the board codes
    it (x/std, or (x-mean)/std before a first MAM layer) and of every layer's output (float model).
    """
    x = np.asarray(x_raw, dtype=np.float64)
    mean, std = fmodel.mean.astype(np.float64), fmodel.std.astype(np.float64)
    first_mam = fmodel.layers[0].kind == "mam"
    coded = (x - mean) / std if first_mam else x / std
    h = (x - mean) / std
    outs = []
    for k, layer in enumerate(fmodel.layers):
        w = layer.masked_weight.astype(np.float64)
        h = (mam_reduce(h, w, layer.mask) if layer.kind == "mam" else h @ w.T) + layer.bias
        outs.append(float(np.abs(h).max(initial=0.0)))
        if k < len(fmodel.layers) - 1:
            h = np.maximum(h, 0.0) if fmodel.activation == "relu" else np.tanh(h)
    whole = bool(x.size) and x.min() >= 0 and x.max() <= INT_TABLE_MAX and np.all(x == np.rint(x))
    return {"input": float(np.abs(coded).max(initial=0.0)), "layers": outs, "int_max": int(x.max()) if whole else 0}
