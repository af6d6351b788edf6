"""``ebpm budget``: review sheets imported, mapped onto the strategy, reviewed and summed."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from ebpm.budget.projects import BudgetImportError, import_projects
from ebpm.budget.service import BudgetService, UnknownProjectError, unmapped
from ebpm.cli.common import DbOption, app, console, err, fail, load_followup
from ebpm.cli.indicators import MonitoringOption, open_monitoring
from ebpm.services.browse import NotFoundError
from ebpm.sources.tabular import ReadError
from ebpm.store.monitoring import Access, MonitoringStoreError

budget = typer.Typer(help="Budget projects mapped onto the strategy.", no_args_is_help=True)
app.add_typer(budget, name="budget")

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "budget_sample" / "projects.csv"
JsonOption = Annotated[bool, typer.Option("--json", help="Write JSON to stdout.")]


def _service(db: Path | None, store: Path | None, access: Access = "read") -> BudgetService:
    return BudgetService(load_followup(db), open_monitoring(store, access))


def _json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


def _map(service: BudgetService, pending_only: bool = False) -> None:
    with Progress(
        TextColumn("mapping projects"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("map", total=None)
        count = service.recompute(
            progress=lambda n, total: bar.update(task, completed=n, total=total), pending_only=pending_only
        )
    console.print(f"mapped {count:,} projects onto the strategy (reviews kept)", highlight=False)


def finish_mapping(db: Path, reader: Engine, store: Path | None) -> None:
    """At server start: map the projects left not yet mapped (an import with ``--no-map``, or
    killed while mapping), where the store may be written; ``reader`` is the server's engine.
    A store that cannot be written is served as it is, its projects labelled not yet mapped."""
    pending = len(unmapped(reader))
    if not pending:
        return
    try:
        writer = open_monitoring(store, "write")
    except MonitoringStoreError as exc:
        err.print(f"note: {pending:,} budget projects stay not yet mapped: {exc}", highlight=False)
        return
    try:
        console.print(f"{pending:,} budget projects are not yet mapped: mapping them", highlight=False)
        _map(BudgetService(load_followup(db), writer), pending_only=True)
    finally:
        writer.dispose()


@budget.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or CP932) or Excel (.xlsx).")],
    columns: Annotated[
        str | None, typer.Option(help='Other headers: "列A=project_id,列B=name" (fields: see README).')
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")] = False,
    no_map: Annotated[
        bool, typer.Option("--no-map", help="Do not recompute the matches afterwards.")
    ] = False,
    author: Annotated[str, typer.Option(help="Who imports.")] = "cli",
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Import review sheets; every row is checked first, then all are written or none."""
    service = _service(db, store, "write")
    try:
        result = import_projects(service.store, file, columns, dry_run=dry_run, author=author)
    except (BudgetImportError, ReadError, ValueError) as exc:
        raise fail(str(exc)) from None
    verb = "would import" if dry_run else "imported"
    console.print(
        f"{verb} {file}: {result.rows:,} rows; {result.added:,} added, {result.revised:,} revised "
        f"(old rows kept as history), {result.unchanged:,} unchanged"
        + (f"; {result.duplicates:,} identical duplicate rows counted once" if result.duplicates else ""),
        highlight=False,
        soft_wrap=True,
    )
    if result.ignored_columns:
        console.print(
            f"columns not used: {', '.join(result.ignored_columns)}", highlight=False, soft_wrap=True
        )
    if file.resolve() == SAMPLE.resolve():
        console.print("note: this is the bundled SAMPLE data, not real projects or figures", highlight=False)
    if not dry_run and not no_map:
        _map(service)


@budget.command("load-sample")
def load_sample_command(db: DbOption = None, store: MonitoringOption = None) -> None:
    """Import the bundled SAMPLE review sheets (fictional, for demos) and map them."""
    import_command(SAMPLE, db=db, store=store)


@budget.command("map")
def map_command(db: DbOption = None, store: MonitoringOption = None) -> None:
    """Recompute every project's matches; human reviews are never touched."""
    _map(_service(db, store, "write"))


@budget.command("matches")
def matches_command(
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    top: Annotated[int, typer.Option(min=1, max=50, help="Items of each kind to show.")] = 3,
    as_json: JsonOption = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Each project's ranked strategy items, scores and explanations, and its unmatched flag."""
    service = _service(db, store)
    try:
        rows = service.matches(project, top)
    except UnknownProjectError as exc:
        raise fail(str(exc)) from None
    if as_json:
        _json(rows)
        return
    for p in rows:
        flag = "unmatched" if p["unmatched"] else "matched"
        if not p["mapped"]:  # imported since the last map: what is shown (if anything) is older
            flag = "not yet mapped (run `ebpm budget map`)" + (f"; before: {flag}" if p["computed"] else "")
        console.print(
            f"[bold]{escape(p['project_id'])}[/] {escape(p['name'])} ({p['ministry']}): {escape(flag)}"
        )
        for i in p["items"]:
            review = f" [{i['review']['decision']} by {i['review']['reviewer']}]" if i["review"] else ""
            score = "" if i["score"] is None else f"{i['score']:.3f}"
            terms = "、".join((i["explanation"] or {}).get("shared_terms", [])[:5])
            console.print(
                f"  {i['kind']:10} {i['item_id']:14} {score:>6} lines {i['line_start']}-{i['line_end']}"
                f" {escape(terms)}{escape(review)}",
                highlight=False,
            )


@budget.command("review")
def review_command(
    project: Annotated[str, typer.Argument(help="Project id.")],
    item: Annotated[
        str, typer.Argument(help="Strategy item: a measure id (2.2.1.3.m1) or a heading (2.4.3).")
    ],
    decision: Annotated[str, typer.Option("--decision", help="confirm | reject | add")],
    by: Annotated[str, typer.Option("--by", help="Who decides (kept with the review).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Confirm, reject or add a mapping; a recompute never overwrites it."""
    service = _service(db, store, "write")
    try:
        row = service.review(project, item, decision, by, note)
    except (NotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"{row['decision']}: {project} → {item} by {row['reviewer']} at {row['created_at']}", highlight=False
    )


@budget.command("summary")
def summary_command(
    level: Annotated[str, typer.Option(help="section | subsection | field | measure | ministry")] = "section",
    as_json: JsonOption = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Budget per strategy item, subsection, section, field or ministry, each fiscal year, with the change."""
    if level not in ("section", "subsection", "field", "measure", "ministry"):
        raise fail(f"--level {level!r}: use section, subsection, field, measure or ministry")
    data = _service(db, store).aggregate()
    if as_json:
        _json(data)
        return
    table = Table(title=f"budget by {level} (百万円)")
    table.add_column(level)
    table.add_column("title")
    for fy in data["fiscal_years"]:
        table.add_column(f"FY{fy}", justify="right")
        table.add_column("change", justify="right")
    for row in data[f"by_{level}"]:
        cells = [row["id"], escape(row["title"][:40])]
        for y in row["years"]:
            cells.append(f"{y['budget_yen'] / 1e6:,.0f}")
            cells.append("" if y["change"] is None else f"{y['change']:+.1%}")
        table.add_row(*cells)
    console.print(table)
    unmatched = ", ".join(f"FY{u['fiscal_year']} {u['budget_yen'] / 1e6:,.0f}" for u in data["unmatched"])
    console.print(f"not mapped to the strategy: {unmatched} 百万円", highlight=False)


@budget.command("evaluate")
def evaluate_command(
    folds: Annotated[int, typer.Option(min=2, max=20, help="Folds of the cross-fitting.")] = 5,
    as_json: JsonOption = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Score the mapping against the reviews: top-1, top-3 and the unmatched flag.

    Confirmed or added rows are a project's labels; a project whose reviewed matches were all
    rejected counts as serving no row. Each project is matched by an engine built from the other
    projects' confirmations, never its own, with and without them as a row field."""
    service = _service(db, store)
    with Progress(
        TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("evaluate", total=None)
        result = service.evaluate(folds, lambda n, total: bar.update(task, completed=n, total=total))
    if result is None:  # nothing to score against: an empty result, not an error
        if as_json:
            _json(None)
        else:
            console.print("no reviews yet: confirm, reject or add matches first (ebpm budget review …)")
        return
    with_confirmed, plain = result
    if as_json:
        _json({"with_confirmed_texts": asdict(with_confirmed), "without": asdict(plain), "folds": folds})
        return
    table = Table(
        title=f"mapping against the reviews ({plain.positives} projects with rows, {plain.negatives} without)"
    )
    for column in ("engine", "top-1", "top-3", "negatives flagged", "positives flagged", "flag precision"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for name, s in (("with confirmed texts", with_confirmed), ("without", plain)):
        table.add_row(
            name,
            f"{s.top1:.3f}",
            f"{s.top3:.3f}",
            f"{s.negatives_flagged:.3f}",
            f"{s.positives_flagged:.3f}",
            f"{s.flag_precision:.3f}",
        )
    console.print(table)


@budget.command("similar")
def similar_command(
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Cosine similarity from which to list.")
    ] = 0.45,
    as_json: JsonOption = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Pairs of projects of different ministries that are highly similar (possible duplication)."""
    pairs = _service(db, store).similar_pairs(threshold)
    if as_json:
        _json(pairs)
        return
    for p in pairs:
        console.print(
            f"{p['score']:.3f} {p['a']} ({p['a_ministry']}) ~ {p['b']} ({p['b_ministry']}): "
            f"{'、'.join(p['shared_terms'][:5])}",
            highlight=False,
        )
    if not pairs:
        console.print(f"no pair of projects of different ministries is {threshold} similar or more")
