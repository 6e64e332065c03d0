"""/reconcile driven the way OpenRefine drives a reconciliation service, every request and
answer checked against the specification's JSON schemas (reconciliation_schemas/, with their
licence): W3C Reconciliation Service API 0.2, and the array form of its next draft."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).parent / "reconciliation_schemas"
DRAGON_SG_LEI = "5493004DPSGTEC000354"
# The 0.2 manifest schema refers to Swagger 2.0's security scheme definition, not copied
# here: this stands in for it (a scheme has a type; an API key also a name and a place).
SWAGGER_SECURITY = {
    "$id": "http://swagger.io/v2/schema.json",
    "definitions": {"securityDefinitions": {"additionalProperties": {
        "type": "object", "required": ["type"],
        "properties": {"type": {"enum": ["basic", "apiKey", "oauth2"]}},
        "if": {"properties": {"type": {"const": "apiKey"}}},
        "then": {"required": ["name", "in"],
                 "properties": {"name": {"type": "string"}, "in": {"enum": ["query", "header"]}}},
    }}},
}


@cache
def _registry() -> Registry:
    # the schemas name "http://json-schema.org/schema#" (no draft): read them as 2020-12
    resources = [DRAFT202012.create_resource(SWAGGER_SECURITY)]
    for path in sorted(SCHEMAS.glob("*/*.json")):
        resources.append(DRAFT202012.create_resource(json.loads(path.read_text())))
    return Registry().with_resources((r.id(), r) for r in resources)  # type: ignore[misc]


def conforms(schema: str, doc: Any) -> None:
    """Raise (naming the path) unless ``doc`` validates against the named schema."""
    validator = Draft202012Validator(json.loads((SCHEMAS / schema).read_text()),
                                     registry=_registry())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_openrefine_session(client: TestClient, tokens: dict[str, str]) -> None:
    key = tokens["gateway"]
    # 1. OpenRefine fetches the manifest from the service URL (no headers: key in the URL)
    manifest = client.get(f"/reconcile?key={key}").json()
    conforms("0.2/manifest.json", manifest)
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
    conforms("0.2/reconciliation-query-batch.json", queries)
    answer = client.post(f"/reconcile?key={key}", data={"queries": json.dumps(queries)}).json()
    conforms("0.2/reconciliation-result-batch.json", answer)
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
    conforms("0.2/data-extension-query.json", extend)
    rows = client.post(f"/reconcile?key={key}", data={"extend": json.dumps(extend)}).json()
    conforms("0.2/data-extension-response.json", rows)
    cells: dict[str, Any] = rows["rows"][best["id"]]
    assert cells["jurisdiction"] == [{"str": "SG"}]
    assert cells["lei"] == [{"str": "5493004DPSGTEC000354"}]
    assert cells["verdict"] == [{"str": "BLOCK"}]

    # 4. the preview card
    preview = client.get(f"/reconcile/preview?id={best['id']}&key={key}")
    assert preview.status_code == 200 and "Singapore" in preview.text


def test_reconcile_bad_input(client: TestClient, tokens: dict[str, str]) -> None:
    key = tokens["gateway"]
    queries = json.dumps({"q0": {"query": "Dragon"}})
    assert client.get(f"/reconcile?queries={quote(queries)}").status_code == 401
    assert client.post("/reconcile", data={"queries": queries}).status_code == 401
    bad = client.post(f"/reconcile?key={key}", data={"queries": "{not json"})
    assert bad.status_code == 422 and bad.json()["field"] == "queries"
    empty = client.post(f"/reconcile?key={key}",
                        data={"queries": json.dumps({"q0": {"query": ""}})})
    assert empty.status_code == 422 and empty.json()["field"] == "queries.q0.query"


def test_the_manifest_is_public_and_declares_the_key(client: TestClient) -> None:
    """0.2: with a security scheme declared, everything but the manifest needs credentials."""
    manifest = client.get("/reconcile")
    assert manifest.status_code == 200
    conforms("0.2/manifest.json", manifest.json())
    assert manifest.json()["authentication"] == {"type": "apiKey", "name": "key", "in": "query"}
    assert manifest.headers["access-control-allow-origin"] == "*"


def test_the_view_link_opens_without_a_header(client: TestClient) -> None:
    """OpenRefine opens ``view.url`` in a browser: no header can be sent, so the link must
    lead somewhere a person can sign in, not to a 401."""
    view = client.get("/reconcile").json()["view"]["url"]
    url = view.replace("{{id}}", quote("bods:lion", safe=""))
    opened = client.get(url.removeprefix("http://testserver"), follow_redirects=False)
    assert opened.status_code in (200, 303), opened.text
    if opened.status_code == 303:
        assert opened.headers["location"].startswith("/ui/login")


def test_an_lei_property_decides_whatever_the_name(client: TestClient, tokens: dict[str, str]) -> None:
    key = tokens["gateway"]
    queries = {
        "q0": {"query": "Some Other Name Entirely Ltd", "properties": [{"pid": "lei", "v": DRAGON_SG_LEI}]},
        "q1": {"properties": [{"pid": "lei", "v": [DRAGON_SG_LEI.lower()]}]},  # no name at all
        "q2": {"query": "Dragon Peak", "properties": [{"pid": "lei", "v": "529900T8BM49AURSDO55"}]},
    }
    conforms("0.2/reconciliation-query-batch.json", queries)
    answer = client.post(f"/reconcile?key={key}", data={"queries": json.dumps(queries)}).json()
    conforms("0.2/reconciliation-result-batch.json", answer)
    for qid in ("q0", "q1"):
        first = answer[qid]["result"][0]
        assert first["name"].startswith("Dragon Peak Technology (Singapore)") and first["match"] is True
        assert first["score"] == 100
    assert all(not c["match"] or c["score"] >= 95 for c in answer["q2"]["result"])


@pytest.mark.parametrize("as_json_body", [False, True])
def test_the_array_form_answers_in_order(client: TestClient, tokens: dict[str, str],
                                         as_json_body: bool) -> None:
    key = tokens["gateway"]
    queries = [
        {"conditions": [{"matchType": "name", "v": "Lion City Cloud"}]},
        {"conditions": [{"matchType": "name", "v": "Unrelated Words"},
                        {"matchType": "property", "pid": "lei", "v": DRAGON_SG_LEI}], "limit": 2},
        {"conditions": [{"matchType": "name", "v": "Quantum Walrus Bakery"}]},
    ]
    conforms("1.0-draft/reconciliation-query-batch.json", {"queries": queries})
    if as_json_body:
        sent = client.post(f"/reconcile?key={key}", json={"queries": queries})
    else:
        sent = client.post(f"/reconcile?key={key}", data={"queries": json.dumps(queries)})
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    conforms("1.0-draft/reconciliation-result-batch.json", answer)
    results = answer["results"]
    assert len(results) == 3
    assert results[0]["candidates"][0]["name"].startswith("Lion City Cloud")
    assert results[1]["candidates"][0]["match"] is True and len(results[1]["candidates"]) <= 2
    assert all(not c["match"] for c in results[2]["candidates"])
    legacy = [{"query": "Lion City Cloud"}]  # 0.2-shaped queries in an array also read
    again = client.post(f"/reconcile?key={key}", json={"queries": legacy}).json()
    assert again["results"][0]["candidates"][0]["name"].startswith("Lion City Cloud")


def test_cross_origin_reads_are_allowed(client: TestClient, tokens: dict[str, str]) -> None:
    key = tokens["gateway"]
    answer = client.post(f"/reconcile?key={key}",
                         data={"queries": json.dumps({"q0": {"query": "Dragon"}})})
    assert answer.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/reconcile", headers={"Origin": "https://refine.example",
                                                      "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(("schema", "doc"), [
    ("0.2/manifest.json", {"name": "x", "identifierSpace": "a", "schemaSpace": "b"}),  # no versions
    ("0.2/manifest.json", {"versions": ["0.2"], "name": "x", "identifierSpace": "a",
                           "schemaSpace": "b", "view": {"url": "https://x/entity"}}),  # no {{id}}
    ("0.2/manifest.json", {"versions": ["0.2"], "name": "x", "identifierSpace": "a",
                           "schemaSpace": "b", "authentication": {"type": "apiKey"}}),
    ("0.2/reconciliation-result-batch.json", {"q0": {"result": [{"id": "a", "name": "A"}]}}),
    ("0.2/reconciliation-query-batch.json", {"q0": {"limit": 3}}),
    ("1.0-draft/reconciliation-result-batch.json", {"results": [{"candidates": [{"id": "a"}]}]}),
])
def test_the_schema_check_can_fail(schema: str, doc: Any) -> None:
    with pytest.raises(AssertionError):
        conforms(schema, doc)
