"""The ``ownergraph`` command. Each area registers its sub-commands from its own module."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from api.logs import configure_logging
from api.settings import Settings, load_settings
from graph.errors import BadInput, OwnergraphError

app = typer.Typer(
    name="ownergraph",
    help="Who ultimately controls this company, and is it controlled from a restricted jurisdiction?",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def settings_from(ctx: typer.Context) -> Settings:
    """The settings built once by the root callback (sub-commands get them from here)."""
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


@app.callback()
def _root(ctx: typer.Context) -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    ctx.obj = settings


def _register() -> None:
    from api import cli_store

    app.add_typer(cli_store.app, name="store", help="Start, stop and inspect the graph store.")
    app.add_typer(__import__("api.cli_control", fromlist=["app"]).app)  # control, compute
    app.add_typer(__import__("api.cli_serve", fromlist=["app"]).app)  # serve, demo, screen, keys
    app.add_typer(__import__("api.cli_ingest", fromlist=["app"]).app)  # ingest, runs, export
    app.add_typer(__import__("api.cli_news", fromlist=["app"]).app, name="news", help="News claims: extract, eval.")
    app.add_typer(__import__("api.cli_resolve", fromlist=["app"]).app)  # resolve, judge, review
    app.add_typer(__import__("api.cli_generations", fromlist=["app"]).app)  # schedule, generations, watch


# Run as ``python -m api.cli`` this file is ``__main__``; the sub-command modules import
# ``api.cli``, so the app they join is registered there, once.
if __name__ != "__main__":
    _register()


def main() -> None:
    try:
        # Without standalone mode click returns a sub-command's typer.Exit code instead of
        # exiting; dropping it would turn "store status: not running" into success.
        code = app(standalone_mode=False)
    except OwnergraphError as exc:
        err.print(f"[red]error:[/red] {exc.message}", highlight=False, soft_wrap=True)
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


if __name__ == "__main__":
    from api.cli import main as registered_main

    registered_main()
