"""``ownergraph serve``, ``ownergraph demo``, ``ownergraph screen`` and ``ownergraph keys``."""

from __future__ import annotations

import logging

import orjson
import typer
from rich.console import Console

from api.auth import KeyStore, Principal, Role
from api.schemas import ScreenRequest
from api.settings import Settings
from graph.errors import BadInput

app = typer.Typer(no_args_is_help=True)
keys = typer.Typer(no_args_is_help=True)
app.add_typer(keys, name="keys", help="Create, list and revoke API keys.")
out = Console()
err = Console(stderr=True)
log = logging.getLogger(__name__)



def settings_from(ctx: typer.Context) -> Settings:
    from api.cli import settings_from as root_settings  # api.cli imports this module

    return root_settings(ctx)


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
    from api.demo import demo_settings, load_demo

    settings = demo_settings(settings_from(ctx))
    started_here = _embedded_not_running(settings)
    summary = load_demo(settings)
    token, _ = KeyStore(settings.home / "keys.json").create(Role.ADMIN, "demo")
    err.print(f"[green]demo loaded[/green]: {summary}", highlight=False, soft_wrap=True)
    typer.echo(curl_examples(f"http://{settings.host}:{port or settings.port}", token))
    if serve_after:
        try:
            _serve(settings, None, port)
        finally:
            # A store the demo started is stopped with it (Ctrl-C); a running one is reused
            # and left running, as it was found.
            if started_here:
                _stop_embedded(settings)


def _embedded_not_running(settings: Settings) -> bool:
    from graph.falkordb.server import EmbeddedServer

    if settings.graph_uri not in ("", "embedded"):
        return False
    return not EmbeddedServer(settings.home, settings.appendfsync).status().running


def _stop_embedded(settings: Settings) -> None:
    from graph.falkordb.server import EmbeddedServer

    EmbeddedServer(settings.home, settings.appendfsync).stop()
    err.print(f"embedded store stopped ({settings.home / 'store'})")


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
) -> None:
    """Screen one organisation against the current generation (same answer as the API)."""
    from pydantic import ValidationError

    from api.routes_screen import screen_one
    from api.service import Service
    from graph.stores import open_store

    if (id_scheme is None) != (id_value is None):
        raise BadInput("--id-scheme and --id-value go together", field="id_scheme")
    settings = settings_from(ctx)
    try:
        req = ScreenRequest.model_validate({
            "name": name, "country": country, "policy": policy, "as_of": as_of,
            "identifiers": {id_scheme: id_value} if id_scheme and id_value else None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "request"
        raise BadInput(f"{field}: {first['msg']}", field=field) from exc
    svc = Service(settings, open_store(settings.store_config()))
    try:
        svc.reload()
        result = screen_one(svc, req, Principal("cli", Role.ADMIN, "cli"))
    finally:
        svc.close()
    if as_json:
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    entity = result.get("entity") or {}
    out.print(f"[bold]{result['verdict']}[/bold] under {result['policy']}: "
              f"{entity.get('name', '-')} ({entity.get('id', '-')})", highlight=False)


@keys.command("create")
def keys_create(ctx: typer.Context,
                role: str = typer.Option(..., "--role", help="gateway | investigator | admin"),
                name: str = typer.Option("", "--name", help="who or what uses the key")) -> None:
    """Create an API key; the key is printed once and only its hash is stored."""
    token, record = KeyStore(settings_from(ctx).home / "keys.json").create(role, name)
    err.print(f"created key {record.key_id} role={record.role.value} name={record.name}")
    typer.echo(token)


@keys.command("list")
def keys_list(ctx: typer.Context) -> None:
    for record in KeyStore(settings_from(ctx).home / "keys.json").list():
        out.print(f"{record.key_id}  {record.role.value:<12} {record.created}  {record.name}")


@keys.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: str) -> None:
    if not KeyStore(settings_from(ctx).home / "keys.json").revoke(key_id):
        raise BadInput(f"no key {key_id!r}", field="key_id")
    err.print(f"revoked {key_id}")
