"""API fixtures: the bundled demo data loaded once into a real embedded store, keys per role,
and a TestClient whose lifespan builds the snapshot from that store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import KeyStore, Role
from api.demo import demo_settings, load_demo_into
from api.settings import Settings
from graph.stores import open_store


@pytest.fixture(scope="session")
def demo_env(store_home: Path) -> Iterator[tuple[Settings, Any, dict[str, Any]]]:
    """Settings, an open store with the demo generation, and the load summary."""
    settings = demo_settings(Settings(home=store_home, graph_name="x"))
    settings = settings.model_copy(update={"graph_name": f"t_api_{uuid.uuid4().hex[:10]}"})
    store = open_store(settings.store_config())
    summary = load_demo_into(store, settings)
    yield settings, store, summary
    store.drop()
    store.close()


@pytest.fixture(scope="session")
def tokens(demo_env: tuple[Settings, Any, dict[str, Any]]) -> dict[str, str]:
    keys = KeyStore(demo_env[0].home / "keys.json")
    return {role.value: keys.create(role, f"test-{role.value}")[0] for role in Role}


@pytest.fixture(scope="session")
def client(demo_env: tuple[Settings, Any, dict[str, Any]]) -> Iterator[TestClient]:
    settings, store, _ = demo_env
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def bearer() -> Any:
    def headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return headers
