"""The three-column tables as a Word document (python-docx): a cover, each heading as a Word
heading (so Word's navigation pane and table of contents see the structure), each heading's rows
as one table whose header row repeats on every page.

Reproducible: the core properties' dates are the data's date and every zip entry is dated the
same, so the same data gives the same bytes.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from ebpm.reports.context import Provenance
from ebpm.reports.render import fixed_zip
from ebpm.reports.table import Item, Tables, title

FONT = "游ゴシック"  # Word's Japanese default; LibreOffice substitutes Noto Sans CJK JP
LATIN = "Yu Gothic"
PROGRESS_COLOUR = RGBColor(0x1D, 0x4F, 0x91)
MUTED = RGBColor(0x55, 0x55, 0x55)
ILLEGAL = {c for c in range(32) if chr(c) not in "\t\n\r"}  # XML 1.0 forbids these


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ord(ch) not in ILLEGAL)


def _repeat_header(table: Table) -> None:
    """Mark the first row as a header row: Word repeats it on each page the table runs over."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.append(shading)


def _items(cell: _Cell, items: list[Item]) -> None:
    first: Paragraph | None = cell.paragraphs[0]
    for item in items:
        p = first if first is not None else cell.add_paragraph()
        first = None
        if item.mark:
            mark = p.add_run(_clean(item.mark))
            mark.bold = item.progress
            mark.font.color.rgb = PROGRESS_COLOUR if item.progress else MUTED
        run = p.add_run(_clean(item.text))
        if item.progress:
            run.font.color.rgb = PROGRESS_COLOUR
        if item.reposted and "再掲" not in item.text:
            p.add_run("（再掲）").font.color.rgb = MUTED


def table_docx(tables: Tables, provenance: Provenance) -> bytes:
    """``tables`` as the bytes of a .docx file."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin = section.bottom_margin = Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN
    normal.font.size = Pt(8.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(2)

    heading = title(tables)
    doc.add_heading(heading, level=0)
    for label, value in provenance.lines():
        p = doc.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        p.add_run(value)
    doc.add_paragraph(f"範囲: {tables.scope()}（{tables.row_count:,}行）")
    if tables.with_progress:
        doc.add_paragraph(
            f"中央の列には各取組の最新の進捗報告（【進捗報告】、{tables.progress_count:,}件）を先に置き、"
            "続けて原文の記載を示す。次年度の「実施状況・現状分析」の案として用いる。"
        )
    if not tables.blocks:
        doc.add_paragraph("該当する行はありません。")
    for block in tables.blocks:
        doc.add_heading(_clean(block.title), level=min(block.depth, 4))
        if not block.rows:
            continue
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, name in zip(table.rows[0].cells, tables.columns, strict=True):
            cell.paragraphs[0].add_run(name).bold = True
            _shade(cell, "F4F6F9")
        _repeat_header(table)
        for row in block.rows:
            cells = table.add_row().cells
            _items(cells[0], [row.commitment])
            _items(cells[1], row.status)
            _items(cells[2], row.actions)

    props = doc.core_properties
    props.title = heading
    props.author = props.last_modified_by = f"ebpm {provenance.version}"
    props.subject = f"統合イノベーション戦略{tables.edition}"
    props.created = props.modified = props.last_printed = provenance.data_time.replace(tzinfo=None)
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return fixed_zip(buffer.getvalue(), provenance.data_time)
