"""/reconcile driven the way OpenRefine drives a reconciliation service."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient


def test_openrefine_session(client: TestClient, tokens: dict[str, str]) -> None:
    key = tokens["gateway"]
    # 1. OpenRefine fetches the manifest from the service URL (no headers: key in the URL)
    manifest = client.get(f"/reconcile?key={key}").json()
    assert manifest["versions"] and manifest["defaultTypes"][0]["id"] == "Organization"
    assert "{{id}}" in manifest["preview"]["url"] and "key=" in manifest["preview"]["url"]
    assert manifest["extend"]["propose_properties"]["service_path"] == "/properties"

    # 2. batched queries as a form field, with a column property (country)
    queries = {
        "q0": {"query": "Dragon Peak Technology Singapore Pte Ltd", "type": "Organization",
               "limit": 3, "properties": [{"pid": "jurisdiction", "v": "SG"}]},
        "q1": {"query": "Lion City Cloud", "type": "Organization", "limit": 3},
        "q2": {"query": "Quantum Walrus Bakery", "type": "Organization"},
    }
    answer = client.post(f"/reconcile?key={key}", data={"queries": json.dumps(queries)}).json()
    assert set(answer) == {"q0", "q1", "q2"}
    best = answer["q0"]["result"][0]
    assert best["name"].startswith("Dragon Peak Technology (Singapore)") and best["match"] is True
    assert 0 <= best["score"] <= 100 and best["type"][0]["id"] == "Organization"
    assert answer["q1"]["result"][0]["name"].startswith("Lion City Cloud")
    assert all(not c["match"] for c in answer["q2"]["result"])

    # 3. propose properties, then extend the reconciled column with them
    props = client.get(f"/reconcile/properties?type=Organization&key={key}").json()
    ids = [p["id"] for p in props["properties"]]
    assert {"jurisdiction", "lei", "verdict"} <= set(ids)
    extend = {"ids": [best["id"]], "properties": [{"id": "jurisdiction"}, {"id": "lei"},
                                                  {"id": "verdict"}]}
    rows = client.post(f"/reconcile?key={key}", data={"extend": json.dumps(extend)}).json()
    cells: dict[str, Any] = rows["rows"][best["id"]]
    assert cells["jurisdiction"] == [{"str": "SG"}]
    assert cells["lei"] == [{"str": "5493004DPSGTEC000354"}]
    assert cells["verdict"] == [{"str": "BLOCK"}]

    # 4. the preview card
    preview = client.get(f"/reconcile/preview?id={best['id']}&key={key}")
    assert preview.status_code == 200 and "Singapore" in preview.text


def test_reconcile_bad_input(client: TestClient, tokens: dict[str, str]) -> None:
    key = tokens["gateway"]
    assert client.get("/reconcile").status_code == 401
    bad = client.post(f"/reconcile?key={key}", data={"queries": "{not json"})
    assert bad.status_code == 422 and bad.json()["field"] == "queries"
    empty = client.post(f"/reconcile?key={key}",
                        data={"queries": json.dumps({"q0": {"query": ""}})})
    assert empty.status_code == 422 and empty.json()["field"] == "queries.q0.query"
