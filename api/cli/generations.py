"""``ownergraph schedule``, ``ownergraph generations …`` and ``ownergraph watch …``."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from api.cli.context import settings_from
from graph.errors import BadInput

if TYPE_CHECKING:
    from api.settings import Settings

app = typer.Typer(no_args_is_help=True)
generations = typer.Typer(no_args_is_help=True)
watch = typer.Typer(no_args_is_help=True)
app.add_typer(generations, name="generations", help="List, diff, run and publish generations.")
app.add_typer(watch, name="watch", help="Watch entities; verdict changes go to signed webhooks.")
out = Console()
err = Console(stderr=True)


def _settings(ctx: typer.Context) -> Settings:
    return settings_from(ctx)


def _json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())


def _open(settings: Settings) -> Any:
    from graph.stores import open_store

    return open_store(settings.store_config())


@app.command("schedule")
def schedule(ctx: typer.Context,
             config: Path | None = typer.Option(None, "--config", help="default: OWNERGRAPH_SCHEDULE_FILE"),
             once: bool = typer.Option(False, "--once", help="run every source now, once, and exit"),
             force: bool = typer.Option(False, "--force", help="publish even when a guard refuses")) -> None:
    """Run the configured sources on their cron schedules (one run at a time)."""
    from api.schedule import load_schedule, loop, run_due

    settings = _settings(ctx)
    path = config or settings.schedule_file
    if path is None:
        raise BadInput("no schedule: pass --config or set OWNERGRAPH_SCHEDULE_FILE", field="config")
    sources = load_schedule(path)
    store = _open(settings)
    try:
        if once:
            result = run_due(settings, store, sources, dt.datetime.now(dt.UTC), force=force)
            _json(result.summary())
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        err.print(f"scheduling {len(sources)} source(s) from {escape(str(path))}")
        loop(settings, store, sources, stop=stop, force=force)
    finally:
        store.close()


@generations.command("list")
def gen_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Generations kept on disk, newest first (current, published or refused)."""
    from api.generations.history import generations as listing

    rows = listing(_settings(ctx))
    if as_json:
        _json(rows)
        return
    for r in rows:
        counts = " ".join(f"{p}:{c.get('BLOCK', 0)}B/{c.get('REVIEW', 0)}R"
                          for p, c in (r["policies"] or {}).items())
        out.print(f"{r['id']}  {r['status']:<9} {r['created']}  entities={r['entities']} "
                  f"edges={r['edges']}  {counts}", highlight=False)


@generations.command("diff")
def gen_diff(ctx: typer.Context, a: str, b: str,
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Entities whose verdict, exposure or ultimate controller changed from A to B."""
    from api.generations.history import diff_generations

    result = diff_generations(_settings(ctx), a, b)
    if as_json:
        _json(result)
        return
    lines = [f"{result['from']} -> {result['to']}: {result['changed']} entities changed, "
             f"{result['edges_changed']} edges changed"]
    for e in result["entities"]:
        lines.append(f"  {e['id']} ({e['name']})")
        for policy, c in e["policies"].items():
            before = (c["before"] or {}).get("verdict", "-")
            after = (c["after"] or {}).get("verdict", "-")
            lines.append(f"    {policy}: {before} -> {after} ({', '.join(c['changed'])})")
        for edge in e["edges"]:
            lines.append(f"      {edge['change']} {edge['owner']} -> {edge['owned']} ({edge['key']})")
        for fact in e["entity_facts"]:
            lines.append(f"      facts of {fact['id']}: {fact['before']} -> {fact['after']}")
    typer.echo("\n".join(lines))  # plain text: ids and policy names are not markup


@generations.command("run")
def gen_run(ctx: typer.Context, paths: list[Path],
            fmt: str = typer.Option(..., "--format", help="gleif | bods | psc | ftm | csv | news"),
            source: str | None = typer.Option(None, "--source", help="source name (default: the format)"),
            mode: str | None = typer.Option(None, "--mode", help="full | delta (default: what the files say)"),
            force: bool = typer.Option(False, "--force", help="publish even when a guard refuses")) -> None:
    """One run now: ingest these files, resolve, compute, publish (guards apply)."""
    from api.generations.run import RunRequest, SourceSpec, run_generation

    settings = _settings(ctx)
    store = _open(settings)
    try:
        spec = SourceSpec(source or fmt, fmt, tuple(paths), mode)
        report: dict[str, Any] = {}
        run_generation(settings, store, RunRequest((spec,), force=force), report)
    finally:
        store.close()
    _json({**report["publish"], "steps": {k: v for k, v in report.items() if k != "publish"}})


@generations.command("freeze")
def gen_freeze(ctx: typer.Context,
               force: bool = typer.Option(False, "--force", help="publish even when a guard refuses")) -> None:
    """Compute what the store holds now and publish it if the guards agree (`compute` with
    `--guarded`)."""
    from api.generations.run import compute_and_publish

    settings = _settings(ctx)
    store = _open(settings)
    try:
        result = compute_and_publish(settings, store, force=force)
    finally:
        store.close()
    _json(result.summary())


@generations.command("publish")
def gen_publish(ctx: typer.Context, generation: str,
                force: bool = typer.Option(False, "--force", help="publish even when a guard refuses")) -> None:
    """Publish a generation kept on disk (one a guard refused, or a rollback)."""
    from api.generations.run import publish_kept

    settings = _settings(ctx)
    store = _open(settings)
    try:
        _json(publish_kept(settings, store, generation, force=force).summary())
    finally:
        store.close()


@watch.command("add")
def watch_add(ctx: typer.Context, entity_id: str,
              url: str = typer.Option(..., "--url", help="webhook URL"),
              policy: str | None = typer.Option(None, "--policy"),
              secret: str | None = typer.Option(None, "--secret", help="default: generated"),
              label: str = typer.Option("", "--label")) -> None:
    """Watch an entity; prints the watch with its secret (shown once)."""
    from api.watches import add_watch

    w = add_watch(_settings(ctx), entity_id, url, policy=policy, secret=secret, label=label)
    _json({**w.public(), "secret": w.secret})


@watch.command("list")
def watch_list(ctx: typer.Context) -> None:
    from api.watches import list_watches

    _json([w.public() for w in list_watches(_settings(ctx))])  # an operator sees every role's


@watch.command("remove")
def watch_remove(ctx: typer.Context, watch_id: str) -> None:
    from api.watches import remove_watch

    remove_watch(_settings(ctx), watch_id)
    err.print(f"removed {watch_id}")


@watch.command("events")
def watch_events(ctx: typer.Context, limit: int = typer.Option(50, "--limit")) -> None:
    """Recorded verdict-change events and their deliveries, newest first."""
    from api.watches import list_events

    _json(list_events(_settings(ctx), limit))


@watch.command("redeliver")
def watch_redeliver(ctx: typer.Context) -> None:
    """Send again the events not yet delivered (pending or failed)."""
    from api.watches import redeliver

    sent = redeliver(_settings(ctx))
    _json([{"id": e["id"], "status": e["delivery"]["status"]} for e in sent])
