"""Reading a CSV file the way a careful analyst would: clean the file-level mess, refuse the rest.

Handled (and noted): a byte-order mark, UTF-16 text, a 'sep=;' first line (Excel), comma /
semicolon / tab / pipe delimiters, decimal commas in semicolon or tab files, quoted newlines, a
delimiter at the end of every line, spaces around column names, row names, an exported row
index, ID and name columns, empty columns without a name. Refused with a `DataError` that names
the file and says what to do: missing, empty, binary or non-UTF-8 files, header-only files,
duplicate column names, rows with more fields than the header (with the line number), unclosed
quotes. No pandas error ever reaches the user.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from neurolab.data.columns import column_kind, is_index_name, is_unnamed
from neurolab.errors import DataError

_SNIFF_CHARS = 64 * 1024
_SNIFF_ROWS = 50
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or a zip archive; in Excel use Save As -> 'CSV UTF-8'",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook; in Excel use Save As -> 'CSV UTF-8'",
    b"\x1f\x8b": "a gzip-compressed file; decompress it first",
    b"PAR1": "a Parquet file, not CSV",
    b"%PDF": "a PDF document",
    b"SQLite format 3": "an SQLite database (a NeuroLab project?)",
}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+(,\d+)?$")
_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_UNCLOSED = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass
class CsvTable:
    """A read CSV: the cleaned frame, what cleaning did, and why each dropped column went."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # column -> reason
    delimiter: str = ","

    def drop(self, name: str, reason: str) -> None:
        self.frame = self.frame.drop(columns=[name])
        self.dropped[name] = reason
        self.notes.append(f"dropped column {name!r} ({reason})")


def read_csv(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The CSV's rows after file-level cleaning (for the GUI preview), and one note per fix.

    Index, ID and name columns are already dropped; values are raw otherwise (text junk such as
    '?' in a numeric column is left for preparation, which imputes it and says so).
    """
    table = read_table(path)
    return table.frame, table.notes


def read_table(path: str | Path) -> CsvTable:
    """`read_csv` with the reasons for dropped columns, so later errors can explain them."""
    path = Path(path)
    raw = _read_bytes(path)
    text, notes = _decode(raw, path.name)
    dialect = _dialect(text, path.name, notes)
    frame = _parse(dialect)
    table = CsvTable(frame, notes, {}, dialect.delimiter)
    table.notes.insert(0, f"read {len(frame)} rows and {frame.shape[1]} columns from {path.name}")
    if dialect.layout == "row names":
        table.notes.append("dropped row names (each row had one more field than the header)")
    _clean_values(table)
    _drop_structural_columns(table)
    return table


# --- bytes and text ---------------------------------------------------------------------------
def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; check the path and the file name") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a CSV file") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied; check that you may read the file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise DataError(f"{path.name}: the file is empty; it needs a header line and data rows")
    return raw


def _decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    """Text from bytes: UTF-8 (with or without a byte-order mark) or UTF-16 with its mark."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), ["read UTF-16 text (it starts with a byte-order mark)"]
        except UnicodeDecodeError:
            raise DataError(f"{name}: claims to be UTF-16 but is not; save it as UTF-8") from None
    for signature, what in _SIGNATURES.items():
        if raw.startswith(signature):
            raise DataError(f"{name}: not a CSV text file: it looks like {what}")
    head = raw[:8192]
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > len(head) // 20:
        raise DataError(
            f"{name}: not a text file (it contains binary data); choose a CSV file: "
            "plain text with one row per line and values separated by commas or semicolons"
        )
    notes = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        notes.append("ignored the byte-order mark at the start of the file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{name}: not UTF-8 text: byte 0x{raw[exc.start]:02X} at position {exc.start} "
            f"(line {line}) is not valid UTF-8. The file is probably in an older encoding such "
            "as Windows-1252 or Latin-1; save it as UTF-8 (Excel: 'CSV UTF-8', LibreOffice: "
            "character set 'Unicode (UTF-8)') and load it again"
        ) from None
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # old Mac line ends
    return text, notes


# --- dialect ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Dialect:
    """How to parse the text. `layout` is 'plain', 'trailing' (a delimiter ends every line) or
    'row names' (each row has one unnamed leading field more than the header); `offset` is the
    number of lines removed before `text` (an Excel 'sep=;' line), for line numbers in errors."""

    name: str
    text: str
    delimiter: str
    layout: str
    offset: int

    def ragged(self, line: int, saw: int, width: int) -> DataError:
        what = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        return DataError(
            f"{self.name}: line {line + self.offset} has {saw} fields but the header has {width} "
            f"columns. A value probably contains a {what} without quotes around it (or has an "
            f"extra {what}); fix that line and load the file again"
        )


def _dialect(text: str, name: str, notes: list[str]) -> _Dialect:
    first, _, rest = text.partition("\n")
    match = re.fullmatch(r"\s*sep=(.)\s*", first, flags=re.IGNORECASE)
    offset = 0
    if match:
        delimiter = match.group(1)
        text, offset = rest, 1
        notes.append(f"used the delimiter given by the first line ({first.strip()!r})")
    else:
        delimiter = _sniff(text)
        if delimiter != ",":
            notes.append(f"read {_DELIMITER_NAMES[delimiter]}-separated values")
    rows = _sample_rows(text, delimiter)
    if not rows:
        raise DataError(f"{name}: the file is empty; it needs a header line and data rows")
    header = [h.strip() for h in rows[0][1]]
    _check_header(header, name)
    layout = _layout(len(header), rows[1:])
    dialect = _Dialect(name, text, delimiter, layout, offset)
    if layout == "trailing":
        notes.append(f"ignored the {_DELIMITER_NAMES.get(delimiter, repr(delimiter))} at the "
                     "end of every line")
    for line, fields in rows[1:]:
        if layout == "plain" and len(fields) > len(header):
            raise dialect.ragged(line, len(fields), len(header))
    return dialect


def _sample_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The first non-blank rows as (line where the row starts, fields), quotes understood."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:
        sample = sample[: sample.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            if any(f.strip() for f in fields):
                rows.append((start, fields))
            if len(rows) >= _SNIFF_ROWS:
                break
            start = reader.line_num + 1
    except csv.Error:
        pass  # a broken quote in the sample: pandas will report it precisely
    return rows


def _sniff(text: str) -> str:
    """The delimiter that splits the header into most columns with rows that agree with it."""
    best, best_score = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        rows = _sample_rows(text, delimiter)
        if not rows or len(rows[0][1]) < 2:
            continue
        width = len(rows[0][1])
        agree = sum(len(f) in (width, width + 1) for _, f in rows) / len(rows)
        score = (round(agree, 1), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _check_header(header: list[str], name: str) -> None:
    positions: dict[str, list[int]] = {}
    for i, column in enumerate(header, start=1):
        if column:
            positions.setdefault(column, []).append(i)
    duplicates = {c: p for c, p in positions.items() if len(p) > 1}
    if duplicates:
        where = "; ".join(
            f"{c!r} in columns {', '.join(map(str, p[:-1]))} and {p[-1]}"
            for c, p in duplicates.items()
        )
        raise DataError(
            f"{name}: duplicate column names in the header: {where}. Give every column its own "
            "name and load the file again"
        )


def _layout(width: int, data: list[tuple[int, list[str]]]) -> str:
    if data and all(len(f) == width + 1 for _, f in data):
        return "trailing" if all(not f[-1].strip() for _, f in data) else "row names"
    return "plain"


# --- parsing ----------------------------------------------------------------------------------
def _parse(dialect: _Dialect) -> pd.DataFrame:
    name = dialect.name
    try:
        frame = pd.read_csv(
            io.StringIO(dialect.text), sep=dialect.delimiter, skipinitialspace=True,
            low_memory=False, index_col=None if dialect.layout == "row names" else False,
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty; it needs a header line and data rows") from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise _parser_error(str(exc), dialect) from None
    if frame.empty and len(frame.columns):
        raise DataError(f"{name}: the file has a header line but no data rows")
    if dialect.layout == "row names":
        frame = frame.reset_index(drop=True)
    frame.columns = [_column_name(c, i) for i, c in enumerate(frame.columns)]
    return frame


def _column_name(column: object, position: int) -> str:
    text = str(column).strip()
    return text if text else f"Unnamed: {position}"


def _parser_error(message: str, dialect: _Dialect) -> DataError:
    ragged = _RAGGED.search(message)
    if ragged:
        width, row, saw = (int(g) for g in ragged.groups())
        return dialect.ragged(_physical_line(dialect, row), saw, width)
    unclosed = _UNCLOSED.search(message)
    if unclosed:
        line = _physical_line(dialect, int(unclosed.group(1)) + 1) + dialect.offset
        return DataError(
            f"{dialect.name}: a quoted value that starts near line {line} is never closed (a \" "
            "without its partner); fix the quotes and load the file again"
        )
    detail = message.strip().splitlines()[-1] if message.strip() else "unknown problem"
    return DataError(f"{dialect.name}: cannot be read as CSV ({detail})")


def _physical_line(dialect: _Dialect, record: int) -> int:
    """Line in the file where the `record`-th record starts (1-based, header = 1, blank lines
    counted as pandas does): quoted values may span lines, so pandas' count and an editor's differ."""
    reader = csv.reader(io.StringIO(dialect.text), delimiter=dialect.delimiter)
    count, start = 0, 1
    try:
        for count, _ in enumerate(reader, start=1):
            if count == record:
                return start
            start = reader.line_num + 1
    except csv.Error:
        return start if count == record - 1 else record
    return record


# --- values and columns -----------------------------------------------------------------------
def _clean_values(table: CsvTable) -> None:
    """Read decimal commas (3,5) in semicolon or tab files, where they are the local convention.

    Spaces around values and junk such as '?' are left for the column functions, which read
    distinct values only (stripping every cell of a long column here would be slow).
    """
    if table.delimiter == ",":
        return
    frame = table.frame
    converted = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            text = series.where(series.isna(), series.astype(str).str.strip())
            if _all_decimal_commas(text):
                frame[name] = pd.to_numeric(text.str.replace(",", ".", regex=False))
                converted.append(name)
    if converted:
        table.notes.append(
            f"read decimal commas (3,5 = 3.5) in {', '.join(map(repr, converted))}"
        )


def _all_decimal_commas(text: pd.Series) -> bool:
    present = text.dropna()
    return (
        not present.empty
        and bool(present.str.contains(",", regex=False).any())
        and bool(present.str.fullmatch(_DECIMAL_COMMA).all())
    )


def _drop_structural_columns(table: CsvTable) -> None:
    """Drop what is part of the file, not of the data: index, ID, name and headless empty columns."""
    frame = table.frame
    for position, name in enumerate(list(frame.columns)):
        series = frame[name]
        if is_unnamed(name) and series.isna().all():
            table.drop(name, "empty and without a name")
        elif position == 0 and _is_row_index(series, name):
            table.drop(name, "exported row index")
        elif column_kind(series, name) == "id":
            table.drop(name, "ID or name column: a different value in every row")


def _is_row_index(series: pd.Series, name: str) -> bool:
    """A first column counting rows: 0..n-1 or 1..n, or (without a name) any rising integers,
    as left by exporting a filtered table with its index."""
    if not is_index_name(name) or series.isna().any() or not pd.api.types.is_integer_dtype(series):
        return False
    values = series.to_numpy()
    if len(values) and values[0] in (0, 1) and np.array_equal(values, values[0] + np.arange(len(values))):
        return True
    return is_unnamed(name) and bool(np.all(np.diff(values) > 0))
