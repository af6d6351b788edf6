"""Input adapters for observations: CSV (UTF-8 or CP932), Excel, SDMX-ML and SDMX-CSV.

Each yields :class:`RawRow` with the line (or sheet row) it came from, one at a time, so
that the importer can stream a file of any size. Header problems are found before any row.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ebpm.indicators.importing import COLUMNS, REQUIRED, RawRow

SNIFF_BYTES = 1 << 20
csv.field_size_limit(min(sys.maxsize, 1 << 24))


class ReadError(ValueError):
    """The file cannot be read as observations; the message names the file and what is wrong."""


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "excel"
    if suffix == ".xml":
        return "sdmx-ml"
    if suffix == ".csv":
        with path.open("rb") as fh:
            head = fh.read(4096)
        # SDMX-CSV names its structure in the first column (DATAFLOW or STRUCTURE)
        first = head.lstrip(codecs.BOM_UTF8).split(b"\n", 1)[0].upper()
        return "sdmx-csv" if first.startswith((b"DATAFLOW", b"STRUCTURE")) else "csv"
    raise ReadError(f"{path}: unknown file type {suffix!r}; use .csv, .xlsx, or .xml (SDMX-ML)")


def detect_encoding(path: Path) -> str:
    """utf-8-sig when the start of the file is UTF-8, else cp932 when it reads as CP932."""
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


def check_header(path: Path, header: list[str]) -> dict[str, int]:
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h and h not in COLUMNS]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if problems:
        raise ReadError(f"{path}: line 1: {'; '.join(problems)}; the columns are {', '.join(COLUMNS)}")
    return {name: k for k, name in enumerate(names) if name}


def read_csv(path: Path) -> Iterator[RawRow]:
    encoding = detect_encoding(path)
    fh = path.open(encoding=encoding, newline="", errors="strict")
    reader = csv.reader(fh)
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise ReadError(f"{path}: the file is empty") from None
        index = check_header(path, header)
        width = len(header)
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > width:
                raise ReadError(
                    f"{path}: line {reader.line_num}: {len(cells)} fields, the header has {width}"
                )
            yield RawRow(
                reader.line_num, {name: cells[k] if k < len(cells) else "" for name, k in index.items()}
            )
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"{path}: after line {reader.line_num}: bytes that are not {encoding} ({exc.reason}); "
            "save the file as UTF-8 or CP932"
        ) from None
    except csv.Error as exc:
        raise ReadError(f"{path}: line {reader.line_num}: {exc}") from None
    finally:
        fh.close()


def read_excel(path: Path) -> Iterator[RawRow]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ReadError(f"{path}: not a readable Excel workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ReadError(f"{path}: the first sheet is empty")
        index = check_header(path, ["" if h is None else str(h) for h in header])
        for n, cells in enumerate(rows, start=2):
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            yield RawRow(n, {name: _cell(cells[k]) if k < len(cells) else "" for name, k in index.items()})
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same number
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")  # a date cell: the period is that day
    return str(value)


# SDMX: the dimension that names the series, and the attribute that carries the unit
SERIES_DIMENSIONS = ("INDICATOR", "SERIES", "INDICATOR_ID")
UNIT_ATTRIBUTE = "UNIT_MEASURE"


def read_sdmx(path: Path) -> Iterator[RawRow]:
    """SDMX-ML (generic or structure-specific) or SDMX-CSV, read with sdmx1."""
    import sdmx

    from ebpm.indicators.sdmx_io import structure

    try:
        message = sdmx.read_sdmx(path, structure=structure()) if path.suffix.lower() == ".xml" else None
        if message is None:
            message = sdmx.read_sdmx(path, format="csv", structure=structure())
    except Exception as exc:  # sdmx1 raises parser-specific errors
        raise ReadError(f"{path}: not readable as SDMX ({type(exc).__name__}: {exc})") from None
    n = 0
    for dataset in getattr(message, "data", []):
        for obs in dataset.obs:
            n += 1
            key = {k: str(v.value) for k, v in (obs.key.values.items() if obs.key else [])}
            series = next((key[d] for d in SERIES_DIMENSIONS if d in key), None)
            if series is None:
                names = ", ".join(SERIES_DIMENSIONS)
                raise ReadError(f"{path}: observation {n}: no series dimension; name it one of {names}")
            attrs = {k: str(v.value) for k, v in obs.attrib.items()}
            yield RawRow(
                n,
                {
                    "indicator_id": series,
                    "period": key.get("TIME_PERIOD", ""),
                    "value": "" if obs.value is None else str(obs.value),
                    "unit": attrs.get(UNIT_ATTRIBUTE, ""),
                    "source": attrs.get("SOURCE", "") or f"SDMX {path.name}",
                    "note": attrs.get("COMMENT", ""),
                },
            )


def read_rows(path: Path, fmt: str) -> Iterator[RawRow]:
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    readers = {"csv": read_csv, "excel": read_excel, "sdmx-ml": read_sdmx, "sdmx-csv": read_sdmx}
    return readers[fmt](path)
