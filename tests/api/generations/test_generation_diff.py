"""The diff is pure: two artifacts in, changed entities with their causing edges out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from api.generations.artifact import Artifact
from api.generations.diff import diff, edge_changes
from api.views import EntityView
from graph.arrays import OPEN_END, OPEN_START, GraphArrays
from graph.control.served import VERDICTS, Basis, Controllers, Evidence, PolicyAnswers


def _arrays(ids: list[str], edges: list[tuple[str, str, float, str]], *,
            jurisdiction: dict[str, str] | None = None) -> GraphArrays:
    pos = {e: i for i, e in enumerate(ids)}
    n, m = len(ids), len(edges)
    juris = np.array([(jurisdiction or {}).get(e, "") for e in ids], dtype="<U2")
    return GraphArrays(
        ids=np.array(ids), kind=np.zeros(n, np.int8), jurisdiction=juris,
        hq_country=np.array([""] * n, dtype="<U2"), nationality=np.array([""] * n, dtype="<U2"),
        residence=np.array([""] * n, dtype="<U2"), flags={}, exceptions={},
        owner=np.array([pos[e[0]] for e in edges], np.int32),
        owned=np.array([pos[e[1]] for e in edges], np.int32), edge_kind=np.zeros(m, np.int8),
        share_lo=np.array([e[2] for e in edges]), share_hi=np.array([e[2] for e in edges]),
        start=np.full(m, OPEN_START, np.int32), end=np.full(m, OPEN_END, np.int32),
        confidence=np.ones(m, np.float32), edge_key=np.array([e[3] for e in edges]))


def _artifact(gid: str, arrays: GraphArrays, verdicts: dict[str, str],
              controllers: dict[str, str] | None = None) -> Artifact:
    ids = arrays.ids.tolist()
    pos = {e: i for i, e in enumerate(ids)}
    rows = {pos[e]: [(pos[c], Basis.MAJORITY_CHAIN, np.nan, np.nan, False)
                     for c in text.split(";")]
            for e, text in (controllers or {}).items() if text}
    answers = PolicyAnswers(
        policy="p", as_of="2025-01-01",
        verdict=np.array([VERDICTS.index(verdicts.get(e, "ALLOW")) for e in ids], np.int8),
        exposure_lo=np.zeros(len(ids)), exposure_hi=np.zeros(len(ids)),
        controllers=Controllers.build(len(ids), rows), evidence=Evidence.build(len(ids), {}),
    )
    views = {e: EntityView(e, e.upper(), "company", None, None, (), (), (e,)) for e in ids}
    return Artifact({"id": gid}, arrays, views, {"p": answers})


def test_edge_changes_match_statement_keys() -> None:
    old = _arrays(["a", "b", "c"], [("a", "c", 0.4, "k1"), ("b", "c", 0.6, "k2")])
    new = _arrays(["a", "b", "c"], [("a", "c", 0.6, "k1"), ("a", "b", 0.1, "k3")])
    got = {(c.key, c.change) for c in edge_changes(old, new)}
    assert got == {("k1", "changed"), ("k2", "removed"), ("k3", "added")}


@pytest.mark.parametrize(("case", "old_edges", "new_edges", "expect_keys"), [
    ("direct stake raised", [("cn", "t", 0.4, "s1")], [("cn", "t", 0.6, "s1")], {"s1"}),
    # a change two links up is the cause, and an unrelated change elsewhere is not
    ("stake above the owner", [("cn", "mid", 0.4, "s1"), ("mid", "t", 0.6, "s2"),
                               ("x", "y", 0.1, "s3")],
     [("cn", "mid", 0.6, "s1"), ("mid", "t", 0.6, "s2"), ("x", "y", 0.2, "s3")], {"s1"}),
    ("new shareholder", [], [("cn", "t", 0.7, "s9")], {"s9"}),
])
def test_diff_names_the_entity_and_its_causing_edges(
        case: str, old_edges: list[Any], new_edges: list[Any], expect_keys: set[str]) -> None:
    ids = ["cn", "mid", "t", "x", "y"]
    old = _artifact("g-old", _arrays(ids, old_edges), {"cn": "BLOCK"})
    new = _artifact("g-new", _arrays(ids, new_edges), {"cn": "BLOCK", "t": "BLOCK"}, {"t": "cn"})
    result = diff(old, new)
    assert [e["id"] for e in result["entities"]] == ["t"], case
    entity = result["entities"][0]
    change = entity["policies"]["p"]
    assert change["before"]["verdict"] == "ALLOW" and change["after"]["verdict"] == "BLOCK"
    assert set(change["changed"]) == {"verdict", "controller"}
    assert {e["key"] for e in entity["edges"]} == expect_keys


def test_owner_moving_country_is_reported_as_an_entity_fact() -> None:
    ids = ["o", "t"]
    edges = [("o", "t", 0.8, "s1")]
    old = _artifact("g-1", _arrays(ids, edges, jurisdiction={"o": "HK"}), {})
    new = _artifact("g-2", _arrays(ids, edges, jurisdiction={"o": "CN"}),
                    {"o": "BLOCK", "t": "BLOCK"})
    result = diff(old, new)
    target = next(e for e in result["entities"] if e["id"] == "t")
    assert target["edges"] == []
    assert [(f["id"], f["before"]["jurisdiction"], f["after"]["jurisdiction"])
            for f in target["entity_facts"]] == [("o", "HK", "CN")]


def test_unchanged_generations_have_an_empty_diff() -> None:
    a = _arrays(["a", "b"], [("a", "b", 0.5, "k")])
    assert diff(_artifact("g-a", a, {"b": "REVIEW"}), _artifact("g-b", a, {"b": "REVIEW"}))["changed"] == 0


def test_an_entity_renamed_by_resolution_is_the_same_entity() -> None:
    """GLEIF alone makes lei:1 canonical; with BODS merged in, bods:1 is (lei:1 a member)."""
    old = _artifact("g-1", _arrays(["lei:1", "t", "x"], [("lei:1", "t", 0.8, "s1")]), {"lei:1": "BLOCK"})
    new_arrays = _arrays(["bods:1", "t"], [("bods:1", "t", 0.8, "s1")])
    old = _artifact("g-1", old.arrays, {"lei:1": "BLOCK"}, {"t": "lei:1"})
    new = _artifact("g-2", new_arrays, {"bods:1": "BLOCK", "t": "BLOCK"}, {"t": "bods:1"})
    new.views["bods:1"] = EntityView("bods:1", "ONE", "company", None, None, (), (),
                                     ("bods:1", "lei:1"))
    result = diff(old, new)
    assert [e["id"] for e in result["entities"]] == ["t"]  # x is gone but was ALLOW
    assert result["entities"][0]["policies"]["p"]["changed"] == ["verdict"]  # not the controller
    assert result["entities"][0]["entity_facts"] == []  # bods:1 is lei:1, facts unchanged
    gone = _artifact("g-3", _arrays(["t"], []), {"t": "BLOCK"})
    removed = {e["id"]: e["policies"]["p"] for e in diff(new, gone)["entities"]}
    assert removed["bods:1"]["after"] is None  # gone, and it was BLOCK
    assert removed["t"]["changed"] == ["controller"]  # its controller went with it
