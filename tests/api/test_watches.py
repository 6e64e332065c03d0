"""Watches over HTTP belong to the role of the key that made them: another role neither
sees nor removes them (admins do); listings never show secrets or URL credentials; URLs are
restricted (api/webhook_targets.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

RECEIVER = "http://user:pa55@127.0.0.1:9/hook?token=abc"


@pytest.fixture(scope="module")
def watching(demo_env: Any) -> Iterator[TestClient]:
    settings, store, _ = demo_env
    allowed = settings.model_copy(update={"webhook_schemes": ["http", "https"],
                                          "webhook_allowed_hosts": ["127.0.0.1"],
                                          "home": settings.home})
    with TestClient(create_app(allowed, store=store)) as client:
        yield client


def _as(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def test_a_role_sees_and_removes_only_its_own_watches(watching: TestClient,
                                                      tokens: dict[str, str]) -> None:
    made = {role: watching.post("/v1/watches", headers=_as(tokens, role),
                                json={"entity_id": "bods:lion", "url": RECEIVER}).json()["id"]
            for role in ("gateway", "investigator")}

    def listed(role: str) -> set[str]:
        answer = watching.get("/v1/watches", headers=_as(tokens, role))
        return {w["id"] for w in answer.json()["watches"]}

    assert made["gateway"] in listed("gateway") and made["investigator"] not in listed("gateway")
    assert made["investigator"] in listed("investigator") and made["gateway"] not in listed("investigator")
    assert set(made.values()) <= listed("admin")
    refused = watching.delete(f"/v1/watches/{made['investigator']}", headers=_as(tokens, "gateway"))
    assert refused.status_code == 404  # not even its existence is told
    assert made["investigator"] in listed("admin")
    for role, watch_id in made.items():
        assert watching.delete(f"/v1/watches/{watch_id}", headers=_as(tokens, role)).status_code == 204


def test_listings_show_no_secret_and_no_url_credentials(watching: TestClient,
                                                        tokens: dict[str, str]) -> None:
    made = watching.post("/v1/watches", headers=_as(tokens, "gateway"),
                         json={"entity_id": "bods:lion", "url": RECEIVER}).json()
    listed = watching.get("/v1/watches", headers=_as(tokens, "admin")).json()["watches"]
    mine = next(w for w in listed if w["id"] == made["id"])
    assert mine["url"] == "http://***@127.0.0.1:9/hook?token=***"
    assert "pa55" not in str(listed) and "abc" not in str(listed) and "secret" not in mine
    assert mine["owner_role"] == "gateway"
    watching.delete(f"/v1/watches/{made['id']}", headers=_as(tokens, "admin"))


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/meta-data/",
                                 "https://10.0.0.5/hook", "file:///etc/passwd",
                                 "http://93.184.216.34/hook"])
def test_a_gateway_key_cannot_aim_a_watch_inside_the_network(client: TestClient,
                                                             tokens: dict[str, str],
                                                             url: str) -> None:
    """The default settings: https to public addresses only."""
    answer = client.post("/v1/watches", headers=_as(tokens, "gateway"),
                         json={"entity_id": "bods:lion", "url": url})
    assert answer.status_code == 422 and answer.json()["field"] == "url"
