"""``resolve`` over the real embedded store: canonical ids, candidates, judgements that persist."""

from __future__ import annotations

import json
from typing import Any

from api.generations.run import resolve_entities as resolve_store
from graph.model import Decision, Entity, EntityKind, Identifier, Judgement, Name, Provenance


def entity(eid: str, name: str, *, jurisdiction: str = "NL", lei: str | None = None, **kw: Any) -> Entity:
    idents = (Identifier("lei", lei),) if lei else ()
    return Entity(id=eid, kind=EntityKind.COMPANY, name=name, jurisdiction=jurisdiction,
                  provenance=Provenance(source="test", record_id=eid), identifiers=idents, **kw)


ENTITIES = [
    entity("p1", "AKZO NOBEL N.V."),
    entity("p2", "Akzo Nobel, N. V."),
    entity("p3", "AKZO NOBEL NV"),
    entity("s1", "Shell Energy Ltd", jurisdiction="GB"),
    entity("s2", "SHELL ENERGY LIMITED", jurisdiction="GB"),
    entity("c1", "騰訊控股有限公司", jurisdiction="CN"),
    entity("c2", "腾讯控股有限公司", jurisdiction="CN", names=(Name("Tencent Holdings Ltd", kind="other"),)),
    entity("l1", "Lonely Widgets GmbH", jurisdiction="DE", lei="529900T8BM49AURSDO55"),
    entity("l2", "Other Name B.V.", lei="529900T8BM49AURSDO55"),
    entity("x1", "Unrelated Trading S.A.", jurisdiction="FR"),
]


def canon(store: Any) -> dict[str, str]:
    return {e.id: e.canonical_id or e.id for batch in store.iter_entities() for e in batch}


def test_resolve_writes_canonical_ids_and_explained_merges(graph_store: Any) -> None:
    graph_store.upsert_entities(ENTITIES)
    summary = resolve_store(graph_store)
    ids = canon(graph_store)
    assert ids["p1"] == ids["p2"] == ids["p3"] == "p1"  # smallest member id
    assert ids["s1"] == ids["s2"] and ids["c1"] == ids["c2"]
    assert ids["l1"] == ids["l2"]  # same valid LEI, whatever the names
    assert ids["x1"] == "x1" and ids["p1"] != ids["s1"]
    assert summary.entities == len(ENTITIES) and summary.clusters == 5
    merged = graph_store.candidates("merged")
    assert merged and all(json.loads(c.explanation) for c in merged)
    lei_merge = [c for c in merged if {c.left, c.right} == {"l1", "l2"}]
    assert json.loads(lei_merge[0].explanation)["rule"] == "shared valid identifier"


def test_judgements_persist_across_reruns_and_reingestion(graph_store: Any) -> None:
    graph_store.upsert_entities(ENTITIES)
    resolve_store(graph_store)
    first = canon(graph_store)
    graph_store.add_judgement(Judgement("p2", "p3", Decision.NOT_SAME, "analyst", "2026-01-01T00:00:00Z",
                                        "different registrations"))
    graph_store.add_judgement(Judgement("x1", "s1", Decision.SAME, "analyst", "2026-01-01T00:00:01Z",
                                        "renamed"))
    resolve_store(graph_store)
    second = canon(graph_store)
    assert second["p2"] != second["p3"]
    assert second["x1"] == second["s1"] == second["s2"]
    graph_store.upsert_entities(ENTITIES)  # re-ingestion of the same source records
    resolve_store(graph_store)
    third = canon(graph_store)
    assert third == second  # judgements applied again, ids stable
    assert third["p1"] == first["p1"] == "p1"
    assert all(c.left != "x1" or c.right != "s1" for c in graph_store.candidates("review"))


def test_newest_judgement_wins(graph_store: Any) -> None:
    graph_store.upsert_entities(ENTITIES)
    graph_store.add_judgement(Judgement("p1", "p2", Decision.NOT_SAME, "a", "2026-01-01T00:00:00Z"))
    graph_store.add_judgement(Judgement("p1", "p2", Decision.SAME, "b", "2026-01-02T00:00:00Z"))
    resolve_store(graph_store)
    ids = canon(graph_store)
    assert ids["p1"] == ids["p2"]
