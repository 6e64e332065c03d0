"""``ownergraph compute``: every policy evaluated once, published, and the same answers
written to the store for Cypher readers (real embedded store)."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from api.cli.main import app
from api.generations.run import compute_and_publish
from api.settings import Settings
from graph.control.policies import resolve_policy
from graph.model import Entity, EntityKind, InterestKind, OwnershipEdge, Provenance


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


def test_compute_publishes_and_writes_the_same_answers_for_cypher(
        gen_settings: Settings, gen_store: Any) -> None:
    _load(gen_store)
    settings = gen_settings.model_copy(update={"policies": ["cn-majority", "ultimate-parent"]})
    result = compute_and_publish(settings, gen_store, force=True, as_of="2025-01-01")
    assert result.published and result.counts["entities"] == 4
    assert result.counts["verdicts"]["cn-majority"]["BLOCK"] == 2
    assert _verdicts(gen_store, "cn-majority") == {
        "R": "BLOCK", "A": "BLOCK", "B": "ALLOW", "P": "ALLOW"}
    controls = gen_store.read_query(
        "MATCH (c:Entity)-[k:CONTROLS]->(e:Entity) WHERE k.policy = $policy "
        "RETURN c.id, e.id, k.basis ORDER BY e.id", {"policy": "ultimate-parent"}).rows
    assert [tuple(r) for r in controls] == [("P", "A", "majority_chain"),
                                            ("P", "B", "majority_chain"),
                                            ("P", "R", "majority_chain")]
    # the next generation replaces these results: Cypher sees the served one only
    gen_store.upsert_edges([OwnershipEdge("R", "B", InterestKind.SHAREHOLDING, _prov("e6"),
                                          0.55, 0.55)])
    second = compute_and_publish(settings, gen_store, force=True, as_of="2025-01-01")
    assert second.generation != result.generation
    generations = gen_store.read_query("MATCH (r:Result) RETURN DISTINCT r.generation").rows
    assert generations == [[second.generation]]
    assert _verdicts(gen_store, "cn-majority")["B"] == "BLOCK"


def test_compute_command_publishes_what_screen_answers(gen_settings: Settings,
                                                       gen_store: Any) -> None:
    _load(gen_store)
    env = {"OWNERGRAPH_HOME": str(gen_settings.home),
           "OWNERGRAPH_GRAPH_NAME": gen_settings.graph_name,
           "OWNERGRAPH_POLICIES": '["cn-majority"]'}
    result = CliRunner(env=env).invoke(app, ["compute", "--as-of", "2025-01-01"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["published"] and summary["generation"].startswith("g-")
    assert summary["verdicts"]["cn-majority"] == {
        "BLOCK": 2, "REVIEW": 0, "INSUFFICIENT_DATA": 0, "ALLOW": 2}
    # why, in numbers: R is a root by its jurisdiction, A blocked through it
    assert summary["reasons"]["cn-majority"]["reasons"]["BLOCK"] == {"root:jurisdiction": 2}
    assert _verdicts(gen_store, "cn-majority")["A"] == "BLOCK"
    screened = CliRunner(env=env).invoke(app, ["screen", "--name", "Alpha Ltd", "--json"])
    assert screened.exit_code == 0, screened.output
    answer = json.loads(screened.stdout)
    assert answer["verdict"] == "BLOCK" and answer["generation"] == summary["generation"]


def test_bad_edges_from_the_store_are_reported_once_and_skipped(
        caplog: Any) -> None:
    import logging

    import numpy as np

    from api.generations.build import evaluate_policies
    from graph.control.files import EdgeRow, EntityRow, arrays_from_rows

    arrays = arrays_from_rows([EntityRow("R", jurisdiction="CN"), EntityRow("A")],
                              [EdgeRow("R", "A", share_lo=0.6, share_hi=0.6),
                               EdgeRow("A", "R", share_lo=0.2, share_hi=0.2)])
    arrays.share_hi[1] = 1.7  # as a faulty adapter might deliver it
    policies = [resolve_policy("cn-majority"), resolve_policy("eu-50")]
    with caplog.at_level(logging.WARNING, logger="api.generations.build"):
        answers = evaluate_policies(arrays, policies, "2026-01-01").answers
    assert answers["cn-majority"].counts()["BLOCK"] == 2 and len(answers) == 2
    logged = [r for r in caplog.records if r.getMessage() == "control input issue"]
    assert len(logged) == 1 and logged[0].code == "share_range"  # type: ignore[attr-defined]
    assert np.isclose(arrays.share_hi[1], 1.7)
