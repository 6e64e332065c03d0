"""``ownergraph screen --json`` answers exactly like POST /v1/screen; ``keys create`` keys work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import app


def _env(settings: Any) -> dict[str, str]:
    return {"OWNERGRAPH_HOME": str(settings.home), "OWNERGRAPH_GRAPH_NAME": settings.graph_name,
            "OWNERGRAPH_POLICY_FILE": str(settings.policy_file),
            "OWNERGRAPH_POLICIES": json.dumps(settings.policies), "OWNERGRAPH_LOG_LEVEL": "ERROR"}


@pytest.mark.parametrize("args", [
    ["--name", "Dragon Peak Technology Singapore Pte Ltd", "--country", "SG"],
    ["--id-scheme", "gb_crn", "--id-value", "12345678", "--policy", "cn-50-inclusive"],
    ["--name", "Quantum Walrus Bakery"],
])
def test_screen_cli_matches_http(demo_env: Any, client: TestClient, tokens: dict[str, str],
                                 args: list[str]) -> None:
    settings = demo_env[0]
    result = CliRunner().invoke(app, ["screen", *args, "--json"], env=_env(settings))
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.stdout)
    body: dict[str, Any] = {}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag == "--id-scheme":
            body.setdefault("identifiers", {})[value] = None
        elif flag == "--id-value":
            scheme = next(iter(body["identifiers"]))
            body["identifiers"][scheme] = value
        else:
            body[flag.removeprefix("--")] = value
    from_http = client.post("/v1/screen", json=body,
                            headers={"Authorization": f"Bearer {tokens['gateway']}"}).json()
    assert from_cli == from_http


def test_screen_cli_bad_input_is_one_line_exit_2(demo_env: Any) -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from api.cli.main import main; main()", "screen", "--name", "x",
                           "--country", "China", "--json"], capture_output=True, text=True,
                          env={**os.environ, **_env(demo_env[0])}, timeout=120)
    assert done.returncode == 2
    assert "country" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_keys_create_gives_a_working_key(demo_env: Any, client: TestClient) -> None:
    result = CliRunner().invoke(app, ["keys", "create", "--role", "gateway", "--name", "cli"],
                                env=_env(demo_env[0]))
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    ok = client.post("/v1/screen", json={"name": "Lion City Cloud"},
                     headers={"X-API-Key": token})
    assert ok.status_code == 200
    denied = client.get("/v1/review", headers={"X-API-Key": token})
    assert denied.status_code == 403
    bad_role = CliRunner().invoke(app, ["keys", "create", "--role", "root"], env=_env(demo_env[0]))
    assert bad_role.exit_code != 0


def test_sigterm_to_demo_stops_the_store_it_started(tmp_path: Path) -> None:
    """``ownergraph demo`` on a data directory with no store running starts one; SIGTERM
    (what a service manager or ``docker stop`` sends) ends the demo and that store."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from graph.falkordb.server import EmbeddedServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path / "demo-home"
    server = EmbeddedServer(home)
    demo = subprocess.Popen([sys.executable, "-c", "from api.cli.main import main; main()", "demo",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={**os.environ, "OWNERGRAPH_HOME": str(home),
                                 "OWNERGRAPH_LOG_LEVEL": "ERROR"})
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert demo.poll() is None, "demo ended before serving"
            time.sleep(0.2)
        store_pid = server.pid()
        assert store_pid is not None
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        assert server.pid() is None and not server.status().running
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        server.stop()
