"""API keys: the key file is the truth for every process (a key revoked by the CLI stops
working in a running server at once, through its UI session too), writers never put back a
set they read earlier, and every check of a key not yet verified costs one scrypt whatever
was wrong with it (no key-id oracle); only successes are cached."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import api.auth as auth
from api.auth import KeyStore, Role
from api.cli.main import app as cli
from graph.errors import Unauthorized

SCREEN = {"identifiers": {"gb_crn": "12345678"}}


def _cli_env(home: Path) -> dict[str, str]:
    return {"OWNERGRAPH_HOME": str(home), "OWNERGRAPH_LOG_LEVEL": "WARNING"}


def test_a_key_revoked_by_the_cli_stops_working_in_a_running_server(
        client: TestClient, demo_env: Any, bearer: Any) -> None:
    home = demo_env[0].home
    token, record = KeyStore(home / "keys.json").create(Role.GATEWAY, "revoked-elsewhere")
    assert client.post("/v1/screen", json=SCREEN, headers=bearer(token)).status_code == 200
    assert client.get("/v1/search", params={"q": "dragon"}, headers=bearer(token)).status_code == 200
    revoked = CliRunner().invoke(cli, ["keys", "revoke", record.key_id], env=_cli_env(home))
    assert revoked.exit_code == 0, revoked.output
    assert client.post("/v1/screen", json=SCREEN, headers=bearer(token)).status_code == 401
    assert client.get("/v1/search", params={"q": "dragon"}, headers=bearer(token)).status_code == 401


def test_a_ui_session_ends_when_the_cli_revokes_its_key(client: TestClient, demo_env: Any) -> None:
    home = demo_env[0].home
    token, record = KeyStore(home / "keys.json").create(Role.INVESTIGATOR, "session-elsewhere")
    client.cookies.clear()
    signed_in = client.post("/ui/login", data={"api_key": token, "next": "/ui/"},
                            follow_redirects=False)
    assert signed_in.status_code == 303
    assert client.get("/v1/review").status_code == 200
    assert client.get("/ui/", follow_redirects=False).status_code == 200
    CliRunner().invoke(cli, ["keys", "revoke", record.key_id], env=_cli_env(home))
    assert client.get("/v1/review").status_code == 401
    assert client.get("/ui/", follow_redirects=False).status_code == 303  # back to sign-in
    client.cookies.clear()


def test_post_keys_never_writes_back_a_stale_set(client: TestClient, demo_env: Any,
                                                 tokens: dict[str, str], bearer: Any) -> None:
    """The server read the key file; the CLI then revokes one key and creates another; a key
    made over the API afterwards must keep both changes."""
    home = demo_env[0].home
    victim_token, victim = KeyStore(home / "keys.json").create(Role.GATEWAY, "to-revoke")
    client.post("/v1/screen", json=SCREEN, headers=bearer(victim_token))  # the server knows it
    cli_keys = KeyStore(home / "keys.json")
    cli_keys.revoke(victim.key_id)
    _, made_by_cli = cli_keys.create(Role.GATEWAY, "made-by-cli")
    answer = client.post("/v1/keys", json={"role": "gateway", "name": "made-by-api"},
                         headers=bearer(tokens["admin"]))
    assert answer.status_code == 201
    on_disk = {k["key_id"] for k in json.loads((home / "keys.json").read_text())["keys"]}
    assert victim.key_id not in on_disk
    assert made_by_cli.key_id in on_disk and answer.json()["key_id"] in on_disk
    assert client.post("/v1/screen", json=SCREEN, headers=bearer(victim_token)).status_code == 401


def _create_many(path: str, n: int) -> None:
    keys = KeyStore(Path(path))
    for i in range(n):
        keys.create(Role.GATEWAY, f"parallel-{i}")


def test_writers_in_several_processes_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_create_many, args=(str(path), 5)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert len(KeyStore(path).list()) == 20


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = auth._hash

    def counted(secret: str, salt: bytes) -> str:
        calls.append(secret)
        return real(secret, salt)

    monkeypatch.setattr(auth, "_hash", counted)
    return calls


def test_every_unverified_key_costs_one_scrypt_and_only_successes_are_cached(
        tmp_path: Path, scrypt_calls: list[str]) -> None:
    keys = KeyStore(tmp_path / "keys.json")
    token, record = keys.create(Role.GATEWAY, "g")
    scrypt_calls.clear()
    wrong_secret = f"og_{record.key_id}_{'x' * 32}"
    unknown_id = f"og_{'0' * 12}_{'x' * 32}"
    for bad in (wrong_secret, unknown_id, "not-a-key", wrong_secret):
        with pytest.raises(Unauthorized, match="unknown API key"):
            keys.authenticate(bad)
    assert len(scrypt_calls) == 4  # each bad key hashed once, every time (nothing cached)
    keys.authenticate(token)
    keys.authenticate(token)
    assert len(scrypt_calls) == 5  # the good one once, then from the cache
