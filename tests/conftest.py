"""Shared fixtures: real graph stores for the session, a fresh graph per test.

Backends for the store contract suite: the embedded FalkorDB, and a Neo4j server: the one
NEO4J_URI (with NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE) points at, or else the
Community server of tests/neo4j, built and started once per session on first use. When it
cannot be built or started, every Neo4j case fails with the launcher's error.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j_server
import pytest

from graph.falkordb.server import EmbeddedServer
from graph.store_config import StoreConfig
from graph.stores import open_store

BACKENDS = ("falkordb", "neo4j")


@pytest.fixture(scope="session")
def store_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Data directory of the session's embedded server; the server is stopped at the end."""
    home = tmp_path_factory.mktemp("og")
    yield home
    EmbeddedServer(home).stop()


def fresh_graph_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store_config(store_home: Path) -> StoreConfig:
    """Embedded store config with a graph key no other test uses."""
    return StoreConfig(home=store_home, graph_name=fresh_graph_name(), batch_size=500,
                       query_timeout_ms=5000, query_row_cap=1000)


def _start_test_server(home: Path) -> neo4j_server.Neo4jServer:
    try:
        return neo4j_server.start(home)
    except neo4j_server.LauncherError as exc:
        failure = str(exc)
    # Every Neo4j case fails with the launcher's reason; none is skipped.
    pytest.fail(f"Neo4j test server: {failure}", pytrace=False)


@pytest.fixture(scope="session")
def neo4j_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreConfig]:
    """Config of the session's Neo4j: NEO4J_URI's, or the launcher's, started on first use."""
    limits: dict[str, Any] = {"batch_size": 500, "query_timeout_ms": 5000,
                              "query_row_cap": 1000}
    if os.environ.get("NEO4J_URI"):
        yield StoreConfig(uri=os.environ["NEO4J_URI"],
                          user=os.environ.get("NEO4J_USER", "neo4j"),
                          password=os.environ.get("NEO4J_PASSWORD", ""),
                          database=os.environ.get("NEO4J_DATABASE", "neo4j"), **limits)
        return
    home = tmp_path_factory.mktemp("neo4j")
    server = _start_test_server(home)
    try:
        yield StoreConfig(uri=server.uri, user=server.user, password=server.password,
                          database="neo4j", **limits)
    finally:
        neo4j_server.stop(server)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def backend_settings(request: pytest.FixtureRequest) -> Any:
    """backend -> the Settings fields that point ownergraph at that store (the session's
    Neo4j starts on first use)."""
    def fields(backend: str) -> dict[str, Any]:
        if backend == "falkordb":
            return {}
        config: StoreConfig = request.getfixturevalue("neo4j_config")
        return {"graph_uri": config.uri, "neo4j_user": config.user,
                "neo4j_password": config.password, "neo4j_database": config.database}

    return fields


@pytest.fixture
def graph_store(store_config: StoreConfig) -> Iterator[Any]:
    """An embedded FalkorDB store with schema, on a fresh graph, dropped afterwards."""
    store = open_store(store_config)
    store.ensure_schema()
    yield store
    store.drop()  # type: ignore[attr-defined]
    store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def any_store(backend: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The store under contract: embedded FalkorDB, or Neo4j (emptied first)."""
    fixture = "store_config" if backend == "falkordb" else "neo4j_config"
    yield from _emptied_store(request.getfixturevalue(fixture))


def _emptied_store(config: StoreConfig) -> Iterator[Any]:
    """A store emptied of ownergraph's data, with schema; emptied again afterwards."""
    store = open_store(config)
    store.drop()  # type: ignore[attr-defined]
    store.ensure_schema()
    yield store
    store.drop()  # type: ignore[attr-defined]
    store.close()


@pytest.fixture
def neo4j_store(neo4j_config: StoreConfig) -> Iterator[Any]:
    """The session's Neo4j, emptied, with schema."""
    yield from _emptied_store(neo4j_config)


@pytest.fixture
def loopback_listener() -> Iterator[tuple[int, list[Any]]]:
    """A TCP port on 127.0.0.1 that records every connection made to it (and closes it):
    tests that something never connects out (LOAD CSV, a refused webhook) watch it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    seen: list[Any] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except OSError:
                continue
            seen.append(addr)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()
