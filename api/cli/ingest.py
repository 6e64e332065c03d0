"""``ownergraph ingest``, ``ownergraph runs list|show`` and ``ownergraph export bods``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from api.cli.context import settings_from
from graph.errors import BadInput
from ingest import FORMAT_NAMES as FORMATS

if TYPE_CHECKING:
    from api.generations.run import SourceSpec
    from api.settings import Settings
    from graph.store import GraphStore
    from ingest.runs import RunSummary

app = typer.Typer(no_args_is_help=True)
runs = typer.Typer(no_args_is_help=True)
export = typer.Typer(no_args_is_help=True)
app.add_typer(runs, name="runs", help="Ingestion runs: counts and quarantined records.")
app.add_typer(export, name="export", help="Write the graph in a standard format.")
out = Console()
err = Console(stderr=True)


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(None, help="files to ingest, in any order"),
    fmt: str | None = typer.Option(None, "--format", "-f", help=f"one of: {', '.join(FORMATS)}"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="stop after N records (a trial; never end-dates)"),
    full: bool | None = typer.Option(
        None, "--full-snapshot/--delta",
        help="full snapshot end-dates vanished edges; delta only applies what it lists "
             "(default: what the files declare, else delta)"),
    emit_records: Path | None = typer.Option(
        None, "--emit-records", help="then write every stored entity as a Parquet record set "
                                     "(for resolve --engine spark on a cluster)"),
    canonical: Path | None = typer.Option(
        None, "--canonical", help="load canonical ids from a results Parquet "
                                  "(record_id, canonical_id) into the store"),
) -> None:
    """Ingest registry files into the graph store (the ingest step of a run); or move the
    resolution's files: the record set out, the canonical ids back in."""
    from api.generations.run import SourceSpec
    from graph.stores import open_store

    settings = settings_from(ctx)
    if not paths and emit_records is None and canonical is None:
        raise BadInput("give files to ingest, --emit-records or --canonical", field="paths")
    if paths and fmt not in FORMATS:
        raise BadInput(f"--format: unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")
    store = open_store(settings.store_config())
    try:
        store.ensure_schema()
        if paths and fmt:
            spec = SourceSpec(fmt, fmt, tuple(paths), None if full is None else ("full" if full else "delta"),
                              limit)
            _print_summary(_with_progress(settings, store, spec), settings.home)
        _resolution_files(store, canonical, emit_records)
    finally:
        store.close()


def _resolution_files(store: GraphStore, canonical: Path | None, emit_records: Path | None) -> None:
    from ingest.recordset import emit_record_set, load_canonical

    if canonical is not None:
        loaded = load_canonical(store, canonical)
        out.print(f"canonical ids loaded from {canonical}: {loaded.rows:,} records, {loaded.clusters:,} "
                  f"clusters, {loaded.changed:,} changed", highlight=False)
    if emit_records is not None:
        count = emit_record_set(store, emit_records)
        out.print(f"wrote {count:,} records to {emit_records}", highlight=False)


def _with_progress(settings: Settings, store: GraphStore, spec: SourceSpec) -> RunSummary:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from api.generations.run import ingest_source

    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"),
               TextColumn("{task.fields[counts]}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(f"ingest {spec.format}", total=None, counts="")

        def show(summary: RunSummary, current: str) -> None:
            rate = summary.read / max(time.monotonic() - started, 1e-6)
            bar.update(task, description=f"ingest {spec.format} {Path(current).name}",
                       counts=f"read {summary.read:,} · stored {summary.stored:,} · "
                              f"quarantined {summary.quarantined:,} · {rate:,.0f} rec/s")

        return ingest_source(settings, store, spec, show)[0]


SHOWN_ENDED = 10  # ended edges printed after a run; `runs show --ended N` lists more


def _print_summary(summary: RunSummary, home: Path) -> None:
    from ingest.runs import load_ended

    out.print(f"run {summary.run_id} {summary.status}: read {summary.read:,}, stored "
              f"{summary.stored:,} ({summary.entities:,} entities, {summary.edges:,} edges), "
              f"quarantined {summary.quarantined:,}, skipped {summary.skipped:,}, "
              f"ended {summary.ended_edges:,}, mode {summary.mode}", highlight=False)
    if summary.ending:
        out.print(f"full snapshot: {escape(str(summary.ending))}", highlight=False, soft_wrap=True)
    for reason, count in sorted(summary.kept_edges.items()):
        out.print(f"kept open {count:,} edges the snapshot does not list: "
                  f"{escape(KEPT_WHY.get(reason, reason))}", highlight=False, soft_wrap=True)
    _print_ended(load_ended(home, summary.run_id, SHOWN_ENDED), summary.ended_edges,
                 summary.run_id)


KEPT_WHY = {"stated_after_snapshot": "stated after the snapshot's content date",
            "other_record_type": "of another record type"}


def _print_ended(ended: list[dict[str, str]], total: int, run_id: str) -> None:
    for e in ended:
        out.print(f"ended {escape(str(e['key']))}: {escape(str(e['reason']))}", highlight=False,
                  soft_wrap=True)
    if total > len(ended):
        out.print(f"... {total - len(ended):,} more: ownergraph runs show {run_id} "
                  f"--ended {total}", highlight=False)


@runs.command("list")
def runs_list(ctx: typer.Context,
              as_json: bool = typer.Option(False, "--json", help="the runs as a JSON array")) -> None:
    """Every ingestion run recorded under the data directory, oldest first. Ids are printed
    whole, so any of them can be passed to `ownergraph runs show`."""
    from ingest.runs import list_runs

    found = list_runs(settings_from(ctx).home)
    if as_json:
        typer.echo(json.dumps(found, indent=1, ensure_ascii=False))
        return
    columns = ("run", "format", "status", "mode", "read", "stored", "quarantined", "started")
    rows = [[str(r.get(k, "")) for k in ("run_id", "format", "status", "mode", "read")]
            + [str(r.get("stored", 0)), str(r.get("quarantined", 0)), str(r.get("started", ""))]
            for r in found]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    for row in [list(columns), *rows]:  # plain text: never cut, never wrapped
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@runs.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="a run id from `ownergraph runs list`"),
    quarantine: int = typer.Option(20, "--quarantine", min=0, help="quarantined records to print"),
    ended: int = typer.Option(20, "--ended", min=0, help="end-dated edges to print"),
) -> None:
    """One run's counts, its first quarantined records with file, location and reason, and
    the edges a full snapshot end-dated with why."""
    from ingest.runs import load_ended, load_quarantine, load_run

    settings = settings_from(ctx)
    summary = load_run(settings.home, run_id)
    out.print_json(json.dumps(summary))
    for q in load_quarantine(settings.home, run_id, quarantine):
        out.print(escape(f"{q['file']} {q['location']}: {q['reason']}"), highlight=False,
                  soft_wrap=True)
    _print_ended(load_ended(settings.home, run_id, ended), int(summary.get("ended_edges", 0)),
                 run_id)


@export.command("bods")
def export_bods(
    ctx: typer.Context,
    output: Path = typer.Option(..., "--out", help="BODS 0.4 JSON array file to write"),
) -> None:
    """Write every entity and ownership edge as BODS 0.4 statements."""
    from graph.stores import open_store
    from ingest.export_bods import write_bods

    settings = settings_from(ctx)
    store = open_store(settings.store_config())
    try:
        count = write_bods(store, output)
    finally:
        store.close()
    out.print(f"wrote {count:,} BODS 0.4 statements to {escape(str(output))}", highlight=False)
