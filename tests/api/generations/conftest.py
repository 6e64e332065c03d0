"""Fixtures for the generation tests: a fresh graph and generation directory per test, an
admin key, and a webhook receiver on loopback."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from generations_data import Receiver

from api.auth import KeyStore, Role
from api.settings import Settings
from graph.stores import open_store


@pytest.fixture
def gen_settings(store_home: Path) -> Settings:
    return Settings(home=store_home, graph_name=f"t_gen_{uuid.uuid4().hex[:10]}",
                    policies=["cn-majority"], generation_poll_seconds=0, log_level="WARNING",
                    webhook_backoff_seconds=0.05, webhook_timeout_seconds=5,
                    webhook_schemes=["http", "https"], webhook_allowed_hosts=["127.0.0.1"],
                    schedule_backoff_seconds=0, generations_keep=2)


@pytest.fixture
def gen_store(gen_settings: Settings) -> Iterator[Any]:
    store = open_store(gen_settings.store_config())
    store.ensure_schema()
    yield store
    store.drop()
    store.close()


@pytest.fixture
def admin_headers(gen_settings: Settings) -> dict[str, str]:
    token, _ = KeyStore(gen_settings.home / "keys.json").create(Role.ADMIN, "generations-test")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 that records every POST and answers from ``statuses``."""
    state = Receiver(url="", statuses=[200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()
