"""End to end through HTTP on the demo data in a real embedded store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


SG_LEI = "5493004DPSGTEC000354"
HK_LEI = "5493004DPHKINT000282"


def screen(client: TestClient, token: str, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/screen", json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_singapore_subsidiary_by_english_variant_blocks_through_hong_kong(
        client: TestClient, tokens: dict[str, str]) -> None:
    # GLEIF: "Dragon Peak Technology (Singapore) Pte. Ltd."; BODS: "... Private Limited".
    result = screen(client, tokens["gateway"], name="DRAGON PEAK TECHNOLOGY SINGAPORE PTE LTD",
                    country="SG", policy="cn-majority")
    assert result["verdict"] == "BLOCK"
    assert result["entity"]["jurisdiction"] == "SG"
    assert result["match"]["probability"] >= 0.9
    assert result["exposure"]["lo"] > 0.5
    owner_names = [e["owner_name"] for path in result["evidence"] for e in path["edges"]]
    assert any("Hong Kong" in name for name in owner_names), owner_names
    for path in result["evidence"]:  # every edge says which file and record stated it
        for edge in path["edges"]:
            assert edge["provenance"]["source"] in ("gleif", "bods", "psc")
            assert edge["provenance"]["file"].endswith((".xml", ".json", ".jsonl", ".csv"))
            assert edge["provenance"]["record_id"] and edge["provenance"]["location"]
    # the chain ends at the Cayman holding headquartered in China
    assert any("Holdings" in c["name"] for c in result["ultimate_controllers"])


@pytest.mark.parametrize(("policy", "blocked"), [
    ("cn-majority", False),  # "more than 50 %": a 50/50 joint venture is not restricted
    ("cn-50-inclusive", True),  # "50 % or more": it is
])
def test_fifty_fifty_joint_venture_flips_with_the_comparison(
        client: TestClient, tokens: dict[str, str], policy: str, blocked: bool) -> None:
    result = screen(client, tokens["gateway"], identifiers={"gb_crn": "12345678"}, policy=policy)
    assert result["entity"]["name"].lower().startswith("northbridge dragon")
    assert (result["verdict"] == "BLOCK") is blocked
    assert result["exposure"]["hi"] == pytest.approx(0.5)
    if not blocked:  # ALLOW, and it says how close it came
        assert result["verdict"] == "ALLOW"
        assert "restricted_minority" in {n["code"] for n in result["notes"]}
    else:
        assert result["summary"] and result["reasons"]


def test_identifier_screen_is_exact_and_traditional_chinese_name_finds_the_holding(
        client: TestClient, tokens: dict[str, str]) -> None:
    by_lei = screen(client, tokens["gateway"], identifiers={"lei": SG_LEI.lower()},
                    address="One Raffles Place #20-61, Singapore 048616")
    assert by_lei["match"]["probability"] == 1.0
    assert by_lei["match"]["features"]["address"] > 0.6
    assert by_lei["match"]["features"]["identifier"]["scheme"] == "lei"
    by_name = screen(client, tokens["gateway"], name="龍峰控股有限公司")  # traditional script
    assert by_name["entity"]["hq_country"] == "CN"
    assert by_name["verdict"] == "BLOCK"  # a root itself: headquartered in China


def test_no_match_and_weak_match(client: TestClient, tokens: dict[str, str]) -> None:
    nothing = screen(client, tokens["gateway"], name="Quantum Walrus Bakery GmbH")
    assert nothing["verdict"] == "NO_MATCH" and nothing["entity"] is None
    weak = screen(client, tokens["gateway"], name="Dragon Peak Technology Singapore", country="US")
    assert weak["verdict"] == "REVIEW"  # right name, wrong country: the match is weak
    assert weak["match"]["features"]["weak_match"] is True


def test_unknown_policy_lists_known_ones(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/v1/screen", json={"name": "x", "policy": "nope"},
                           headers=bearer(tokens["gateway"]))
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "policy" and "cn-majority" in body["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, None),
    ({"name": "x", "country": "China"}, "country"),
    ({"name": "x", "extra": 1}, "extra"),
    ({"identifiers": {"BAD SCHEME": "1"}}, None),
    ({"name": "x", "as_of": "yesterday"}, "as_of"),
])
def test_bad_requests_are_422_naming_the_field(client: TestClient, tokens: dict[str, str],
                                               body: dict[str, Any], field: str | None) -> None:
    response = client.post("/v1/screen", json=body, headers=bearer(tokens["gateway"]))
    assert response.status_code == 422, response.text
    if field:
        assert response.json()["field"] == field


def test_batch_streams_ndjson_in_order_and_refuses_oversize(
        client: TestClient, tokens: dict[str, str]) -> None:
    items = [{"name": "Lion City Cloud"}, {"identifiers": {"gb_crn": "11223344"}},
             {"name": "Quantum Walrus Bakery"}]
    response = client.post("/v1/screen/batch", json={"items": items},
                           headers=bearer(tokens["gateway"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["verdict"] for line in lines] == ["BLOCK", "BLOCK", "NO_MATCH"]
    assert lines[0]["entity"]["name"].startswith("Lion City")  # 40 % HK + 20 % SG: aggregate
    too_many = client.post("/v1/screen/batch", json={"items": [{"name": "x"}] * 1001},
                           headers=bearer(tokens["gateway"]))
    assert too_many.status_code == 422 and "at most 1000" in too_many.json()["message"]
    huge = client.post("/v1/screen", content=b'{"name": "' + b"a" * 3_000_000 + b'"}',
                       headers={**bearer(tokens["gateway"]), "Content-Type": "application/json"})
    assert huge.status_code == 413 and "larger than" in huge.json()["message"]


def test_screens_are_audit_logged(client: TestClient, tokens: dict[str, str],
                                  demo_env: Any) -> None:
    import datetime as dt

    screen(client, tokens["gateway"], name="Harbourline Logistics", policy="cn-majority")
    audit = client.app.state.service.audit  # type: ignore[attr-defined]
    audit.flush()
    lines = audit.read_day(dt.datetime.now(dt.UTC).date().isoformat())
    mine = [x for x in lines if x["query"].get("name") == "Harbourline Logistics"]
    assert mine and mine[-1]["key_id"] == tokens["gateway"].split("_")[1]
    assert mine[-1]["verdict"] in ("BLOCK", "REVIEW", "ALLOW", "INSUFFICIENT_DATA")


def test_entity_reads_redirect_merged_ids_and_show_provenance(
        client: TestClient, tokens: dict[str, str]) -> None:
    token = tokens["investigator"]
    found = screen(client, token, identifiers={"lei": HK_LEI})
    canonical = found["entity"]["id"]
    detail = client.get(f"/v1/entities/{canonical}", headers=bearer(token)).json()
    members = detail["members"]
    assert len(members) >= 2  # GLEIF + BODS (+ PSC) records merged
    merged = next(m for m in members if m != canonical)
    redirect = client.get(f"/v1/entities/{merged}", headers=bearer(token), follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"].endswith(canonical)
    records = client.get(f"/v1/entities/{canonical}/records", headers=bearer(token)).json()
    assert {r["source"] for r in records["records"]} >= {"gleif", "bods"}
    subs = client.get(f"/v1/entities/{canonical}/subsidiaries", headers=bearer(token)).json()
    assert any(e.get("owned_name", "").startswith("Dragon Peak Technology") for e in subs["edges"])
    ctl = client.get(f"/v1/entities/{canonical}/controllers?policy=cn-majority",
                     headers=bearer(token)).json()
    assert ctl["verdict"] == "BLOCK"
    missing = client.get("/v1/entities/nope:1", headers=bearer(token))
    assert missing.status_code == 404


def test_cypher_is_read_only_and_capped(client: TestClient, tokens: dict[str, str]) -> None:
    token = tokens["investigator"]
    ok = client.post("/v1/cypher", headers=bearer(token), json={
        "query": "MATCH (e:Entity) WHERE e.id = $id RETURN e.name", "parameters": {"id": "bods:lion"}})
    assert ok.status_code == 200, ok.text
    capped = client.post("/v1/cypher", headers=bearer(token),
                         json={"query": "MATCH (e:Entity) RETURN e.id", "row_cap": 2})
    assert capped.status_code == 200 and len(capped.json()["rows"]) == 2
    assert capped.json()["truncated"] is True
    write = client.post("/v1/cypher", headers=bearer(token),
                        json={"query": "CREATE (x:Entity {id: 'evil'}) RETURN x"})
    assert write.status_code == 400, write.text


def test_health_ready_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and "cn-50-inclusive" in ready["policies"]
    metrics = client.get("/metrics").text
    assert "ownergraph_http_requests_total" in metrics


def test_as_of_before_the_joint_venture_stake_started(client: TestClient,
                                                      tokens: dict[str, str]) -> None:
    # the 50 % stake of the Hong Kong intermediate starts on 2022-03-01 in every source
    before = screen(client, tokens["gateway"], identifiers={"gb_crn": "12345678"},
                    policy="cn-50-inclusive", as_of="2021-06-30")
    after = screen(client, tokens["gateway"], identifiers={"gb_crn": "12345678"},
                   policy="cn-50-inclusive", as_of="2023-01-01")
    assert after["verdict"] == "BLOCK"
    assert before["verdict"] != "BLOCK" and before["exposure"]["hi"] < 0.5
