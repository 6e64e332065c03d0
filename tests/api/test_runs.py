"""POST /v1/ingest starts a run (ingest, resolve, compute, publish) that /v1/runs reports."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from api.demo import DEMO_DIR


def test_ingest_run_republishes_the_same_generation_for_the_same_data(
        client: TestClient, tokens: dict[str, str]) -> None:
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    before = client.get("/readyz").json()["generation"]
    started = client.post("/v1/ingest", headers=admin, json={
        "format": "bods", "paths": [str(DEMO_DIR / "bods-register.json")]})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    run: dict[str, Any] = {}
    for _ in range(240):
        run = client.get(f"/v1/runs/{run_id}", headers=admin).json()
        if run["state"] != "running":
            break
        time.sleep(0.5)
    assert run["state"] == "succeeded", run
    assert run["detail"]["ingest"][0]["status"] == "ok"
    assert run["detail"]["ingest"][0]["quarantined"] == 0
    assert run["detail"]["generation"] == before  # re-ingesting a snapshot changes nothing
    listed = client.get("/v1/runs", headers=admin).json()
    assert run_id in [r["id"] for r in listed["runs"]]
    ingest_run = run["detail"]["ingest"][0]["run_id"]
    assert ingest_run in [r.get("run_id") for r in listed["ingest_runs"]]
    one = client.get(f"/v1/runs/{ingest_run}", headers=admin).json()
    assert one["format"] == "bods" and one["quarantine"] == []
    assert client.get("/v1/runs/no-such-run", headers=admin).status_code == 404


def test_wrong_format_file_fails_the_run_with_a_clear_message(
        client: TestClient, tokens: dict[str, str]) -> None:
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    started = client.post("/v1/ingest", headers=admin, json={
        "format": "gleif", "paths": [str(DEMO_DIR / "policies.toml")], "resolve": False,
        "compute": False})
    assert started.status_code == 202
    run_id = started.json()["id"]
    for _ in range(60):
        run = client.get(f"/v1/runs/{run_id}", headers=admin).json()
        if run["state"] != "running":
            break
        time.sleep(0.25)
    assert run["state"] == "failed" and "policies.toml" in run["detail"]["error"]
