"""``ownergraph control policies|eval`` and ``ownergraph compute``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from api.cli.context import settings_from
from graph.errors import BadInput

app = typer.Typer(no_args_is_help=True)
control = typer.Typer(no_args_is_help=True)
app.add_typer(control, name="control", help="Control policies: list them, evaluate plain files.")
err = Console(stderr=True)


def _as_of(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadInput(f"--as-of: not an ISO date (YYYY-MM-DD): {value!r}",
                       field="as_of") from None


@control.command("policies")
def policies(ctx: typer.Context) -> None:
    """List the built-in and configured policies with their settings."""
    from rich.table import Table

    from graph.control.policies import known_policies

    settings = settings_from(ctx)
    table = Table(title="control policies")
    rows = [p.settings_row() for p in known_policies(settings.policy_file).values()]
    table.add_column("name", no_wrap=True)
    for column in ("roots", "threshold", "mode", "aggregation", "shares", "control", "news",
                   "window"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(str(row[c])) for c in ("name", "roots", "threshold", "mode",
                                                       "aggregation", "shares", "control",
                                                       "news", "window")))
    Console().print(table)  # built here so the terminal width is read at call time


@control.command("eval")
def eval_files(
    ctx: typer.Context,
    entities: Path = typer.Option(..., "--entities", help="E.csv: id,kind,jurisdiction,hq_country,nationality,flags (optional: residence, exceptions, name)"),
    edges: Path = typer.Option(..., "--edges", help="W.csv: owner,owned,kind,share_lo,share_hi,start,end,confidence"),
    policy: str = typer.Option(..., "--policy", help="policy name or a TOML file with one policy"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: the policy's, else today)"),
    output: Path = typer.Option(..., "--out", help="result JSON lines, one per entity"),
) -> None:
    """Evaluate a policy over plain CSV files (bad rows are reported and skipped)."""
    from graph.control.engine import evaluate
    from graph.control.explain import Labels
    from graph.control.files import load_files
    from graph.control.policies import resolve_policy
    from graph.control.report import records
    from graph.control.served import VERDICTS

    settings = settings_from(ctx)
    chosen = resolve_policy(policy, settings.policy_file, _as_of(as_of))
    loaded = load_files(entities, edges)
    for problem in loaded.problems:
        err.print(f"[yellow]skipped[/yellow] {escape(str(problem))}", highlight=False, soft_wrap=True)
    result = evaluate(loaded.arrays, chosen)
    for issue in result.issues:
        if issue.edge >= 0 and issue.edge < len(loaded.edge_lines):
            err.print(f"[yellow]flagged[/yellow] {escape(str(edges))}:{loaded.edge_lines[issue.edge]}: "
                      f"{escape(issue.message)}", highlight=False, soft_wrap=True)
        else:
            err.print(f"[yellow]flagged[/yellow] {escape(issue.message)}", highlight=False, soft_wrap=True)
    counts = dict.fromkeys(VERDICTS, 0)
    with output.open("wb") as handle:
        for record in records(loaded.arrays, result, labels=Labels(names=loaded.names)):
            counts[record["verdict"]] += 1
            handle.write(orjson.dumps(record) + b"\n")
    summary = ", ".join(f"{k}={v}" for k, v in counts.items())
    err.print(escape(f"{chosen.name} as of {result.as_of}: {loaded.arrays.n_entities} entities, "
                     f"{summary}; {len(loaded.problems)} rows skipped -> {output}"), highlight=False)


@app.command("compute")
def compute_cmd(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: each policy's, else today)"),
    guarded: bool = typer.Option(False, "--guarded", help="refuse to publish when a guard objects (as scheduled runs do)"),
) -> None:
    """Evaluate every policy in force on the stored graph and publish the result as the
    served generation (what `screen`, the API and Cypher's Result nodes answer from)."""
    from api.generations.run import compute_and_publish
    from graph.stores import open_store

    settings = settings_from(ctx)
    store = open_store(settings.store_config())
    try:
        result = compute_and_publish(settings, store, force=not guarded, as_of=_as_of(as_of))
    finally:
        store.close()
    for reason in result.reasons:
        err.print(f"[yellow]guard[/yellow] {escape(reason)} (published: a manual compute decides)",
                  highlight=False, soft_wrap=True)
    typer.echo(orjson.dumps(result.summary()).decode())
