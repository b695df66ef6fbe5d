"""IDX files (the MNIST format): a 4-byte magic (0, 0, dtype code, number of dims), the dims as
big-endian uint32, then the values in C order, big-endian. Plain or gzip-compressed.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bingo_studio.errors import UserError

# dtype code -> big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
MAX_DIMS = 16


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """The array stored in IDX bytes (native byte order); UserError naming ``name`` if they are not valid."""
    if len(data) < 4:
        raise UserError(f"{name} is not an IDX file: only {len(data)} bytes, too short for the header")
    zero, code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00":
        raise UserError(f"{name} is not an IDX file: its first two bytes are not zero (bad magic number)")
    if code not in IDX_DTYPES:
        raise UserError(f"{name} is not a valid IDX file: unknown data type code 0x{code:02x}")
    if not 1 <= ndim <= MAX_DIMS:
        raise UserError(f"{name} is not a valid IDX file: it claims {ndim} dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise UserError(f"{name} is truncated: the header needs {header} bytes, the file has {len(data)}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual < expected:
        raise UserError(
            f"{name} is truncated: shape {dims} needs {expected} bytes of data, the file has {actual}"
        )
    if actual > expected:
        raise UserError(
            f"{name} is corrupt: shape {dims} needs {expected} bytes of data, the file has {actual}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    """Parse one IDX file, gzip-compressed or not (detected from its content, not its name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise UserError(f"IDX file {path} does not exist") from exc
    except OSError as exc:
        raise UserError(f"cannot read IDX file {path}: {exc.strerror or exc}") from exc
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UserError(f"{path} is a truncated or corrupt gzip file ({exc})") from exc
    return parse_idx(raw, str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes for ``array`` (uint8, int8, int16, int32, float32 or float64)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    head = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    return head + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as IDX; gzip-compressed when ``path`` ends in .gz."""
    path = Path(path)
    data = encode_idx(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def find_idx(folder: str | Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists (plain first)."""
    for name in (stem, stem + ".gz"):
        p = Path(folder) / name
        if p.is_file():
            return p
    return None


def find_idx_set(folders: Sequence[str | Path], stems: Sequence[str]) -> Path | None:
    """The first folder holding every one of ``stems`` (plain or .gz), or None."""
    for folder in folders:
        if all(find_idx(folder, s) for s in stems):
            return Path(folder)
    return None


def read_image_label_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """(x (n, rows*cols) as stored, y int64 (n,)) from an idx3 images file and its idx1 labels file."""
    x = read_idx(images)
    y = read_idx(labels)
    if x.ndim != 3:
        raise UserError(f"{images} should hold images (3 dimensions), it has shape {x.shape}")
    if y.ndim != 1:
        raise UserError(f"{labels} should hold labels (1 dimension), it has shape {y.shape}")
    if len(x) != len(y):
        raise UserError(f"{images} has {len(x)} images but {labels} has {len(y)} labels")
    return x.reshape(len(x), -1), y.astype(np.int64)


def read_idx_dataset(folder: Path, train_stems: tuple[str, str], test_stems: tuple[str, str], n_classes: int):
    """((x_train, y_train), (x_test, y_test)) from a folder with the four files, labels checked."""
    out = []
    for images, labels in (train_stems, test_stems):
        x, y = read_image_label_pair(find_idx(folder, images), find_idx(folder, labels))
        if len(y) and (y.min() < 0 or y.max() >= n_classes):
            raise UserError(f"labels in {find_idx(folder, labels)} should be 0..{n_classes - 1}")
        out.append((x, y))
    return out[0], out[1]
