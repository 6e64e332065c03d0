"""``ownergraph store start|stop|status|check``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from api.cli.context import settings_from
from graph.errors import OwnergraphError
from graph.stores import open_store, store_kind

app = typer.Typer(no_args_is_help=True)
out = Console()

COUNTED = ("Entity", "OWNS", "CONTROLS", "Result", "Judgement", "Candidate")


def _embedded_only(uri: str, action: str) -> None:
    kind = store_kind(uri)
    if kind != "embedded":
        out.print(f"the graph store is external ({kind}: {escape(uri)}); `store {action}` manages only "
                  "the embedded server")
        raise typer.Exit(0)


@app.command()
def start(ctx: typer.Context) -> None:
    """Start the embedded FalkorDB server (or reuse the one already running) and set up schema."""
    from graph.falkordb.server import EmbeddedServer

    settings = settings_from(ctx)
    _embedded_only(settings.graph_uri, "start")
    config = settings.store_config()
    store = open_store(config)
    try:
        store.ensure_schema()
    finally:
        store.close()
    status = EmbeddedServer(config.home, config.appendfsync).status()
    out.print(f"[green]running[/green] pid {status.pid} socket {escape(str(status.socket))}")


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the embedded server cleanly (SHUTDOWN, AOF flushed)."""
    from graph.falkordb.server import EmbeddedServer

    settings = settings_from(ctx)
    _embedded_only(settings.graph_uri, "stop")
    server = EmbeddedServer(settings.home, settings.appendfsync)
    if server.stop():
        out.print("[green]stopped[/green]")
    else:
        out.print("not running")


@app.command()
def status(ctx: typer.Context) -> None:
    """Show where the store is, whether it answers, and what the graph holds."""
    from rich.table import Table

    from graph.falkordb.server import EmbeddedServer

    settings = settings_from(ctx)
    config = settings.store_config()
    kind = store_kind(config.uri)
    table = Table(show_header=False, box=None)
    table.add_row("store", kind if kind != "embedded" else "embedded FalkorDB")
    if kind == "embedded":
        server = EmbeddedServer(config.home, config.appendfsync)
        state = server.status()
        table.add_row("state", "[green]running[/green]" if state.running
                      else f"[yellow]{state.reason}[/yellow]")
        table.add_row("pid", str(state.pid or "-"))
        table.add_row("socket", escape(str(state.socket)))
        table.add_row("appendfsync", config.appendfsync)
        if not state.running:
            out.print(table)
            return
    else:
        table.add_row("uri", escape(config.uri))
    table.add_row("graph", escape(config.graph_name))
    store = open_store(config)
    try:
        for label in COUNTED:
            try:
                table.add_row(label, f"{store.count(label):,}")
            except OwnergraphError as exc:
                table.add_row(label, f"[red]{exc.message}[/red]")
    finally:
        store.close()
    out.print(table)


@app.command()
def check(ctx: typer.Context,
          create_schema: bool = typer.Option(False, "--create-schema",
                                             help="create missing constraints and indexes "
                                                  "first")) -> None:
    """Verify a configured Neo4j: version, constraints and indexes, a write and read probe,
    the transaction memory limit. Exit code 1 when anything is missing."""
    from graph.neo4j.check import check as check_neo4j
    from graph.neo4j.store import Neo4jStore

    settings = settings_from(ctx)
    config = settings.store_config()
    if store_kind(config.uri) != "neo4j":
        out.print(f"`store check` verifies a Neo4j store; the configured store is "
                  f"{store_kind(config.uri)} ({config.uri}): see `store status`")
        raise typer.Exit(0)
    store = Neo4jStore.open(config)
    try:
        if create_schema:
            store.ensure_schema()
        findings = check_neo4j(store)
    finally:
        store.close()
    out.print(f"Neo4j at {config.uri}, database {config.database}")
    for f in findings:
        mark = "[green]ok[/green]     " if f.ok else "[red]MISSING[/red]"
        out.print(f"{mark} {f.check}: {f.detail}", highlight=False)
    if not all(f.ok for f in findings):
        raise typer.Exit(1)
