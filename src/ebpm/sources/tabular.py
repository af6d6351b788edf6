"""Reading tables users bring: CSV in UTF-8 or CP932, and Excel workbooks.

Rows are yielded one at a time with the line (CSV) or row (sheet) they came from, so a file of
any size is read with bounded memory and every error can name its line.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

SNIFF_BYTES = 1 << 20
csv.field_size_limit(min(sys.maxsize, 1 << 24))

Rows = Iterator[tuple[int, list[str]]]


class ReadError(ValueError):
    """The file cannot be read as a table; the message names the file and what is wrong."""


class RowErrors(ValueError):
    """Rows that cannot be imported; ``errors`` names each file, line and field at fault."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


_UNIT_SUFFIX = re.compile(r"[（(][^）)]*[)）]|単位.*$")


def header_key(header: str) -> str:
    """A column header reduced for matching: NFKC, no BOM, no unit suffix, lower case, no spaces.

    ``当初予算額（百万円）`` and ``当初予算額`` are one key; the unit is read separately.
    """
    text = unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff")
    return _UNIT_SUFFIX.sub("", text).strip().lower().replace(" ", "")


def detect_encoding(path: Path) -> str:
    """utf-8-sig when the start of the file is UTF-8, else cp932 when it reads as CP932.

    Only the two encodings the imports accept, tried strictly: a statistical detector such as
    charset-normalizer guesses among dozens and can name a wrong one for a short Japanese file,
    and every byte is decoded strictly afterwards anyway."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise ReadError(f"{path}: the file holds NUL bytes: UTF-16 or binary, not UTF-8 or CP932 text")
    # a multi-byte character may be cut at the end of the sample
    for encoding in ("utf-8-sig", "cp932"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            sample = decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
        # CP932 maps stray bytes to private-use characters: real CP932 text has none
        if encoding == "utf-8-sig" or not any("\ue000" <= ch <= "\uf8ff" for ch in sample):
            return encoding
    raise ReadError(f"{path}: the file is neither UTF-8 nor CP932 (Shift_JIS) text")


def read_csv(path: Path) -> tuple[list[str], Rows]:
    """The header and the data rows (blank rows skipped) of a CSV file."""
    encoding = detect_encoding(path)
    fh = path.open(encoding=encoding, newline="", errors="strict")
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise ReadError(f"{path}: the file is empty") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        fh.close()
        raise ReadError(f"{path}: line 1: {exc}") from None

    def rows() -> Rows:
        width = len(header)
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > width:
                    raise ReadError(
                        f"{path}: line {reader.line_num}: {len(cells)} fields, the header has {width}"
                    )
                yield reader.line_num, cells
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"{path}: after line {reader.line_num}: bytes that are not {encoding} ({exc.reason}); "
                "save the file as UTF-8 or CP932"
            ) from None
        except csv.Error as exc:
            raise ReadError(f"{path}: line {reader.line_num}: {exc}") from None
        finally:
            fh.close()

    return header, rows()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same number
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")  # a date cell: the period is that day
    return str(value)


def read_excel(path: Path) -> tuple[list[str], Rows]:
    """The header and the data rows of the first sheet of a workbook."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ReadError(f"{path}: not a readable Excel workbook ({exc})") from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    first = next(it, None)
    if first is None:
        book.close()
        raise ReadError(f"{path}: the first sheet is empty")
    header = [cell_text(h) for h in first]

    def rows() -> Rows:
        try:
            for n, cells in enumerate(it, start=2):
                texts = [cell_text(c) for c in cells]
                if any(t.strip() for t in texts):
                    yield n, texts
        finally:
            book.close()

    return header, rows()


def read_table(path: Path) -> tuple[list[str], Rows]:
    """CSV or Excel, by the file's suffix."""
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_excel(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(path)
    raise ReadError(f"{path}: unknown file type {suffix!r}; use .csv or .xlsx")
