"""``ownergraph compute`` against the real embedded store (FalkorDB started by our code)."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from api.cli import app
from graph.control.policies import resolve_policy
from graph.control.run import compute
from graph.model import Entity, EntityKind, InterestKind, OwnershipEdge, Provenance
from graph.store_config import StoreConfig


def _prov(record: str) -> Provenance:
    return Provenance(source="test", record_id=record)


def _load(store: Any) -> None:
    store.upsert_entities([
        Entity("R", EntityKind.COMPANY, "Red Holdings", _prov("R"), jurisdiction="CN"),
        Entity("A", EntityKind.COMPANY, "Alpha Ltd", _prov("A"), jurisdiction="GB"),
        Entity("B", EntityKind.COMPANY, "Beta Ltd", _prov("B"), jurisdiction="GB"),
        Entity("P", EntityKind.PERSON, "Pat Doe", _prov("P"), nationality="GB"),
    ])
    store.upsert_edges([
        OwnershipEdge("P", "R", InterestKind.SHAREHOLDING, _prov("e1"), 0.7, 0.7),
        OwnershipEdge("R", "A", InterestKind.SHAREHOLDING, _prov("e2"), 0.6, 0.6),
        OwnershipEdge("P", "A", InterestKind.SHAREHOLDING, _prov("e3"), 0.4, 0.4),
        OwnershipEdge("P", "B", InterestKind.SHAREHOLDING, _prov("e4"), 1.0, 1.0),
        # ended: no longer counts
        OwnershipEdge("R", "B", InterestKind.SHAREHOLDING, _prov("e5"), 0.9, 0.9,
                      end="2020-01-01"),
    ])


def _verdicts(store: Any, policy: str) -> dict[str, str]:
    rows = store.read_query(
        "MATCH (e:Entity)-[:HAS_RESULT]->(r:Result) WHERE r.policy = $policy "
        "RETURN e.id, r.verdict", {"policy": policy}).rows
    return {row[0]: row[1] for row in rows}


def test_compute_writes_verdicts_and_controls_edges(graph_store: Any) -> None:
    _load(graph_store)
    policies = [resolve_policy("cn-majority"), resolve_policy("ultimate-parent")]
    summary = compute(graph_store, policies, "2025-01-01")
    assert summary.entities == 4
    assert summary.written == 8
    assert summary.verdicts["cn-majority"]["BLOCK"] == 2
    assert _verdicts(graph_store, "cn-majority") == {
        "R": "BLOCK", "A": "BLOCK", "B": "ALLOW", "P": "ALLOW"}
    controls = graph_store.read_query(
        "MATCH (c:Entity)-[k:CONTROLS]->(e:Entity) WHERE k.policy = $policy "
        "RETURN c.id, e.id ORDER BY e.id", {"policy": "ultimate-parent"}).rows
    assert [tuple(r) for r in controls] == [("P", "A"), ("P", "B"), ("P", "R")]


def test_compute_command_uses_the_configured_store(graph_store: Any,
                                                   store_config: StoreConfig) -> None:
    _load(graph_store)
    env = {"OWNERGRAPH_HOME": str(store_config.home),
           "OWNERGRAPH_GRAPH_NAME": store_config.graph_name,
           "OWNERGRAPH_POLICIES": '["cn-majority"]'}
    result = CliRunner(env=env).invoke(app, ["compute", "--as-of", "2025-01-01",
                                             "--generation", "g-test"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["generation"] == "g-test"
    assert summary["verdicts"]["cn-majority"] == {
        "BLOCK": 2, "REVIEW": 0, "INSUFFICIENT_DATA": 0, "ALLOW": 2}
    assert _verdicts(graph_store, "cn-majority")["A"] == "BLOCK"


def test_bad_edges_from_the_store_are_reported_once_and_skipped(
        caplog: Any) -> None:
    import logging

    import numpy as np

    from graph.control.files import EdgeRow, EntityRow, arrays_from_rows
    from graph.control.run import evaluate_all

    arrays = arrays_from_rows([EntityRow("R", jurisdiction="CN"), EntityRow("A")],
                              [EdgeRow("R", "A", share_lo=0.6, share_hi=0.6),
                               EdgeRow("A", "R", share_lo=0.2, share_hi=0.2)])
    arrays.share_hi[1] = 1.7  # as a faulty adapter might deliver it
    policies = [resolve_policy("cn-majority"), resolve_policy("eu-50")]
    with caplog.at_level(logging.WARNING, logger="graph.control.run"):
        results, counts, issues = evaluate_all(arrays, policies, "2026-01-01")
    assert counts["cn-majority"]["BLOCK"] == 2 and len(results) == 4
    assert issues == 2  # one per policy evaluation
    logged = [r for r in caplog.records if r.getMessage() == "control input issue"]
    assert len(logged) == 1 and logged[0].code == "share_range"  # type: ignore[attr-defined]
    assert np.isclose(arrays.share_hi[1], 1.7)
