"""POST /v1/ingest starts a run (ingest, resolve, compute, publish) that /v1/runs reports;
it reads only files inside the configured import directories."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import DEMO_DIR


@pytest.fixture(scope="module")
def importing(demo_env: Any) -> Iterator[TestClient]:
    """The demo app allowed to read the demo data folder."""
    settings, store, _ = demo_env
    allowed = settings.model_copy(update={"import_dirs": [DEMO_DIR]})
    with TestClient(create_app(allowed, store=store)) as client:
        yield client


def test_ingest_run_republishes_the_same_generation_for_the_same_data(
        importing: TestClient, tokens: dict[str, str]) -> None:
    client = importing
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
        importing: TestClient, tokens: dict[str, str]) -> None:
    client = importing
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


def test_ingest_over_the_api_is_off_until_import_directories_are_set(
        client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.post("/v1/ingest", headers={"Authorization": f"Bearer {tokens['admin']}"},
                         json={"format": "bods", "paths": [str(DEMO_DIR / "bods-register.json")]})
    assert answer.status_code == 403
    assert "OWNERGRAPH_IMPORT_DIRS" in answer.json()["message"]


@pytest.mark.parametrize("path", [
    "/etc/passwd",  # any server file
    "/etc/no-such-file",  # outside: not even whether it exists is said
    "../../../../../../../../etc/passwd",  # relative, climbing out of the import directory
    "uk-psc-snapshot.jsonl/../../generations/x",
])
def test_paths_outside_the_import_directories_are_refused(
        importing: TestClient, tokens: dict[str, str], path: str) -> None:
    answer = importing.post("/v1/ingest", headers={"Authorization": f"Bearer {tokens['admin']}"},
                            json={"format": "csv", "paths": [path]})
    assert answer.status_code == 403, answer.text
    assert answer.json()["field"] == "paths.0" and "outside the import directories" in answer.json()["message"]


def test_a_symbolic_link_out_of_an_import_directory_is_refused(
        demo_env: Any, tokens: dict[str, str], tmp_path: Path) -> None:
    settings, store, _ = demo_env
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "passwd.csv").symlink_to("/etc/passwd")
    allowed = settings.model_copy(update={"import_dirs": [inbox]})
    with TestClient(create_app(allowed, store=store)) as client:
        answer = client.post("/v1/ingest", headers={"Authorization": f"Bearer {tokens['admin']}"},
                             json={"format": "csv", "paths": ["passwd.csv"]})
    assert answer.status_code == 403 and "outside the import directories" in answer.json()["message"]


def test_a_failed_run_does_not_echo_the_file(demo_env: Any, tokens: dict[str, str],
                                             tmp_path: Path) -> None:
    """A file in the import folder that is not the declared format: the run fails naming the
    file, and nothing of what the file holds appears in /v1/runs."""
    settings, store, _ = demo_env
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    secret = "s3cr3t-line-of-the-file"
    for name in ("notes.csv", "notes.json"):
        (inbox / name).write_text(f"{secret},{secret}\n{secret},x\n")
    allowed = settings.model_copy(update={"import_dirs": [inbox]})
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    with TestClient(create_app(allowed, store=store)) as client:
        for fmt, name in (("csv", "notes.csv"), ("bods", "notes.json"), ("gleif", "notes.csv")):
            run_id = client.post("/v1/ingest", headers=admin, json={
                "format": fmt, "paths": [str(inbox / name)], "resolve": False,
                "compute": False}).json()["id"]
            for _ in range(60):
                run = client.get(f"/v1/runs/{run_id}", headers=admin).json()
                if run["state"] != "running":
                    break
                time.sleep(0.25)
            assert run["state"] == "failed" and name in run["detail"]["error"]
        listed = client.get("/v1/runs", headers=admin).text
    assert secret not in listed
