"""Reading strategy text files: the bundled corpus and user-supplied files.

Users bring files saved by Windows tools, so CP932/Shift_JIS is decoded too;
anything that is not text gets an error naming the file and the problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ebpm.sources import pdf

BUNDLED_NAME = "strategy-2023.txt"
BUNDLED_SHA256 = "e0f0f895cdf2076fd93ca975b2ada7e14b58226bd28aac472e1bec840756b961"
BUNDLED_SOURCE = (
    "統合イノベーション戦略2023 (Integrated Innovation Strategy 2023), Cabinet Office, "
    "Government of Japan, decided by the Cabinet on 9 June 2023"
)
BUNDLED_LICENCE = (
    "Government of Japan Standard Terms of Use (version 2.0), compatible with CC BY 4.0; "
    "source: Cabinet Office (内閣府)"
)


class CorpusError(ValueError):
    """A source file that cannot be read as strategy text."""


@dataclass(frozen=True, slots=True)
class SourceText:
    path: str
    text: str
    sha256: str
    encoding: str


def bundled_path() -> Path:
    return Path(str(resources.files("ebpm.data").joinpath(BUNDLED_NAME)))


# C0 controls other than tab, line feed, form feed and carriage return: rare in any text
CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _looks_binary(data: bytes) -> bool:
    """NULs anywhere, or more than 5% control bytes, over the whole file: a binary tail after a
    text head (a PDF or archive glued onto text) must not pass as text."""
    if b"\x00" in data:
        return True
    control = len(data) - len(data.translate(None, CONTROL))  # C speed, even for a big file
    return control > len(data) * 0.05


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Decode ``data`` as UTF-8, else CP932; raise :class:`CorpusError` naming the problem."""
    if not data.strip():
        raise CorpusError(f"{path}: the file is empty")
    if _looks_binary(data):
        raise CorpusError(f"{path}: this is a binary file, not text (expected UTF-8 or CP932 text)")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp932"), "cp932"
        except UnicodeDecodeError as sjis_error:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise CorpusError(
                f"{path}: line {line}: not valid UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
                f"nor CP932/Shift_JIS ({sjis_error.reason} at byte {sjis_error.start}); "
                "save the file as UTF-8 and try again"
            ) from None


def read_source(path: Path | None = None, pages: pdf.PageProgress | None = None) -> SourceText:
    """Read ``path``, or the bundled corpus when ``path`` is None.

    ``pages`` is told of each page of a PDF as it is read (the long part of its ingest).
    The bundled corpus is checked against its known sha256 so that a damaged
    install never silently yields different line numbers.
    """
    target = path or bundled_path()
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise CorpusError(f"{target}: no such file") from None
    except IsADirectoryError:
        raise CorpusError(f"{target}: is a directory, expected a text file") from None
    except PermissionError:
        raise CorpusError(f"{target}: permission denied") from None
    digest = hashlib.sha256(data).hexdigest()
    if path is not None and pdf.is_pdf(data):
        # a PDF is read by its layout (columns, page breaks); the digest stays that of its bytes
        try:
            text = pdf.pdf_text(data, pages)
        except pdf.PdfError as exc:
            raise CorpusError(f"{target}: {exc}") from None
        return SourceText(path=str(target), text=text, sha256=digest, encoding=pdf.ENCODING)
    if path is None and digest != BUNDLED_SHA256:
        raise CorpusError(
            f"{target}: bundled corpus is damaged: sha256 {digest} differs from the expected {BUNDLED_SHA256}"
        )
    text, encoding = decode(data, str(target))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceText(path=str(target), text=text, sha256=digest, encoding=encoding)
