"""Role matrix: every protected endpoint, every caller, the exact status.

gateway: screen and search; investigator: everything read, cypher, judgements;
admin: everything (ingest, keys). No key: 401; an unknown key: 401; wrong role: 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

OK, DENIED = "ok", 403
HK = "lei:5493004DPHKINT000282"

# (method, path, json body, gateway, investigator, admin)
MATRIX: list[tuple[str, str, Any, Any, Any, Any]] = [
    ("POST", "/v1/screen", {"name": "Lion City Cloud"}, OK, OK, OK),
    ("POST", "/v1/screen/batch", {"items": [{"name": "Lion City Cloud"}]}, OK, OK, OK),
    ("GET", "/v1/search?q=dragon", None, OK, OK, OK),
    ("GET", "/reconcile?queries=%7B%22q0%22%3A%7B%22query%22%3A%22Lion%22%7D%7D", None, OK, OK, OK),
    ("GET", "/v1/entities/bods:lion", None, DENIED, OK, OK),
    ("GET", "/v1/entities/bods:lion/owners", None, DENIED, OK, OK),
    ("GET", "/v1/entities/bods:lion/subsidiaries", None, DENIED, OK, OK),
    ("GET", "/v1/entities/bods:lion/controllers", None, DENIED, OK, OK),
    ("GET", "/v1/entities/bods:lion/records", None, DENIED, OK, OK),
    ("GET", "/v1/entities/bods:dp-hk/paths?to=bods:lion", None, DENIED, OK, OK),
    ("GET", "/v1/review", None, DENIED, OK, OK),
    ("GET", "/v1/runs", None, DENIED, OK, OK),
    ("POST", "/v1/cypher", {"query": "MATCH (e:Entity) RETURN count(e)"}, DENIED, OK, OK),
    ("POST", "/v1/judgements", {"left": "bods:lion", "right": "bods:harbour",
                                "decision": "not_same", "reason": "different UENs"}, DENIED, OK, OK),
    ("POST", "/v1/ingest", {"format": "bods", "paths": ["/nonexistent/file.json"]},
     DENIED, DENIED, 403),  # admin passes auth; ingest over the API is off (no import dirs)
    ("POST", "/v1/keys", {"role": "gateway", "name": "matrix"}, DENIED, DENIED, OK),
]
ROLES = ("gateway", "investigator", "admin")


def _call(client: TestClient, method: str, path: str, body: Any,
          headers: dict[str, str]) -> int:
    response = client.request(method, path, json=body, headers=headers)
    return int(response.status_code)


@pytest.mark.parametrize(("method", "path", "body", "gateway", "investigator", "admin"), MATRIX,
                         ids=[f"{m} {p.split('?')[0]}" for m, p, *_ in MATRIX])
def test_role_matrix(client: TestClient, tokens: dict[str, str], method: str, path: str,
                     body: Any, gateway: Any, investigator: Any, admin: Any) -> None:
    expected = {"gateway": gateway, "investigator": investigator, "admin": admin}
    assert _call(client, method, path, body, {}) == 401
    assert _call(client, method, path, body, {"X-API-Key": "og_000000000000_wrong"}) == 401
    forged = tokens["admin"][:-4] + "AAAA"  # right key id, wrong secret
    assert _call(client, method, path, body, {"Authorization": f"Bearer {forged}"}) == 401
    for role in ROLES:
        status = _call(client, method, path, body, {"Authorization": f"Bearer {tokens[role]}"})
        want = expected[role]
        if want == OK:
            assert 200 <= status < 300, (role, status)
        else:
            assert status == want, (role, status)


def test_open_endpoints_need_no_key(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/reconcile"):  # manifest
        assert client.get(path).status_code == 200, path


def test_keys_are_hashed_at_rest(demo_env: Any, tokens: dict[str, str]) -> None:
    settings = demo_env[0]
    stored = (settings.home / "keys.json").read_text()
    for token in tokens.values():
        secret = token.split("_", 2)[2]
        assert secret not in stored
    assert oct((settings.home / "keys.json").stat().st_mode & 0o777) == "0o600"
