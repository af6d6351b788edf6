"""``ebpm research``: bibliographic and funding data in; indicators, trends and input/output out."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ebpm.cli.common import DbOption, app, console, err, fail, load_followup
from ebpm.cli.indicators import MonitoringOption, open_monitoring
from ebpm.export.tables import to_csv
from ebpm.research import analytics, feed, funding_types
from ebpm.research.engine import (
    DuckDBEngine,
    Engine,
    EngineError,
    SparkEngine,
    export_parquet,
    spark_over_store,
)
from ebpm.research.methods import GROUPINGS, IO_GROUPINGS, Query
from ebpm.research.openalex import import_works
from ebpm.research.records import import_records
from ebpm.research.staging import ImportSummary, ResearchImportError
from ebpm.research.store import (
    ANALYTIC_TABLES,
    ResearchStoreError,
    datasets,
    is_sample,
    open_store,
    resolve_path,
)
from ebpm.sources.tabular import ReadError

research = typer.Typer(
    help="Research inputs and outputs: OpenAlex works, funding, researchers, bibliometric indicators.",
    no_args_is_help=True,
)
app.add_typer(research, name="research")

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--research-db",
        help="Research store (default: $EBPM_RESEARCH_DB, else ./ebpm-research.duckdb).",
        show_default=False,
    ),
]
YearsOption = Annotated[
    str | None,
    typer.Option("--years", help="Publication years, e.g. 2018-2020 (default: the last 3 loaded)."),
]
CountingOption = Annotated[
    str, typer.Option("--counting", help="whole (整数カウント) or fractional (分数カウント).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Write JSON to stdout.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Write CSV to stdout.")]
EngineOption = Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")]
MasterOption = Annotated[
    str, typer.Option("--spark-master", help="Spark master URL, e.g. spark://host:7077 (default: local[2]).")
]
ParquetOption = Annotated[
    str | None,
    typer.Option(
        "--parquet", help="With --engine spark: a folder (or s3a:// URL) of the store's tables as Parquet."
    ),
]
SAMPLE_NOTE = "SAMPLE: synthetic data from `ebpm research sample`, not real statistics"


def _years(raw: str | None, engine: Engine, default_width: int = 3) -> tuple[int, int]:
    if raw:
        m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–~〜]\s*(\d{4}))?\s*", raw)
        if m is None:
            raise fail(f"--years {raw!r}: write a year (2020) or a range (2018-2020)")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if first > last:
            raise fail(f"--years {raw!r}: the first year is after the last")
        return first, last
    span = analytics.year_range(engine)
    if span is None:
        raise fail(
            "the research store holds no counted works; import OpenAlex works first (ebpm research import)"
        )
    return max(span[0], span[1] - default_width + 1), span[1]


@contextmanager
def _engine(store: Path | None, engine: str, master: str, parquet: str | None) -> Iterator[Engine]:
    """The engine to analyse with, over the store (DuckDB) or its Parquet copy (Spark)."""
    if engine not in ("duckdb", "spark"):
        raise fail(f"--engine {engine!r}: use duckdb or spark")
    try:
        with open_store(resolve_path(store), read_only=True) as con:
            if is_sample(con):
                err.print(f"[yellow]{SAMPLE_NOTE}[/]", highlight=False)
            if engine == "duckdb":
                yield DuckDBEngine(con)
            else:
                with spark_over_store(con, master, parquet) as spark:
                    yield spark
    except (ResearchStoreError, EngineError) as exc:
        raise fail(str(exc)) from None


def _query(**kwargs: Any) -> Query:
    try:
        return Query(**kwargs)
    except ValueError as exc:
        raise fail(str(exc)) from None


def _emit(items: list[dict[str, Any]], as_json: bool, as_csv: bool) -> bool:
    if as_json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=1) + "\n")
        return True
    if as_csv:
        sys.stdout.write(to_csv(items))
        return True
    return False


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else escape(str(value))


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _summary(summary: ImportSummary) -> None:
    verb = "would import" if summary.dry_run else "imported"
    console.print(
        f"{verb} {escape(summary.file)}: {summary.records:,} "
        f"{'lines' if summary.kind == 'openalex' else 'rows'}"
        f"; {summary.added:,} added, {summary.replaced:,} replaced by a newer version, "
        f"{summary.unchanged:,} unchanged",
        highlight=False,
        soft_wrap=True,
    )
    for reason, count in summary.excluded.items():
        console.print(f"  left out of the analysis: {count:,} ({escape(reason)})", highlight=False)
    if summary.duplicates and summary.kind != "openalex":
        console.print(f"  {summary.duplicates:,} identical duplicate rows counted once", highlight=False)


def _run_import(
    kind: str, file: Path, store: Path | None, dry_run: bool, label: str | None, sample: bool = False
) -> ImportSummary:
    path = resolve_path(store)
    try:
        with (
            open_store(path) as con,
            Progress(
                TextColumn(f"reading {escape(file.name)}"),
                BarColumn(),
                DownloadColumn() if kind == "openalex" else TextColumn("{task.completed:,} rows"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar,
        ):
            task = bar.add_task("import", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total or None)

            if kind == "openalex":
                return import_works(con, file, dry_run=dry_run, label=label, sample=sample, progress=progress)
            return import_records(
                con, kind, file, dry_run=dry_run, label=label, sample=sample, progress=progress
            )
    except ResearchImportError as exc:
        for line in exc.errors:
            err.print(f"[bold red]error:[/] {escape(line)}", highlight=False)
        err.print("nothing was imported", highlight=False)
        raise typer.Exit(code=1) from None
    except (ReadError, ResearchStoreError) as exc:
        raise fail(f"{exc} (nothing was imported)") from None


@research.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="openalex, funding, researchers or patents.")],
    file: Annotated[
        Path, typer.Argument(help="JSON Lines (.jsonl, .jsonl.gz) for openalex; CSV or Excel else.")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything; write nothing.")] = False,
    label: Annotated[
        str | None, typer.Option(help="The data set's name in sources (default: file name).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Import a file; everything is checked first, then all records are written or none."""
    if kind not in ("openalex", "funding", "researchers", "patents"):
        raise fail(f"{kind!r}: import openalex, funding, researchers or patents")
    _summary(_run_import(kind, file, store, dry_run, label))


@research.command("sample")
def sample_command(
    works: Annotated[int, typer.Option(help="Number of works.", min=100, max=5_000_000)] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 1,
    output: Annotated[Path, typer.Option(help="Folder for the files.")] = Path("ebpm-research-sample"),
    load_it: Annotated[
        bool, typer.Option("--load", help="Import the files into the research store.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Write a deterministic SAMPLE world: OpenAlex-format works, funding records, researchers, patents."""
    from ebpm.research.sample import generate

    with Progress(
        TextColumn("writing SAMPLE works"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("sample", total=works)
        files = generate(
            output, works=works, seed=seed, progress=lambda n, total: bar.update(task, completed=n)
        )
    console.print(f"SAMPLE data (synthetic, seed {seed}) written to {escape(str(output))}/:", highlight=False)
    for path in (files.works, files.funding, files.researchers, files.patents, files.readme):
        console.print(f"  {escape(path.name)}", highlight=False)
    if not load_it:
        return
    label = f"SAMPLE synthetic world (seed {seed}, {works:,} works)"
    for kind, path in (
        ("openalex", files.works),
        ("funding", files.funding),
        ("researchers", files.researchers),
        ("patents", files.patents),
    ):
        _summary(_run_import(kind, path, store, False, f"{label}: {path.name}", sample=True))


def _indicator_table(result: dict[str, Any], title: str, limit: int) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("id", "name", "p", "p_top10", "pp_top10", "p_top1", "pp_top1", "mncs", "world share"):
        table.add_column(column, justify="left" if column in ("id", "name") else "right")
    for i in result["items"][:limit]:
        table.add_row(
            escape(str(i["id"])),
            escape(str(i["name"]))[:40],
            _num(i["p"]),
            _num(i["p_top10"]),
            _pct(i["pp_top10"]),
            _num(i["p_top1"]),
            _pct(i["pp_top1"]),
            _num(i["mncs"], 2),
            _pct(i["world_share"]),
        )
    return table


@research.command("indicators")
def indicators_command(
    by: Annotated[str, typer.Option("--by", help=" | ".join(GROUPINGS))] = "institution",
    years: YearsOption = None,
    counting: CountingOption = "whole",
    country: Annotated[
        str | None, typer.Option(help="Only this country's institutions (or works), e.g. JP.")
    ] = None,
    institution_type: Annotated[
        str | None, typer.Option("--type", help="Only institutions of this type: education, government …")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown in the table (JSON and CSV have all).")] = 30,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    engine: EngineOption = "duckdb",
    spark_master: MasterOption = "local[2]",
    parquet: ParquetOption = None,
    store: StoreOption = None,
) -> None:
    """p, Top10% and Top1% papers (ties shared), MNCS and world share per group."""
    if by not in GROUPINGS:
        raise fail(f"--by {by!r}: use one of {', '.join(GROUPINGS)}")
    with _engine(store, engine, spark_master, parquet) as e:
        first, last = _years(years, e)
        q = _query(
            first_year=first,
            last_year=last,
            counting=counting,
            country=country,
            institution_type=institution_type,
        )
        result = analytics.indicators(e, by, q)
    if _emit(result["items"], as_json, as_csv):
        return
    console.print(_indicator_table(result, f"{by}, {first}–{last}, {counting} counting", limit))
    t = result["totals"]
    console.print(
        f"world: {t['world_p']:,.0f} papers, {t['world_p_top10']:,.1f} Top10%; "
        f"{len(result['items']):,} groups; works in no group: {t['works_without_group']:,}"
        + (f"; unaffiliated share (fractional): {t['unaffiliated_p']:,.1f}" if "unaffiliated_p" in t else ""),
        highlight=False,
    )


@research.command("inputs-outputs")
def inputs_outputs_command(
    by: Annotated[str, typer.Option("--by", help=" | ".join(IO_GROUPINGS))] = "institution",
    years: YearsOption = None,
    fiscal_years: Annotated[
        str | None,
        typer.Option("--fiscal-years", help="Funding fiscal years, e.g. 2016-2020 (default: all)."),
    ] = None,
    funding_type: Annotated[str | None, typer.Option(help="Only this funding type (code).")] = None,
    country: Annotated[str | None, typer.Option(help="Only funding of this country's institutions.")] = None,
    institution_type: Annotated[
        str | None, typer.Option("--type", help="Only institutions of this type.")
    ] = None,
    researcher_window: Annotated[
        int | None,
        typer.Option(help="Also link a work to a researcher's funding published within N years after it."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown in the table.")] = 30,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    engine: EngineOption = "duckdb",
    spark_master: MasterOption = "local[2]",
    parquet: ParquetOption = None,
    store: StoreOption = None,
) -> None:
    """Funding (yen) against linked papers and Top10% papers, per 100 million yen."""
    if by not in IO_GROUPINGS:
        raise fail(f"--by {by!r}: use one of {', '.join(IO_GROUPINGS)}")
    with _engine(store, engine, spark_master, parquet) as e:
        first, last = _years(years, e, default_width=100)
        fy = _years(fiscal_years, e) if fiscal_years else None
        q = _query(
            first_year=first,
            last_year=last,
            fiscal_years=fy,
            funding_type=funding_type,
            country=country,
            institution_type=institution_type,
            researcher_window=researcher_window,
        )
        result = analytics.inputs_outputs(e, by, q)
    if _emit(result["items"], as_json, as_csv):
        return
    table = Table(title=f"funding → papers ({first}–{last}) by {by}", title_justify="left")
    for column in (
        "id",
        "name",
        "億円",
        "papers",
        "Top10%",
        "papers/億円",
        "Top10%/億円",
        "unlinked records",
    ):
        table.add_column(column, justify="left" if column in ("id", "name") else "right")
    for i in result["items"][:limit]:
        table.add_row(
            escape(str(i["id"])),
            escape(str(i["name"]))[:36],
            _num(i["amount_yen"] / 1e8, 2),
            _num(i["papers"]),
            _num(i["p_top10"]),
            _num(i["papers_per_100m_yen"], 2),
            _num(i["top10_per_100m_yen"], 3),
            _num(i["unlinked_records"]),
        )
    console.print(table)
    t = result["totals"]
    console.print(
        f"funding: {t['amount_yen'] / 1e8:,.1f} 億円 in {t['records']:,} records, of which "
        f"{t['unlinked_records']:,} records ({t['unlinked_yen'] / 1e8:,.1f} 億円) are linked to no paper; "
        f"papers {first}–{last}: {t['works_in_window']:,}, linked {t['works_linked']:,} "
        f"({t['works_linked_by_award_id']:,} by award id), with grants but unlinked "
        f"{t['works_with_grants_unlinked']:,}",
        highlight=False,
        soft_wrap=True,
    )


@research.command("trends")
def trends_command(
    by: Annotated[str, typer.Option("--by", help="field | subfield")] = "field",
    country: Annotated[str, typer.Option(help="Whose trend (ISO code).")] = "JP",
    years: Annotated[str | None, typer.Option(help="Publication years (default: all loaded).")] = None,
    counting: CountingOption = "whole",
    window: Annotated[int, typer.Option(help="Moving window in years.", min=1, max=10)] = 3,
    patents: Annotated[
        bool, typer.Option("--patents", help="Papers cited by patent families instead.")
    ] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    engine: EngineOption = "duckdb",
    spark_master: MasterOption = "local[2]",
    parquet: ParquetOption = None,
    store: StoreOption = None,
) -> None:
    """Share of world papers and Top10% papers by field over moving windows; specialisation; growth."""
    with _engine(store, engine, spark_master, parquet) as e:
        first, last = _years(years, e, default_width=100)
        q = _query(first_year=first, last_year=last, counting=counting, country=country)
        if patents:
            cited = analytics.patent_cited(e, q)
            if _emit(cited["items"], as_json, as_csv):
                return
            table = Table(
                title=f"{country} papers cited by patent families, {first}–{last}", title_justify="left"
            )
            for column in ("field", "papers", "cited", "share"):
                table.add_column(column, justify="left" if column == "field" else "right")
            for i in cited["items"]:
                table.add_row(
                    escape(str(i["name"])), _num(i["p"]), _num(i["p_cited"]), _pct(i["cited_share"])
                )
            console.print(table)
            console.print(
                f"{cited['totals']['p_cited']:,.0f} papers cited by "
                f"{cited['totals']['patent_families']:,} families"
            )
            return
        try:
            result = analytics.trends(e, by, q, width=window)
        except ValueError as exc:
            raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        return
    if as_csv:
        sys.stdout.write(
            to_csv([{"id": s["id"], "name": s["name"], **w} for s in result["series"] for w in s["windows"]])
        )
        return
    table = Table(
        title=f"{country} by {by}, windows of {window} years ({first}–{last})", title_justify="left"
    )
    for column in (
        "id",
        "name",
        "specialisation",
        "share first",
        "share last",
        "Top10% share first",
        "last",
        "growth",
    ):
        table.add_column(column, justify="left" if column in ("id", "name") else "right")
    for f in result["fields"]:
        table.add_row(
            escape(str(f["id"])),
            escape(str(f["name"]))[:36],
            _num(f["specialisation"], 2),
            _pct(f["share_first"]),
            _pct(f["share_last"]),
            _pct(f["top10_share_first"]),
            _pct(f["top10_share_last"]),
            _pct(f["growth"]),
        )
    console.print(table)
    falling = ", ".join(
        f"{escape(str(f['name']))} ({100 * f['top10_share_change']:+.1f} pt)"
        for f in result["top10_share_falling"][:5]
    )
    growing = ", ".join(
        f"{escape(str(f['name']))} ({_pct(f['growth'])}/yr)" for f in result["fastest_growing"][:5]
    )
    console.print(f"Top10% share falling most: {falling or '–'}", highlight=False, soft_wrap=True)
    console.print(f"fastest-growing: {growing or '–'}", highlight=False, soft_wrap=True)


@research.command("feed-indicators")
def feed_command(
    mapping: Annotated[
        Path | None, typer.Option(help="Mapping file (default: the strategy's bibliometric series, bundled).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything; write nothing.")] = False,
    author: Annotated[str, typer.Option(help="Who imports.")] = "cli",
    db: DbOption = None,
    monitoring_db: MonitoringOption = None,
    store: StoreOption = None,
) -> None:
    """Write the strategy's bibliometric indicators, computed from the store, as observations."""
    from ebpm.indicators.importing import ObservationImportError, records, run_import
    from ebpm.indicators.monitor import Monitor

    path = mapping or feed.bundled_mapping()
    try:
        entries = feed.load_mapping(path)
    except ValueError as exc:
        raise fail(str(exc)) from None
    with _engine(store, "duckdb", "", None) as e:
        labels = "; ".join(d.label for d in datasets(e.con)) if isinstance(e, DuckDBEngine) else ""
        try:
            rows = feed.observations(e, entries, labels)
        except ValueError as exc:
            raise fail(str(exc)) from None
    monitor = Monitor(load_followup(db), open_monitoring(monitoring_db, "write"))
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
    try:
        result = run_import(
            monitor, records(rows), Path(f"research:{path.name}"), "research", dry_run=dry_run, author=author,
            today=date.today(), digest=digest,
        )  # fmt: skip
    except ObservationImportError as exc:
        for line in exc.errors:
            err.print(f"[bold red]error:[/] {escape(line)}", highlight=False)
        raise typer.Exit(code=1) from None
    verb = "would write" if dry_run else "wrote"
    console.print(
        f"{verb} {result.rows:,} observations of {len({r['indicator_id'] for r in rows})} series: "
        f"{result.added:,} added, {result.revised:,} revised (old values kept as history), "
        f"{result.unchanged:,} unchanged",
        highlight=False,
    )


@research.command("status")
def status_command(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """The data sets in the research store and what they hold."""
    path = resolve_path(store)
    try:
        with open_store(path, read_only=True) as con:
            loaded = datasets(con)
            counts = {
                t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                for t in ("works", "institutions", "funding", "researchers", "patent_citations")
            }
            counted = con.execute("SELECT count(*) FROM works WHERE excluded IS NULL").fetchone()
            sample = is_sample(con)
    except ResearchStoreError as exc:
        raise fail(str(exc)) from None
    payload = {
        "store": str(path),
        "sample": sample,
        "counts": counts,
        "counted_works": int(counted[0]) if counted else 0,
        "datasets": [asdict(d) for d in loaded],
    }
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        return
    if sample:
        console.print(f"[yellow]{SAMPLE_NOTE}[/]", highlight=False)
    console.print(f"research store {escape(str(path))}", highlight=False)
    for name, n in counts.items():
        console.print(f"  {name}: {n:,}", highlight=False)
    console.print(f"  works counted by the analysis: {payload['counted_works']:,}", highlight=False)
    for d in loaded:
        console.print(
            f"  data set {d.dataset_id}: {escape(d.kind)} {escape(d.label)} "
            f"({d.rows:,} records, {d.imported_at})",
            highlight=False,
        )


@research.command("export-parquet")
def export_parquet_command(
    directory: Annotated[Path, typer.Argument(help="Folder for one TABLE.parquet per table.")],
    only: Annotated[
        str | None,
        typer.Option(help="Only these tables, e.g. funding,funding_types,researchers,patent_citations."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """The store's tables as Parquet: what `--engine spark --parquet DIR` reads."""
    tables = tuple(t.strip() for t in only.split(",") if t.strip()) if only else ANALYTIC_TABLES
    try:
        with open_store(resolve_path(store), read_only=True) as con:
            written = export_parquet(con, directory, tables)
    except (ResearchStoreError, ValueError) as exc:
        raise fail(str(exc)) from None
    console.print(f"wrote {len(written)} tables to {escape(str(directory))}/", highlight=False)


@research.command("flatten-snapshot")
def flatten_snapshot_command(
    snapshot: Annotated[
        str, typer.Argument(help="The snapshot's works: a folder, glob or s3a:// URL of JSONL(.gz).")
    ],
    output: Annotated[str, typer.Argument(help="Folder (or s3a:// URL) for the Parquet tables.")],
    spark_master: MasterOption = "local[2]",
) -> None:
    """Flatten the OpenAlex snapshot into the store's tables as Parquet, with Spark (national scale)."""
    from ebpm.research.snapshot import flatten

    try:
        engine = SparkEngine(None, spark_master)
    except EngineError as exc:
        raise fail(str(exc)) from None
    try:
        result = flatten(engine, snapshot, output, date.today().year)
    except Exception as exc:  # Spark reports a missing path or bad schema as a Py4J error
        raise fail(f"{snapshot}: Spark could not flatten it ({str(exc).splitlines()[0]})") from None
    finally:
        engine.stop()
    for table, count in result["tables"].items():
        console.print(f"  {table}: {count:,} rows", highlight=False)
    for reason, count in result["left_out"].items():
        if count:
            console.print(f"  left out: {count:,} ({reason.replace('_', ' ')})", highlight=False)
    console.print(
        f"wrote {escape(output)}; add funding, researchers and patents with "
        "`ebpm research export-parquet DIR --only funding,funding_types,researchers,patent_citations`",
        highlight=False,
    )


types_app = typer.Typer(help="The funding-type code list.", no_args_is_help=True)
research.add_typer(types_app, name="funding-types")


@types_app.command("list")
def types_list(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """The funding types: code, Japanese and English names."""
    try:
        with open_store(resolve_path(store)) as con:
            types = funding_types.load(con)
    except ResearchStoreError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps([asdict(t) for t in types], ensure_ascii=False, indent=1) + "\n")
        return
    for t in types:
        console.print(f"{t.code:<14} {escape(t.name_ja)} / {escape(t.name_en)}", highlight=False)


@types_app.command("add")
def types_add(
    code: Annotated[str, typer.Argument(help="Code, e.g. moonshot.")],
    name_ja: Annotated[str, typer.Argument(help="Japanese name.")],
    name_en: Annotated[str, typer.Argument(help="English name.")],
    description: Annotated[str, typer.Option(help="What it covers.")] = "",
    store: StoreOption = None,
) -> None:
    """Add a funding type."""
    try:
        with open_store(resolve_path(store)) as con:
            funding_types.add(con, funding_types.FundingType(code, name_ja, name_en, description))
    except (ResearchStoreError, ValueError) as exc:
        raise fail(str(exc)) from None
    console.print(f"added funding type {escape(code)}", highlight=False)


@types_app.command("remove")
def types_remove(code: Annotated[str, typer.Argument(help="Code.")], store: StoreOption = None) -> None:
    """Remove a funding type that no record uses."""
    try:
        with open_store(resolve_path(store)) as con:
            funding_types.remove(con, code)
    except (ResearchStoreError, ValueError) as exc:
        raise fail(str(exc)) from None
    console.print(f"removed funding type {escape(code)}", highlight=False)
