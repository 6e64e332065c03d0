"""The gateway's contract as a new user meets it: batch items answered one by one with the
caller's ``ref`` (one bad item fails only itself), a 422 naming an unknown identifier scheme
or an invalid identifier and why, entities found by a bare LEI or an id in another letter
case, ``runs list`` ids whole and as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import app as cli

DRAGON_SG_LEI = "5493004DPSGTEC000354"


def _gateway(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['gateway']}"}


def test_batch_answers_every_item_with_its_ref(client: TestClient, tokens: dict[str, str]) -> None:
    items = [
        {"ref": "c-1", "name": "Lion City Cloud"},
        {"ref": "c-2", "name": "Dragon Peak", "country": "China"},  # not an ISO code
        {"ref": "c-3", "name": "Dragon Peak", "policy": "no-such-policy"},
        {"ref": "c-4", "identifiers": {"lei": DRAGON_SG_LEI[:-1] + "0"}},  # checksum
        {"name": "Quantum Walrus Bakery"},  # no ref: none given back
        {"ref": "c-6", "identifiers": {"gb_crn": "11223344"}},
    ]
    answer = client.post("/v1/screen/batch", json={"items": items}, headers=_gateway(tokens))
    assert answer.status_code == 200, answer.text
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [line.get("ref") for line in lines] == ["c-1", "c-2", "c-3", "c-4", None, "c-6"]
    assert lines[0]["verdict"] == "BLOCK" and lines[5]["verdict"] == "BLOCK"
    assert lines[4]["verdict"] == "NO_MATCH"
    assert lines[1]["error"]["field"] == "items.1.country"
    assert lines[2]["error"]["code"] == "unknown_name" and lines[2]["error"]["field"] == "items.2.policy"
    assert lines[3]["error"]["field"] == "items.3.identifiers.lei"
    assert "not a valid lei" in lines[3]["error"]["message"]


def test_batch_shape_errors_still_refuse_the_whole_batch(client: TestClient,
                                                         tokens: dict[str, str]) -> None:
    for body, field in (({"items": []}, "items"), ({"items": "x"}, "items"),
                        ({"items": [{"name": "x"}], "extra": 1}, "extra")):
        answer = client.post("/v1/screen/batch", json=body, headers=_gateway(tokens))
        assert answer.status_code == 422 and answer.json()["field"] == field


@pytest.mark.parametrize(("identifiers", "field", "why"), [
    ({"acme_registry": "12345"}, "identifiers.acme_registry", "unknown identifier scheme 'acme_registry'"),
    ({"lei": DRAGON_SG_LEI[:-1] + "0"}, "identifiers.lei", "checksum"),
    ({"lei": "5493"}, "identifiers.lei", "checksum"),
    ({"gb_crn": "12-345-678-9"}, "identifiers.gb_crn", "two digits or letters, then six digits"),
    ({"cn_uscc": "91440300MA5DC6QX9Y"}, "identifiers.cn_uscc", "not a valid cn_uscc"),
])
def test_unknown_schemes_and_invalid_identifiers_are_named(
        client: TestClient, tokens: dict[str, str], identifiers: dict[str, str], field: str,
        why: str) -> None:
    answer = client.post("/v1/screen", json={"identifiers": identifiers}, headers=_gateway(tokens))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field and why in answer.json()["message"].lower()


@pytest.mark.parametrize("identifiers", [
    {"lei": "529900T8BM49AURSDO55"},  # valid, not in the data: no match, not an error
    {"GB-COH": "11223344"},  # a register's own scheme name
    {"lei": DRAGON_SG_LEI.lower()},
])
def test_valid_identifiers_are_screened(client: TestClient, tokens: dict[str, str],
                                        identifiers: dict[str, str]) -> None:
    answer = client.post("/v1/screen", json={"identifiers": identifiers}, headers=_gateway(tokens))
    assert answer.status_code == 200, answer.text


def test_entities_by_bare_lei_and_in_another_case(client: TestClient, tokens: dict[str, str]) -> None:
    investigator = {"Authorization": f"Bearer {tokens['investigator']}"}
    screened = client.post("/v1/screen", json={"identifiers": {"lei": DRAGON_SG_LEI}},
                           headers=_gateway(tokens)).json()
    canonical = screened["entity"]["id"]
    for given in (DRAGON_SG_LEI, DRAGON_SG_LEI.lower(), canonical.upper(), canonical.lower()):
        moved = client.get(f"/v1/entities/{given}", headers=investigator, follow_redirects=False)
        if given == canonical:
            continue
        assert moved.status_code == 308, (given, moved.text)
        found = client.get(f"/v1/entities/{given}", headers=investigator)
        assert found.status_code == 200 and found.json()["id"] == canonical
    owners = client.get(f"/v1/entities/{DRAGON_SG_LEI}/owners", headers=investigator)
    assert owners.status_code == 200 and owners.json()["entity"] == canonical
    assert client.get("/v1/entities/529900T8BM49AURSDO55", headers=investigator).status_code == 404


def test_cli_batch_answers_every_line_with_its_ref(demo_env: Any, tmp_path: Path) -> None:
    settings = demo_env[0]
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"ref": "a", "name": "Lion City Cloud"}\n'
                     "{not json\n"
                     '{"ref": "c", "name": "x", "country": "China"}\n', encoding="utf-8")
    env = {"OWNERGRAPH_HOME": str(settings.home), "OWNERGRAPH_GRAPH_NAME": settings.graph_name,
           "OWNERGRAPH_POLICY_FILE": str(settings.policy_file),
           "OWNERGRAPH_POLICIES": json.dumps(settings.policies), "OWNERGRAPH_LOG_LEVEL": "ERROR"}
    result = CliRunner().invoke(cli, ["screen", "--batch", str(batch)], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("ref") for line in lines] == ["a", None, "c"]
    assert lines[0]["verdict"] == "BLOCK"
    assert f"{batch}:2: not JSON" in lines[1]["error"]["message"]
    assert lines[2]["error"]["field"] == f"{batch}:3.country"


def test_runs_list_prints_whole_ids_and_json(demo_env: Any) -> None:
    env = {"OWNERGRAPH_HOME": str(demo_env[0].home), "OWNERGRAPH_LOG_LEVEL": "ERROR",
           "COLUMNS": "80"}
    listed = CliRunner().invoke(cli, ["runs", "list"], env=env)
    as_json = CliRunner().invoke(cli, ["runs", "list", "--json"], env=env)
    assert listed.exit_code == 0 and as_json.exit_code == 0, listed.output + as_json.output
    runs = json.loads(as_json.stdout)
    assert runs and all({"run_id", "status", "format"} <= set(r) for r in runs)
    printed = {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert {r["run_id"] for r in runs} == printed
    shown = CliRunner().invoke(cli, ["runs", "show", sorted(printed)[0]], env=env)
    assert shown.exit_code == 0
