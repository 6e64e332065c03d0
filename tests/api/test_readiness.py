"""Before any generation exists the service is alive but not ready, and says why."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import KeyStore, Role
from api.settings import Settings


def test_empty_graph_is_not_ready(graph_store: Any, store_config: Any) -> None:
    settings = Settings(home=store_config.home, graph_name=store_config.graph_name)
    token = KeyStore(settings.home / "keys.json").create(Role.GATEWAY, "ready")[0]
    with TestClient(create_app(settings, store=graph_store)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        screened = client.post("/v1/screen", json={"name": "Anything Ltd"},
                               headers={"Authorization": f"Bearer {token}"})
        assert screened.status_code == 503 and screened.json()["code"] == "not_ready"
