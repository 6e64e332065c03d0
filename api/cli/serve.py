"""``ownergraph serve``, ``ownergraph demo``, ``ownergraph screen`` and ``ownergraph keys``."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from api.cli.context import settings_from
from graph.errors import BadInput

if TYPE_CHECKING:
    from api.schemas import ScreenRequest
    from api.settings import Settings

app = typer.Typer(no_args_is_help=True)
keys = typer.Typer(no_args_is_help=True)
app.add_typer(keys, name="keys", help="Create, list and revoke API keys.")
out = Console()
err = Console(stderr=True)
log = logging.getLogger(__name__)



def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                loop="uvloop", http="httptools", log_config=None, access_log=False)


@app.command("serve")
def serve(ctx: typer.Context,
          host: str | None = typer.Option(None, help="default: OWNERGRAPH_HOST"),
          port: int | None = typer.Option(None, help="default: OWNERGRAPH_PORT")) -> None:
    """Serve the current generation of an existing data directory over HTTP."""
    _serve(settings_from(ctx), host, port)


@app.command("demo")
def demo(ctx: typer.Context,
         serve_after: bool = typer.Option(True, "--serve/--no-serve", help="serve when loaded"),
         port: int | None = typer.Option(None, help="default: OWNERGRAPH_PORT")) -> None:
    """Start the embedded store, load the bundled demo data, resolve, compute and serve."""
    from api.auth import KeyStore, Role
    from api.demo import demo_settings, load_demo

    settings = demo_settings(settings_from(ctx))
    started_here = _embedded_not_running(settings)
    # uvicorn answers SIGTERM with a graceful shutdown, then raises the signal again: with
    # the default action the process would end before the store below is stopped.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    stop_store = started_here  # a store the demo started ends with it; a running one stays
    try:
        summary = load_demo(settings)
        token, _ = KeyStore(settings.home / "keys.json").create(Role.ADMIN, "demo")
        err.print(f"[green]demo loaded[/green]: {escape(str(summary))}", highlight=False,
                  soft_wrap=True)
        typer.echo(curl_examples(f"http://{settings.host}:{port or settings.port}", token))
        if not serve_after:
            stop_store = False  # loaded for the commands that follow
            return
        _serve(settings, None, port)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if stop_store:
            _stop_embedded(settings)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _embedded_not_running(settings: Settings) -> bool:
    from graph.falkordb.server import EmbeddedServer

    if settings.graph_uri not in ("", "embedded"):
        return False
    return not EmbeddedServer(settings.home, settings.appendfsync).status().running


def _stop_embedded(settings: Settings) -> None:
    from graph.falkordb.server import EmbeddedServer

    EmbeddedServer(settings.home, settings.appendfsync).stop()
    err.print(f"embedded store stopped ({escape(str(settings.home / 'store'))})")


def curl_examples(base: str, token: str) -> str:
    auth = f"-H 'Authorization: Bearer {token}'"
    js = "-H 'Content-Type: application/json'"
    return f"""
API key (admin, shown once): {token}

# screen the Singapore subsidiary by an English name variant (China policy, > 50 %)
curl -s {auth} {js} {base}/v1/screen -d '{{"name": "Dragon Peak Technology Singapore Pte Ltd", "country": "SG"}}'

# the 50/50 joint venture: not blocked under "more than 50 %", blocked under "50 % or more"
curl -s {auth} {js} {base}/v1/screen -d '{{"identifiers": {{"gb_crn": "12345678"}}, "policy": "cn-majority"}}'
curl -s {auth} {js} {base}/v1/screen -d '{{"identifiers": {{"gb_crn": "12345678"}}, "policy": "cn-50-inclusive"}}'

# batch screening (NDJSON back, in order) and name search
curl -s {auth} {js} {base}/v1/screen/batch -d '{{"items": [{{"name": "Lion City Cloud"}}, {{"name": "Harbourline Logistics"}}]}}'
curl -s {auth} '{base}/v1/search?q=dragon%20peak&limit=5'

# a read-only graph query
curl -s {auth} {js} {base}/v1/cypher -d '{{"query": "MATCH (o:Entity)-[r:OWNS]->(e:Entity) RETURN o.name, r.share_lo, e.name LIMIT 10"}}'

# OpenAPI: {base}/docs   readiness: {base}/readyz   metrics: {base}/metrics
# investigator pages: {base}/ui/ (sign in with the key above)
"""


@app.command("screen")
def screen_cmd(
    ctx: typer.Context,
    name: str | None = typer.Option(None, "--name", help="organisation name, any script"),
    country: str | None = typer.Option(None, "--country", help="ISO 3166-1 alpha-2"),
    id_scheme: str | None = typer.Option(None, "--id-scheme", help="e.g. lei, gb_crn, cn_uscc"),
    id_value: str | None = typer.Option(None, "--id-value"),
    policy: str | None = typer.Option(None, "--policy"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD"),
    as_json: bool = typer.Option(False, "--json", help="print the POST /v1/screen JSON"),
    batch: Path | None = typer.Option(None, "--batch", help="JSON Lines of POST /v1/screen bodies; one answer line each (NDJSON), in order"),
) -> None:
    """Screen organisations against the published generation (the API's answers, read from
    the generation on disk; the graph store is not opened)."""
    from api.auth import Principal, Role
    from api.screen import screen_one
    from api.service import Service

    if (id_scheme is None) != (id_value is None):
        raise BadInput("--id-scheme and --id-value go together", field="id_scheme")
    lines = _batch_lines(batch) if batch is not None else []
    request = None if batch is not None else _request({
        "name": name, "country": country, "policy": policy, "as_of": as_of,
        "identifiers": {id_scheme: id_value} if id_scheme and id_value else None}, "request")
    svc = Service(settings_from(ctx), None)
    try:
        svc.reload()
        principal = Principal("cli", Role.ADMIN, "cli")
        if request is None:  # each line answers on its own line, an error as the API's
            for where, body in lines:
                typer.echo(orjson.dumps(_batch_answer(svc, where, body, principal)).decode())
            return
        results = [screen_one(svc, request, principal)]
    finally:
        svc.close()
    if as_json:
        typer.echo(orjson.dumps(results[0], option=orjson.OPT_INDENT_2).decode())
    else:
        entity = results[0].get("entity") or {}
        out.print(f"[bold]{results[0]['verdict']}[/bold] under {escape(results[0]['policy'])}: "
                  f"{escape(str(entity.get('name', '-')))} ({escape(str(entity.get('id', '-')))})",
                  highlight=False)


def _batch_answer(svc: Any, where: str, body: Any, principal: Any) -> dict[str, Any]:
    from api.batch import error_line, screen_item

    if isinstance(body, _Unreadable):
        return error_line(where, body.reason)
    return screen_item(svc, where, body, principal)


def _request(body: object, where: str) -> ScreenRequest:
    from pydantic import ValidationError

    from api.schemas import ScreenRequest

    try:
        return ScreenRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "request"
        raise BadInput(f"{where}: {field}: {first['msg']}", field=field) from exc


class _Unreadable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _batch_lines(path: Path) -> list[tuple[str, Any]]:
    """(where, parsed body) per non-empty line; a line that is not JSON is answered with an
    error line of its own, as the API answers an item it cannot read."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInput(f"--batch: cannot read {path}: {exc.strerror}", field="batch") from None
    out: list[tuple[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append((f"{path}:{number}", orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            out.append((f"{path}:{number}", _Unreadable(f"not JSON ({exc})")))
    return out


@keys.command("create")
def keys_create(ctx: typer.Context,
                role: str = typer.Option(..., "--role", help="gateway | investigator | admin"),
                name: str = typer.Option("", "--name", help="who or what uses the key")) -> None:
    """Create an API key; the key is printed once and only its hash is stored."""
    from api.auth import KeyStore

    token, record = KeyStore(settings_from(ctx).home / "keys.json").create(role, name)
    err.print(f"created key {record.key_id} role={record.role.value} name={escape(record.name)}")
    typer.echo(token)


@keys.command("list")
def keys_list(ctx: typer.Context) -> None:
    from api.auth import KeyStore

    for record in KeyStore(settings_from(ctx).home / "keys.json").list():
        out.print(f"{record.key_id}  {record.role.value:<12} {record.created}  {escape(record.name)}")


@keys.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: str) -> None:
    from api.auth import KeyStore

    if not KeyStore(settings_from(ctx).home / "keys.json").revoke(key_id):
        raise BadInput(f"no key {key_id!r}", field="key_id")
    err.print(f"revoked {key_id}")
