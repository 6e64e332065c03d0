"""The ``ownergraph`` command: the root app, its sub-command areas, errors to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from api.cli import control, generations, ingest, news, resolve, serve, store
from graph.errors import BadInput, OwnergraphError

app = typer.Typer(
    name="ownergraph",
    help="Who ultimately controls this company, and is it controlled from a restricted jurisdiction?",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(store.app, name="store", help="Start, stop and inspect the graph store.")
app.add_typer(control.app)  # control, compute
app.add_typer(serve.app)  # serve, demo, screen, keys
app.add_typer(ingest.app)  # ingest, runs, export
app.add_typer(news.app, name="news", help="News claims: extract, eval.")
app.add_typer(resolve.app)  # resolve, judge, review
app.add_typer(generations.app)  # schedule, generations, watch
err = Console(stderr=True)


def main() -> None:
    try:
        # Without standalone mode click returns a sub-command's typer.Exit code instead of
        # exiting; dropping it would turn "store status: not running" into success.
        code = app(standalone_mode=False)
    except OwnergraphError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}", highlight=False, soft_wrap=True)
        sys.exit(2 if isinstance(exc, BadInput) else 1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive as ClickException subclasses
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)
