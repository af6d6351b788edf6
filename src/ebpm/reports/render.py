"""Rendering shared by the reports: Jinja HTML (autoescaped), PDF through WeasyPrint with fixed
metadata dates, zip containers (docx) without the clock, and writing the result safely.

Reports never need the web server: the templates live in ``reports/templates`` and are read by
an environment of their own, with the pages' palette and fonts in ``report.css``.
"""

from __future__ import annotations

import functools
import io
import os
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,  # every report is HTML: all text escaped, whatever its template's name
    undefined=StrictUndefined,  # a misspelt field is an error, not an empty cell
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["num"] = lambda v, digits=1: "" if v is None else f"{v:,.{digits}f}"
_env.filters["pct"] = lambda v: "" if v is None else f"{v * 100:.1f}%"


class OutputError(ValueError):
    """The output cannot be written; the message names the file."""


@functools.cache
def css() -> Markup:
    """The reports' stylesheet, put inline so an HTML report is one self-contained file (as Markup:
    the text of a <style> element is not unescaped by browsers, so it must not be escaped)."""
    return Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))  # our own file


def html(template: str, **context: Any) -> str:
    """``template`` rendered with ``context``; text is escaped, SVG charts come in as Markup."""
    return _env.get_template(template).render(**context)


def svg(markup: str) -> Markup:
    """An SVG drawn by :mod:`ebpm.reports.svg` (which escapes every text it draws) for a template."""
    return Markup(markup)  # built from escaped parts only


def pdf(document: str) -> bytes:
    """``document`` (HTML whose head carries its dcterms dates) laid out as PDF by WeasyPrint.

    WeasyPrint takes the PDF's CreationDate and ModDate from the ``dcterms.created`` and
    ``dcterms.modified`` meta tags and writes no file identifier by default, so the same HTML
    gives the same bytes."""
    # imported here: it costs a second, and only the commands that make PDFs pay it
    from weasyprint import HTML  # type: ignore[import-untyped]

    out: bytes = HTML(string=document, base_url=str(TEMPLATES)).write_pdf()
    return out


def w3c(stamp: datetime) -> str:
    """A metadata date as the dcterms tags take it."""
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """A zip container (docx, xlsx) rewritten with every entry dated ``stamp``: the same content
    gives the same bytes (python-docx dates each entry with the clock as it saves)."""
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def check_output(path: Path) -> None:
    """Refuse, before any work, an output that cannot be written: a folder, a missing or read-only
    folder, a read-only file."""
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{path}: cannot write here (permission denied)")


def write(path: Path, data: bytes) -> None:
    """``data`` into ``path`` atomically: a reader (or a killed run) never sees half a report."""
    check_output(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        # os.open with 0o666: the report gets the user's usual permissions (mkstemp's are 0600)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: {exc.strerror or exc}") from None
