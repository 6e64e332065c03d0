"""Shared fixtures: a real embedded FalkorDB for the session, a fresh graph per test.

Backends for the store contract suite: ``falkordb`` always; ``neo4j`` when NEO4J_URI (and
NEO4J_USER / NEO4J_PASSWORD) point at a server. Without one the neo4j cases are deselected
(reported as such by pytest), never faked.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.falkordb.server import EmbeddedServer
from graph.store_config import StoreConfig
from graph.stores import open_store

BACKENDS = ("falkordb", "neo4j")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("NEO4J_URI"):
        return
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "neo4j":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


def _neo4j_config() -> StoreConfig:
    return StoreConfig(uri=os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                       password=os.environ.get("NEO4J_PASSWORD", ""),
                       database=os.environ.get("NEO4J_DATABASE", "neo4j"), batch_size=500,
                       query_timeout_ms=5000, query_row_cap=1000)


@pytest.fixture(scope="session")
def backend_settings() -> Any:
    """backend -> the Settings fields that point ownergraph at that store."""
    def fields(backend: str) -> dict[str, Any]:
        if backend == "falkordb":
            return {}
        config = _neo4j_config()
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
def any_store(backend: str, store_config: StoreConfig) -> Iterator[Any]:
    """The store under contract: embedded FalkorDB, or Neo4j (emptied first) when configured."""
    config = store_config if backend == "falkordb" else _neo4j_config()
    store = open_store(config)
    store.drop()  # type: ignore[attr-defined]
    store.ensure_schema()
    yield store
    store.drop()  # type: ignore[attr-defined]
    store.close()
