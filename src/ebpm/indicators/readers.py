"""Input adapters for observations: CSV (UTF-8 or CP932), Excel, SDMX-ML and SDMX-CSV.

Each yields :class:`RawRow` with the line (or sheet row) it came from, one at a time, so
that the importer can stream a file of any size. Header problems are found before any row.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from ebpm.indicators.importing import COLUMNS, REQUIRED, RawRow
from ebpm.sources.tabular import ReadError, read_table

__all__ = ["ReadError", "detect_format", "read_rows"]


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


def read_tabular(path: Path) -> Iterator[RawRow]:
    """Observations from a CSV or Excel file with the import columns."""
    header, rows = read_table(path)
    index = check_header(path, header)
    for line, cells in rows:
        yield RawRow(line, {name: cells[k] if k < len(cells) else "" for name, k in index.items()})


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
    readers = {"csv": read_tabular, "excel": read_tabular, "sdmx-ml": read_sdmx, "sdmx-csv": read_sdmx}
    return readers[fmt](path)
