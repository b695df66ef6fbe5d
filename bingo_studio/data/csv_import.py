"""CSV import: the user's own table, one row a sample, numeric feature columns plus one label column.

Rows are numbered as a spreadsheet shows them (1-based, the header is row 1 when there is one), so
an error message points at the cell to fix.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bingo_studio.config import DatasetConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.data.source import DatasetSource
from bingo_studio.data.splits import MIN_PER_CLASS, split_dataset
from bingo_studio.errors import UserError

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
MISSING = {"nan", "na", "n/a", "null", "none", "?", "-"}  # in a feature cell
MISSING_LABELS = {"nan", "null", "?"}  # "none" or "NA" may be a real class
SNIFF_LINES = 50
FLOAT32_MAX = float(np.finfo(np.float32).max)  # features are float32: anything larger becomes inf
MAX_FIELD = 10_000  # characters in one cell: far more than any number, far less than a runaway quote


@dataclass
class CsvTable:
    """A parsed CSV: features and labels (0..C-1) plus what the columns and classes are called."""

    x: np.ndarray  # float32 (n, features)
    y: np.ndarray  # int64 (n,)
    feature_names: list[str]
    class_names: list[str]
    label_name: str
    label_index: int
    has_header: bool
    delimiter: str
    rows: list[int] = field(default_factory=list)  # spreadsheet row number of each sample


def _parse_number(text: str, decimal_comma: bool) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    if decimal_comma and text.count(",") == 1:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return None
    return None


def _is_number(text: str, decimal_comma: bool = True) -> bool:
    v = _parse_number(text.strip(), decimal_comma)
    return v is not None and math.isfinite(v)


def _read_text(path: Path) -> str:
    if not path.exists():
        raise UserError(f"CSV file {path} does not exist")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a CSV file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read CSV file {path}: {exc.strerror or exc}") from exc
    if b"\x00" in raw[:4096]:
        raise UserError(f"{path} looks like a binary file, not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # what spreadsheets on Windows often export
    return text.replace("\r\n", "\n").replace("\r", "\n")  # Windows and old Mac line endings


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number (> 1) of cells,
    preferring the one giving more numeric cells (so "5,1;3,5" is semicolon-separated decimal commas)."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:SNIFF_LINES]
    best, best_score = ",", None
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delim))
        except csv.Error:  # a cell over the csv module's limit: _read_rows names its row
            continue
        widths = [len(r) for r in rows]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(w == widths[0] for w in widths)
        numeric = sum(_is_number(c, decimal_comma=delim != ",") for r in rows for c in r)
        score = (consistent, numeric, widths[0])
        if best_score is None or score > best_score:
            best, best_score = delim, score
    return best


def _read_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, stripped cells) of every non-blank row, as they are read."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            row_no, start = start, reader.line_num + 1
            cells = list(map(str.strip, cells))
            long = next((i for i, c in enumerate(cells) if len(c) > MAX_FIELD), None)
            if long is not None:
                raise UserError(
                    f"row {row_no}, column {long + 1} holds {len(cells[long]):,} characters: not a number or a "
                    f"label (an unclosed quote?)"
                )
            if any(cells):
                yield row_no, cells
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise UserError(f"row {start} holds a cell of more than {csv.field_size_limit():,} characters: "
                            "not a number or a label (an unclosed quote?)") from None
        raise UserError(f"row {start} cannot be read as CSV ({exc})") from None


def _label_index(
    label: str | None, first: list[str], ncols: int, head: list[tuple[int, list[str]]]
) -> tuple[int | None, bool | None]:
    """(index, header?) from the label setting and the first rows; header? is None when undecided."""
    if label is None or str(label).strip() == "":
        return guess_label_column(first, [cells for _, cells in head[1:]]), None
    label = str(label).strip()
    try:
        index: int | None = int(label)
    except ValueError:
        index = None
    folded = [c.casefold() for c in first]
    matches = [i for i, c in enumerate(first) if c == label] or [
        i for i, c in enumerate(folded) if c == label.casefold()
    ]
    # "3" names a column only in a real header; in a headerless file it is a cell value, not a name.
    if matches and (index is None or _looks_like_header(first, matches[0], head)):
        if len(matches) > 1:
            raise UserError(f"column '{label}' appears {len(matches)} times in the header; rename one")
        return matches[0], True
    if index is None:
        return None, None  # a name that is not in the first row
    if not -ncols <= index < ncols:
        raise UserError(
            f"label column index {index} is out of range; the file has {ncols} columns (0..{ncols - 1})"
        )
    return index % ncols, None


def _looks_like_header(first: list[str], label_idx: int, head: list[tuple[int, list[str]]]) -> bool:
    """Most feature cells of the first row are words; or its label cell is a word above numeric labels."""
    feats = [c for i, c in enumerate(first) if i != label_idx]
    words = sum(1 for c in feats if c and not _is_number(c))
    if feats and words * 2 >= len(feats):
        return True
    if label_idx < len(first) and first[label_idx] and not _is_number(first[label_idx]):
        below = [cells[label_idx] for _, cells in head[1:] if label_idx < len(cells)]
        return bool(below) and all(_is_number(c) for c in below if c)
    return False


class _Errors(list):
    """Problems found while reading; ``limit`` stops the scan early once there are enough."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    @property
    def full(self) -> bool:
        return len(self) >= self.limit


def _fill_preview(preview: dict | None, **values) -> None:
    if preview is not None:
        preview.update(values)


def _feature_row(
    cells: list[str], label_idx: int, names: list[str], row_no: int, decimal_comma: bool, errors: _Errors
) -> np.ndarray | None:
    """One row's features as float32; None (and messages in ``errors``) if a cell is not a usable number."""
    feats = cells[:label_idx] + cells[label_idx + 1 :]
    try:
        values = np.array(list(map(float, feats)), dtype=np.float64)  # fast path: all plain numbers
        if np.all(np.abs(values) <= FLOAT32_MAX):  # False for NaN and inf too
            return values.astype(np.float32)
    except ValueError:
        pass
    values = np.empty(len(feats), dtype=np.float64)
    ok = True
    feat_idx = [i for i in range(len(cells)) if i != label_idx]
    for j, (i, cell) in enumerate(zip(feat_idx, feats, strict=True)):
        where = f"row {row_no}, column '{names[i]}'"
        v = _parse_number(cell, decimal_comma)
        if cell == "":
            errors.append(f"{where} is empty; every feature needs a number")
        elif cell.casefold() in MISSING or (v is not None and math.isnan(v)):
            errors.append(f"{where} is a missing value ('{cell}'); fill it in or remove the row")
        elif v is None:
            errors.append(f"{where}: '{cell}' is not a number")
        elif not math.isfinite(v):
            errors.append(f"{where}: '{cell}' is not a finite number")
        elif abs(v) > FLOAT32_MAX:
            errors.append(f"{where}: '{cell}' is too large (beyond float32, about 3.4e38)")
        else:
            values[j] = v
            continue
        ok = False
        if errors.full:
            break
    return values.astype(np.float32) if ok else None


# Kept over the complexity limit: one pass over the rows that names the row and column of every kind of bad
# cell; split, each check would walk the file again
def _parse(path: Path, label: str | None, errors: _Errors, preview: dict | None = None) -> CsvTable | None:  # noqa: C901
    text = _read_text(path)
    delimiter = sniff_delimiter(text)
    decimal_comma = delimiter != ","
    rows = _read_rows(text, delimiter)
    head = list(itertools.islice(rows, SNIFF_LINES))
    if not head:
        raise UserError(f"CSV file {path} is empty")
    first = head[0][1]
    while len(first) > 1 and first[-1] == "":  # empty trailing columns, as spreadsheets export them
        first = first[:-1]
    ncols = len(first)
    _fill_preview(preview, delimiter=delimiter, columns=ncols)
    if ncols < 2:
        raise UserError(
            f"CSV file {path} has only one column; it needs feature columns and a label column "
            f"separated by commas, semicolons or tabs"
        )
    label_idx, has_header = _label_index(label, first, ncols, head)
    if label_idx is None:
        header_guess = _looks_like_header(first, ncols - 1, head)
        _fill_preview(
            preview,
            has_header=header_guess,
            header=first if header_guess else [f"col{i}" for i in range(ncols)],
            rows=[cells for _, cells in head[int(header_guess) :][: preview["_rows"]]]
            if preview is not None
            else [],
            row_numbers=[n for n, _ in head[int(header_guess) :][: preview["_rows"]]] if preview is not None else [],
        )
        if header_guess:
            raise UserError(f"no column '{label}'; columns are {', '.join(first)}")
        raise UserError(
            f"no column '{label}': the file has no header row, so give the label as a 0-based column "
            f"index (0..{ncols - 1})"
        )
    if has_header is None:
        has_header = _looks_like_header(first, label_idx, head)
    names = [c or f"col{i}" for i, c in enumerate(first)] if has_header else [f"col{i}" for i in range(ncols)]
    label_name = names[label_idx]
    feat_idx = [i for i in range(ncols) if i != label_idx]
    _fill_preview(
        preview, has_header=has_header, header=names, label_column=label_name, label_index=label_idx
    )

    x_rows: list[np.ndarray] = []
    labels: list[str] = []
    row_numbers: list[int] = []
    shown: list[list[str]] = []
    shown_rows: list[int] = []  # their spreadsheet row numbers, which the error messages use
    n_rows = 0
    for row_no, cells in itertools.chain(head[int(has_header) :], rows):
        n_rows += 1
        if preview is not None and len(shown) < preview["_rows"]:
            shown.append(cells)
            shown_rows.append(row_no)
        if errors.full:
            continue  # keep counting rows for the preview, stop checking them
        if len(cells) > ncols and not any(cells[ncols:]):
            cells = cells[:ncols]
        if len(cells) != ncols:
            errors.append(f"row {row_no} has {len(cells)} columns, expected {ncols}")
            continue
        values = _feature_row(cells, label_idx, names, row_no, decimal_comma, errors)
        lab = cells[label_idx]
        if lab == "":
            errors.append(f"row {row_no}, label column '{label_name}' is empty")
        elif lab.casefold() in MISSING_LABELS:
            errors.append(f"row {row_no}, label column '{label_name}' is a missing value ('{lab}')")
        if values is not None:
            x_rows.append(values)
        labels.append(lab)
        row_numbers.append(row_no)
    _fill_preview(preview, rows=shown, row_numbers=shown_rows, n_rows=n_rows)
    if n_rows == 0:
        raise UserError(f"CSV file {path} has a header row but no data rows")
    if errors:
        return None

    y, class_names = _encode_labels(labels, decimal_comma)
    counts = np.bincount(y, minlength=len(class_names))
    _fill_preview(preview, classes=class_names, class_counts=counts.tolist())
    if len(class_names) < 2:
        raise UserError(
            f"the label column '{label_name}' has only one class ('{class_names[0]}'); at least 2 are needed"
        )
    for c, n in zip(class_names, counts, strict=True):
        if n < MIN_PER_CLASS:
            raise UserError(
                f"class '{c}' of column '{label_name}' has only {n} row{'s' if n != 1 else ''}; every class "
                f"needs at least {MIN_PER_CLASS} to be split into train/val/test"
            )
    x = np.stack(x_rows)
    span = x.max(axis=0).astype(np.float64) - x.min(axis=0)
    if np.any(span > FLOAT32_MAX):  # x - mean would overflow float32 when the model normalises
        j = int(np.argmax(span))
        row = row_numbers[int(np.argmax(np.abs(x[:, j])))]
        raise UserError(f"row {row}, column '{names[feat_idx[j]]}': values of this column span more than "
                        f"float32 holds (about 3.4e38); rescale the column")
    return CsvTable(
        x=x,
        y=y,
        feature_names=[names[i] for i in feat_idx],
        class_names=class_names,
        label_name=label_name,
        label_index=label_idx,
        has_header=has_header,
        delimiter=delimiter,
        rows=row_numbers,
    )


def _encode_labels(labels: list[str], decimal_comma: bool) -> tuple[np.ndarray, list[str]]:
    """Numeric labels sort by value (names: their text); text labels sort as text. -> (y, class_names)."""
    values = [_parse_number(s, decimal_comma) for s in labels]
    if all(v is not None and math.isfinite(v) for v in values):
        first_text: dict[float, str] = {}
        for v, s in zip(values, labels, strict=True):
            first_text.setdefault(v, s)
        order = sorted(first_text)
        code = {v: i for i, v in enumerate(order)}
        return np.array([code[v] for v in values], dtype=np.int64), [first_text[v] for v in order]
    names = sorted(set(labels))
    code = {s: i for i, s in enumerate(names)}
    return np.array([code[s] for s in labels], dtype=np.int64), names


def _more(errors: list[str]) -> str:
    extra = len(errors) - 1
    return errors[0] + (f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else "")


def read_csv_table(path: str | Path, label: str | None = None) -> CsvTable:
    """Parse a CSV file; ``label`` is a header name or a 0-based index as text (default: guess_label_column).
    Raises UserError naming the row and/or column of the first problem."""
    errors = _Errors(limit=20)
    table = _parse(Path(path).expanduser(), label, errors)
    if table is None:
        raise UserError(_more(errors))
    return table


def preview_csv(path: str | Path, label: str | None = None, rows: int = 20) -> dict:
    """What the GUI shows while the user picks a file: never raises, problems go to ``errors``.

    Keys: path, delimiter, columns, has_header, header, label_column, label_index, rows (first ``rows``
    data rows as text), n_rows, classes, class_counts, errors.
    """
    out: dict = {
        "path": str(path),
        "delimiter": None,
        "columns": 0,
        "has_header": False,
        "header": [],
        "label_column": None,
        "label_index": None,
        "rows": [],
        "n_rows": 0,
        "classes": [],
        "class_counts": [],
        "errors": [],
        "_rows": max(0, int(rows)),
    }
    errors = _Errors(limit=50)
    try:
        _parse(Path(path).expanduser(), label, errors, preview=out)
    except UserError as exc:
        errors.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - a preview must never take the GUI down
        errors.append(f"cannot read {path}: {exc}")
    out.pop("_rows")
    out["errors"] = list(errors)
    return out


def load_csv(cfg: DatasetConfig) -> Dataset:
    if not cfg.csv_path:
        raise UserError("the csv dataset needs a CSV file (csv_path, or --csv PATH on the command line)")
    path = Path(cfg.csv_path).expanduser()
    table = read_csv_table(path, cfg.label)
    sep = DELIMITER_NAMES[table.delimiter]
    description = (
        f"CSV file {path.name}: {len(table.y)} rows, {len(table.feature_names)} features, "
        f"{len(table.class_names)} classes in column '{table.label_name}' ({sep}-separated)"
    )
    return split_dataset(
        "csv",
        table.x,
        table.y,
        table.class_names,
        cfg,
        image=False,
        feature_names=table.feature_names,
        description=description,
    )


def available() -> tuple[bool, str]:
    return True, "needs a CSV file: numeric feature columns and one label column"


SOURCES = (
    DatasetSource(
        "csv",
        "your own CSV file: one row a sample, numeric feature columns and a label column (guessed unless named)",
        load_csv,
        available,
    ),
)


LABEL_NAMES = ("label", "labels", "class", "classes", "target", "species", "category")  # most telling first


def guess_label_column(header: list[str] | None, rows: list[list[str]]) -> int:
    """The 0-based index of the column most likely to hold the class, when the user named none.

    In this order: a header name like label/class/target/species; else a text column (more than
    half of its filled cells are not numbers, so it cannot be a feature; the last such one); else
    a column named y (unless there is also an x: then x, y are coordinates); else the last column.
    ``header`` is the first row, which sets the number of columns (its names are ignored when it
    holds a number, i.e. is data); ``rows`` the rows after it.
    """
    widths = [len(r) for r in rows[:SNIFF_LINES]]
    ncols = len(header) if header else max(set(widths), key=widths.count, default=1)
    names = [c.strip().casefold() for c in header or []]
    if any(_is_number(c) for c in names if c):
        names = []  # a data row, not names
    for wanted in LABEL_NAMES:
        if wanted in names:
            return names.index(wanted)
    text = text_columns(rows[:SNIFF_LINES], ncols)
    if text:
        return text[-1]
    if "y" in names and "x" not in names:
        return names.index("y")
    return ncols - 1


def text_columns(rows: list[list[str]], ncols: int) -> list[int]:
    """Indices of the columns where more than half of the filled cells are not numbers: these cannot
    be features (a column with one typo among numbers is still a feature column, with an error)."""
    found = []
    for i in range(ncols):
        filled = [r[i] for r in rows if i < len(r) and r[i] and r[i].casefold() not in MISSING]
        if filled and sum(not _is_number(c) for c in filled) * 2 > len(filled):
            found.append(i)
    return found
