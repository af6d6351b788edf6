"""``ebpm report``: the follow-up sheet (Excel), the three-column table (Word, PDF, HTML) and the
annual progress report (PDF, HTML), from one edition of the knowledge base and the stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from ebpm.cli.common import DbOption, EditionOption, app, console, edition_path, err, fail
from ebpm.cli.indicators import MonitoringOption, open_monitoring
from ebpm.cli.research import StoreOption as ResearchOption
from ebpm.errors import UnknownMinistryError, UnknownSectionError
from ebpm.reports import annual, followup, render, table, word
from ebpm.reports.context import Provenance, Step
from ebpm.reports.render import OutputError
from ebpm.research import store as research_store
from ebpm.search.index import IndexMissingError
from ebpm.services.edition_bridge import FollowupViews, followup_views
from ebpm.services.knowledge import EditionCaches, Knowledge
from ebpm.store import knowledge_base

report = typer.Typer(help="Reports: the follow-up sheet, the three-column table, the annual report.")
app.add_typer(report, name="report", no_args_is_help=True)

OutputOption = Annotated[Path, typer.Option("--output", "-o", help="The file to write.")]
MinistryOption = Annotated[
    str | None, typer.Option("--ministry", help="Only this owner's actions or rows, e.g. 文.")
]
SectionOption = Annotated[str | None, typer.Option("--section", help="Only this section, e.g. 2.1 or 2.2.1.")]


def FormatOption(formats: tuple[str, ...]) -> object:
    return typer.Option("--format", help=f"{' or '.join(formats)} (default: the output's suffix).")


@dataclass
class Sources:
    k: Knowledge
    store: Engine
    provenance: Provenance
    views: FollowupViews


def _format(output: Path, given: str | None, formats: tuple[str, ...]) -> str:
    fmt = (given or output.suffix.lstrip(".")).lower()
    if fmt not in formats:
        raise fail(f"--format: {given or output.suffix or '(none)'!r}: use {' or '.join(formats)}")
    return fmt


def _open(db: Path | None, edition: str | None, store: Path | None) -> Sources:
    path = edition_path(db, edition)
    caches = EditionCaches(knowledge_base.resolve_path(db))
    try:
        k = caches.get(edition)
    except IndexMissingError as exc:
        raise fail(str(exc)) from None
    engine = open_monitoring(store, "read")
    # a later edition than the follow-up's sees its records through lineage, never by bare ids
    views = followup_views(caches, k, engine)
    return Sources(k, engine, Provenance.of(k.doc.edition or (edition or ""), path, engine), views)


def _check_output(output: Path) -> None:
    try:
        render.check_output(output)
    except OutputError as exc:
        raise fail(str(exc)) from None


def _write(output: Path, data: bytes) -> None:
    try:
        render.write(output, data)
    except OutputError as exc:
        raise fail(str(exc)) from None


@contextmanager
def _steps(total: int) -> Iterator[Step]:
    """A progress bar on stderr advanced by each step a report starts (what it names)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("読み込み", total=total)
        started = [False]

        def step(what: str) -> None:
            if started[0]:
                bar.advance(task)
            started[0] = True
            bar.update(task, description=what)

        yield step
        bar.update(task, completed=total)


def _filtered(build: Callable[[], bytes]) -> bytes:
    try:
        return build()
    except (UnknownMinistryError, UnknownSectionError) as exc:
        raise fail(str(exc)) from None


def _done(output: Path, what: str) -> None:
    console.print(f"{escape(str(output))}: {what}", highlight=False)


@report.command("followup")
def followup_command(
    output: OutputOption,
    fmt: Annotated[str | None, FormatOption(("xlsx",))] = None,
    ministry: MinistryOption = None,
    section: SectionOption = None,
    edition: EditionOption = None,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """The secretariat's follow-up sheet (.xlsx): one line per action, its latest progress and
    review, a status drop-down; it comes back in through `ebpm progress import`."""
    _format(output, fmt, ("xlsx",))
    _check_output(output)
    src = _open(db, edition, store)
    reports = src.views.progress.current()
    data = _filtered(lambda: followup.followup_xlsx(src.k, reports, src.provenance, ministry, section))
    _write(output, data)
    count = len(followup.rows(src.k, reports, src.provenance.data_day, ministry, section))
    _done(output, f"follow-up sheet, {count:,} actions, edition {src.provenance.edition}")


@report.command("table")
def table_command(
    output: OutputOption,
    fmt: Annotated[str | None, FormatOption(("docx", "pdf", "html"))] = None,
    ministry: MinistryOption = None,
    section: SectionOption = None,
    with_progress: Annotated[
        bool,
        typer.Option(
            "--with-progress", help="Put each action's latest progress report in the status column."
        ),
    ] = False,
    edition: EditionOption = None,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Chapter 2's three-column tables (具体的な取組 | 実施状況・現状分析 | 今後の取組方針) with
    their headings and ministry tags, as Word, PDF or HTML."""
    kind = _format(output, fmt, ("docx", "pdf", "html"))
    _check_output(output)
    with _steps(4 if kind == "pdf" else 3) as step:
        step("読み込み")
        src = _open(db, edition, store)
        reports = src.views.progress.current() if with_progress else None
        step("表の組み立て")
        try:
            tables = table.gather(src.k, reports, ministry, section)
        except (UnknownMinistryError, UnknownSectionError) as exc:
            raise fail(str(exc)) from None
        if kind == "docx":
            step("Word の作成")
            data = word.table_docx(tables, src.provenance)
        else:
            step("HTML の作成")
            page = table.table_html(tables, src.provenance)
            if kind == "pdf":
                step("PDF のレイアウト")
            data = render.pdf(page) if kind == "pdf" else page.encode("utf-8")
    _write(output, data)
    _done(output, f"{tables.row_count:,} rows in {len(tables.blocks):,} headings, edition {tables.edition}")


@report.command("annual")
def annual_command(
    output: OutputOption,
    fmt: Annotated[str | None, FormatOption(("pdf", "html"))] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Count overdue actions on this day, YYYY-MM-DD (default: the data's date)."
        ),
    ] = None,
    edition: EditionOption = None,
    db: DbOption = None,
    store: MonitoringOption = None,
    research_db: ResearchOption = None,
) -> None:
    """The annual progress report: indicators by section and goal with charts, commitments by
    ministry, the budget by section, and the research figures where loaded."""
    kind = _format(output, fmt, ("pdf", "html"))
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise fail(f"--as-of: {as_of!r}: write the date as YYYY-MM-DD") from None
    _check_output(output)
    with _steps(7 if kind == "pdf" else 6) as step:
        step("読み込み")
        src = _open(db, edition, store)
        data = annual.gather(
            src.k,
            src.views.monitor,
            src.views.progress.current(),
            src.views.budget,
            research_store.resolve_path(research_db),
            day or src.provenance.data_day,
            step,
        )
        step("HTML の作成")
        page = annual.annual_html(data, src.provenance)
        if kind == "pdf":
            step("PDF のレイアウト")
        body = render.pdf(page) if kind == "pdf" else page.encode("utf-8")
    _write(output, body)
    _done(output, f"annual report, edition {data.edition}, as of {data.as_of.isoformat()}")
