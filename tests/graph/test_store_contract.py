"""The store contract: one suite, every backend (the embedded FalkorDB and a Neo4j server)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from graph.arrays import INTEREST_KIND_CODES, OPEN_END, OPEN_START, day_number
from graph.errors import BadInput, QueryFailed, QueryTimeout
from graph.model import (
    Address,
    Decision,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Judgement,
    MatchCandidate,
    Name,
    OwnershipEdge,
    Provenance,
    ReportingException,
)
from graph.store import DerivedResult, SnapshotEnding, SnapshotScope

GLEIF = Provenance("gleif", "rr-1", file="rr.xml", location="line 12",
                   published="2024-05-01", retrieved="2024-05-02T10:00:00Z", run_id="run-1",
                   confidence=0.9)
PSC = Provenance("psc", "psc-7", file="psc.jsonl", location="line 3", run_id="run-1")


def company(eid: str, **kw: Any) -> Entity:
    return Entity(eid, EntityKind.COMPANY, f"{eid.upper()} Ltd", GLEIF, **kw)


def owns(owner: str, owned: str, lo: float, hi: float | None = None, *,
         kind: InterestKind = InterestKind.SHAREHOLDING, prov: Provenance = GLEIF,
         **kw: Any) -> OwnershipEdge:
    return OwnershipEdge(owner, owned, kind, prov, lo, lo if hi is None else hi, **kw)


RICH = Entity(
    "lei:5493001KJTIIGC8Y1R12", EntityKind.COMPANY, "腾讯控股有限公司", GLEIF,
    names=(Name("腾讯控股有限公司", "zh", "Hans"), Name("Tencent Holdings Ltd", "en", "Latn",
                                                  "other")),
    jurisdiction="KY", hq_country="CN",
    identifiers=(Identifier("lei", "5493001KJTIIGC8Y1R12"),
                 Identifier("cn_uscc", "BAD", valid=False)),
    addresses=(Address("headquarters", "Shenzhen", "CN"),),
    flags=frozenset({"listed"}),
    reporting_exceptions=(ReportingException("ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT",
                                             "NON_CONSOLIDATING"),),
)


def test_entity_round_trip_keeps_every_field_and_provenance(any_store: Any) -> None:
    any_store.upsert_entities([RICH])
    (page,) = list(any_store.iter_entities())
    assert page == [replace(RICH, canonical_id=RICH.id)]
    props = any_store.get_entity(RICH.id)
    assert props["identifiers"] == ["lei:5493001KJTIIGC8Y1R12"]  # invalid ids never indexed
    assert props["file"] == "rr.xml" and props["location"] == "line 12"
    assert any_store.get_entity("missing") is None


def test_upsert_is_idempotent_and_updates_in_place(any_store: Any) -> None:
    entities = [company("a"), company("b", jurisdiction="CN")]
    edges = [owns("a", "b", 0.6)]
    for _ in range(2):
        any_store.upsert_entities(entities)
        any_store.upsert_edges(edges)
    assert (any_store.count("Entity"), any_store.count("OWNS")) == (2, 1)
    # A later record changes the share and drops the jurisdiction: updated, null removed.
    any_store.upsert_entities([company("b")])
    any_store.upsert_edges([owns("a", "b", 0.7)])
    assert (any_store.count("Entity"), any_store.count("OWNS")) == (2, 1)
    assert "jurisdiction" not in any_store.get_entity("b")
    (edge,) = any_store.owners("b")
    assert edge["share_lo"] == pytest.approx(0.7)


def test_edge_before_its_entities_makes_placeholders_that_upsert_fills(any_store: Any) -> None:
    any_store.upsert_edges([owns("p", "q", 1.0)])
    assert any_store.get_entity("p")["placeholder"] is True
    any_store.upsert_entities([company("p")])
    props = any_store.get_entity("p")
    assert "placeholder" not in props and props["name"] == "P Ltd"


def test_edge_provenance_round_trips_through_owners(any_store: Any) -> None:
    edge = owns("a", "b", 0.25, 0.5, start="2019-03-01", attrs={"band": "25-50"})
    any_store.upsert_entities([company("a"), company("b")])
    any_store.upsert_edges([edge])
    (got,) = any_store.owners("b")
    expected = {"owner": "a", "owned": "b", "key": edge.key, "kind": "shareholding",
                "share_lo": 0.25, "share_hi": 0.5, "start": "2019-03-01", "source": "gleif",
                "record_id": "rr-1", "file": "rr.xml", "location": "line 12",
                "published": "2024-05-01", "retrieved": "2024-05-02T10:00:00Z",
                "run_id": "run-1", "confidence": 0.9, "attrs": {"band": "25-50"}, "depth": 1}
    assert got == expected


def test_end_missing_edges_end_dates_and_never_deletes(any_store: Any) -> None:
    kept, gone = owns("a", "b", 0.5), owns("a", "c", 0.3)
    other_source = owns("x", "c", 0.2, prov=PSC)
    any_store.upsert_edges([kept, gone, other_source])
    ending = any_store.end_missing_edges(SnapshotScope("gleif"), {kept.key}, "2024-06-30", "run-2")
    assert ending == SnapshotEnding((gone.key,), {})
    # Already ended edges are not ended again.
    assert any_store.end_missing_edges(SnapshotScope("gleif"), {kept.key}, "2024-07-31",
                                       "run-3").ended == ()
    assert any_store.count("OWNS") == 3
    by_key = {e["key"]: e for e in any_store.owners("c")}
    assert by_key[gone.key]["end"] == "2024-06-30"
    assert by_key[gone.key]["ended_run"] == "run-2"
    assert "end" not in by_key[other_source.key]
    assert "end" not in any_store.owners("b")[0]
    # A later snapshot that states the interest again re-opens it.
    any_store.upsert_edges([gone])
    assert "end" not in {e["key"]: e for e in any_store.owners("c")}[gone.key]


def test_a_snapshot_ends_only_what_it_could_have_stated(any_store: Any) -> None:
    # stated 2024-05-01 (GLEIF above); one stated later, one of another record type
    older = owns("a", "b", 0.5, attrs={"record_type": "gleif-rr"})
    newer = owns("a", "c", 0.5, prov=replace(GLEIF, record_id="rr-2", published="2024-08-01T09:00:00Z"))
    other = owns("a", "d", 0.5, prov=replace(GLEIF, record_id="rr-3"), attrs={"record_type": "gleif-x"})
    undated = owns("a", "e", 0.5, prov=replace(GLEIF, record_id="rr-4", published=None))
    any_store.upsert_edges([older, newer, other, undated])
    scope = SnapshotScope("gleif", "gleif-rr", "2024-06-05T00:00:00Z")
    ending = any_store.end_missing_edges(scope, set(), "2024-06-05", "run-2")
    assert sorted(ending.ended) == sorted([older.key, undated.key])
    assert ending.kept == {"stated_after_snapshot": 1, "other_record_type": 1}
    ends = {e["key"]: e.get("end") for owned in "bcde" for e in any_store.owners(owned)}
    assert ends == {older.key: "2024-06-05", newer.key: None, other.key: None,
                    undated.key: "2024-06-05"}


def test_end_record_edges_ends_only_the_named_records_statements(any_store: Any) -> None:
    """A removed relationship record (id alone, as an FtM delta DEL) ends the edges made
    from it, statement suffixes ``#n`` included, in its source only."""
    first = owns("a", "b", 0.5, prov=replace(PSC, record_id="own-1"))
    second = owns("a", "c", 0.5, prov=replace(PSC, record_id="own-1#2"))
    other = owns("a", "d", 0.5, prov=replace(PSC, record_id="own-10"))
    same_id_elsewhere = owns("a", "e", 0.5, prov=replace(GLEIF, record_id="own-1"))
    any_store.upsert_edges([first, second, other, same_id_elsewhere])
    found = any_store.end_record_edges("psc", ["own-1", "own-404"], "2024-06-30", "run-9")
    assert found == {"own-1"}
    ends = {e["owned"]: e.get("end") for e in any_store.subsidiaries("a")}
    assert ends == {"b": "2024-06-30", "c": "2024-06-30", "d": None, "e": None}
    assert any_store.count("OWNS") == 4


def test_edge_history_is_kept_by_upserts_that_bring_none(any_store: Any) -> None:
    changed = replace(owns("a", "b", 0.6), history='[{"share_lo": 0.5}]')
    any_store.upsert_edges([changed])
    any_store.upsert_edges([owns("a", "b", 0.6)])  # re-stated, no history of its own
    (edge,) = any_store.owners("b")
    assert edge["history"] == [{"share_lo": 0.5}] and edge["share_lo"] == 0.6
    any_store.upsert_edges([replace(owns("a", "b", 0.7), history='[{"share_lo": 0.6}, {"share_lo": 0.5}]')])
    (edge,) = any_store.owners("b")
    assert [h["share_lo"] for h in edge["history"]] == [0.6, 0.5]


def test_owners_subsidiaries_and_paths_follow_hops(any_store: Any) -> None:
    # top -> mid -> leaf, plus side -> leaf; paths top..leaf has one route.
    any_store.upsert_entities([company(x) for x in ("top", "mid", "leaf", "side")])
    any_store.upsert_edges([owns("top", "mid", 1.0), owns("mid", "leaf", 0.6),
                            owns("side", "leaf", 0.4)])
    direct = {(e["owner"], e["depth"]) for e in any_store.owners("leaf", hops=1)}
    assert direct == {("mid", 1), ("side", 1)}
    two = {(e["owner"], e["owned"], e["depth"]) for e in any_store.owners("leaf", hops=2)}
    assert two == {("mid", "leaf", 1), ("side", "leaf", 1), ("top", "mid", 2)}
    subs = {(e["owned"], e["depth"]) for e in any_store.subsidiaries("top", hops=3)}
    assert subs == {("mid", 1), ("leaf", 2)}
    (path,) = any_store.paths("top", "leaf")
    assert [(e["owner"], e["owned"]) for e in path] == [("top", "mid"), ("mid", "leaf")]
    assert any_store.paths("leaf", "top") == []
    with pytest.raises(BadInput):
        any_store.owners("leaf", hops=0)


def test_cycles_do_not_hang_traversals(any_store: Any) -> None:
    any_store.upsert_edges([owns("a", "b", 0.99), owns("b", "a", 1.0)])
    assert {e["owner"] for e in any_store.owners("a", hops=10)} == {"a", "b"}


def test_set_canonical_merges_clusters_for_traversals(any_store: Any) -> None:
    any_store.upsert_entities([company("x1"), company("x2"), company("o")])
    any_store.upsert_edges([owns("o", "x2", 0.8)])
    assert any_store.set_canonical({"x2": "x1"}) == 1
    assert any_store.get_entity("x2")["canonical_id"] == "x1"
    assert [e["owner"] for e in any_store.owners("x1")] == ["o"]
    # A re-ingested record without a canonical id keeps the resolution.
    any_store.upsert_entities([company("x2")])
    assert any_store.get_entity("x2")["canonical_id"] == "x1"


def _random_graph(seed: int) -> tuple[list[Entity], list[OwnershipEdge], dict[str, str]]:
    rng = random.Random(seed)
    kinds = list(InterestKind)
    ents = [company(f"e{i}", jurisdiction=rng.choice([None, "CN", "GB"]),
                    flags=frozenset(rng.sample(["listed", "state_owned"], rng.randint(0, 2))))
            for i in range(120)]
    edges = []
    for i in range(400):
        lo = round(rng.random(), 3)
        edges.append(owns(f"e{rng.randrange(120)}", f"e{rng.randrange(120)}", lo,
                          min(1.0, lo + rng.choice([0, 0.25])), kind=rng.choice(kinds),
                          prov=replace(GLEIF, record_id=f"r{i}", confidence=rng.random()),
                          start=rng.choice([None, "2020-01-31"]),
                          end=rng.choice([None, None, "2023-12-31"])))
    merges = {f"e{i}": f"e{i - 1}" for i in range(1, 120, 10)}  # pairs merged by resolution
    return ents, edges, merges


def test_load_arrays_matches_what_was_written(any_store: Any) -> None:
    # Shares compare to 12 places: FalkorDB returns doubles with 15 significant digits.
    ents, edges, merges = _random_graph(7)
    any_store.upsert_entities(ents)
    any_store.upsert_edges(edges)
    any_store.set_canonical(merges)
    arr = any_store.load_arrays()
    canon = {e.id: merges.get(e.id, e.id) for e in ents}
    assert sorted(arr.ids.tolist()) == sorted(set(canon.values()))
    at = {v: i for i, v in enumerate(arr.ids.tolist())}
    expected = sorted(
        (at[canon[e.owner]], at[canon[e.owned]], INTEREST_KIND_CODES.index(e.kind),
         round(e.share_lo, 12), round(e.share_hi, 12), day_number(e.start, open_value=OPEN_START),
         day_number(e.end, open_value=OPEN_END), float(np.float32(e.provenance.confidence)),
         e.key)
        for e in edges)
    got = sorted(zip(arr.owner.tolist(), arr.owned.tolist(), arr.edge_kind.tolist(),
                     np.round(arr.share_lo, 12).tolist(), np.round(arr.share_hi, 12).tolist(),
                     arr.start.tolist(), arr.end.tolist(), arr.confidence.tolist(),
                     arr.edge_key.tolist(), strict=True))
    assert got == expected
    for e in ents:
        i = at[canon[e.id]]
        members = [m for m in ents if canon[m.id] == canon[e.id]]
        if canon[e.id] == e.id and e.jurisdiction:  # the canonical member's own value wins
            assert arr.jurisdiction[i] == e.jurisdiction
        elif canon[e.id] == e.id:  # silent: any member that knows fills it
            assert arr.jurisdiction[i] in {m.jurisdiction or "" for m in members}
        for flag in e.flags:  # flags are the union over the cluster
            assert arr.flags[flag][i]


def test_merged_entity_keeps_countries_and_kind_its_canonical_record_lacks(any_store: Any
                                                                         ) -> None:
    # A BODS filing (canonical) says nothing of headquarters; the GLEIF record of the same
    # company says Shenzhen. Losing it on merge would drop a policy root.
    bods = Entity("bods:holding", EntityKind.UNKNOWN, "Dragon Holdings", PSC, jurisdiction="KY")
    gleif = company("lei:holding", jurisdiction="KY", hq_country="CN")
    any_store.upsert_entities([bods, gleif])
    any_store.set_canonical({"lei:holding": "bods:holding"})
    arr = any_store.load_arrays()
    assert arr.ids.tolist() == ["bods:holding"]
    assert (arr.jurisdiction[0], arr.hq_country[0]) == ("KY", "CN")
    assert arr.kind[0] == list(EntityKind).index(EntityKind.COMPANY)


def test_load_arrays_on_an_empty_graph(any_store: Any) -> None:
    arr = any_store.load_arrays()
    assert (arr.n_entities, arr.n_edges) == (0, 0)


def test_read_query_is_read_only(any_store: Any) -> None:
    with pytest.raises(QueryFailed) as info:
        any_store.read_query("CREATE (n:Entity {id: 'evil'})")
    assert "investigator_query" in info.value.message
    assert any_store.count("Entity") == 0


def test_read_query_row_cap_and_params(any_store: Any) -> None:
    any_store.upsert_entities([company(f"c{i}") for i in range(30)])
    res = any_store.read_query("MATCH (n:Entity) WHERE n.id STARTS WITH $p RETURN n.id AS id",
                               {"p": "c"}, row_cap=10)
    assert res.columns == ["id"] and len(res.rows) == 10 and res.truncated
    whole = any_store.read_query("MATCH (n:Entity) RETURN count(n) AS n", row_cap=10)
    assert whole.rows == [[30]] and not whole.truncated


def test_read_query_timeout(any_store: Any) -> None:
    # 10^10 rows, streamed (no list held): no server finishes it before its timeout check.
    # Neo4j checks a transaction's timeout now and then, not per row; on a fast host a 10M-row
    # query finished before it looked.
    with pytest.raises(QueryTimeout):
        any_store.read_query(
            "UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y WITH x, y WHERE (x + y) % 7 = 3 "
            "RETURN count(x)",
            timeout_ms=20)


def test_bad_statement_names_the_query(any_store: Any) -> None:
    with pytest.raises(QueryFailed) as info:
        any_store.read_query("MATCH (n RETURN n")
    assert info.value.details["query"] == "investigator_query"


def test_judgements_keep_history_in_order(any_store: Any) -> None:
    first = Judgement("a", "b", Decision.SAME, "ana", "2024-01-01T09:00:00Z", "same LEI")
    second = Judgement("a", "b", Decision.NOT_SAME, "bo", "2024-01-02T09:00:00Z")
    any_store.add_judgement(second)
    any_store.add_judgement(first)
    assert any_store.judgements() == [first, second]


def test_candidates_are_replaced_and_filtered(any_store: Any) -> None:
    old = [MatchCandidate("a", "b", 0.5, "{}", "review")]
    new = [MatchCandidate("c", "d", 0.97, '{"name": 0.9}', "merged"),
           MatchCandidate("e", "f", 0.6, "{}", "review")]
    any_store.write_candidates(old)
    assert any_store.write_candidates(new) == 2
    assert any_store.candidates() == new
    assert any_store.candidates("merged") == new[:1]
    assert any_store.candidates("review") == new[1:]


def test_results_hold_the_served_generation_only(any_store: Any) -> None:
    any_store.upsert_entities([company("parent"), company("child")])
    results = [DerivedResult("child", "cn-majority", "BLOCK", 0.6, 0.6, ("parent",),
                             ("majority_chain",)),
               DerivedResult("parent", "cn-majority", "ALLOW", 0.0, 0.0)]
    assert any_store.write_results("g1", results) == 2
    any_store.write_results("g1", results)  # re-writing a generation replaces it
    assert (any_store.count("Result"), any_store.count("CONTROLS")) == (2, 1)
    any_store.write_results("g2", results[:1])  # publishing another drops the first
    assert (any_store.count("Result"), any_store.count("CONTROLS")) == (1, 1)
    res = any_store.read_query(
        "MATCH (c:Entity)-[k:CONTROLS]->(e:Entity)-[:HAS_RESULT]->(r:Result) "
        "RETURN c.id, e.id, k.policy, k.basis, r.generation, r.basis")
    assert res.rows == [["parent", "child", "cn-majority", "majority_chain", "g2",
                         ["majority_chain"]]]


def test_edge_provenance_of_the_edges_into_canonical_entities(any_store: Any) -> None:
    any_store.upsert_entities([company("a"), company("b"), company("c", canonical_id="b")])
    any_store.upsert_edges([owns("a", "b", 0.6), owns("a", "c", 0.2, prov=PSC),
                            owns("b", "a", 0.1)])
    found = any_store.edge_provenance(["b"])
    assert set(found) == {owns("a", "b", 0.6).key, owns("a", "c", 0.2, prov=PSC).key}
    assert found[owns("a", "b", 0.6).key] == {
        "source": "gleif", "record_id": "rr-1", "file": "rr.xml", "location": "line 12",
        "published": "2024-05-01", "retrieved": "2024-05-02T10:00:00Z", "run_id": "run-1",
        "confidence": 0.9}
    assert found[owns("a", "c", 0.2, prov=PSC).key]["file"] == "psc.jsonl"
    assert any_store.edge_provenance([]) == {}


def test_count_rejects_unknown_labels(any_store: Any) -> None:
    with pytest.raises(BadInput):
        any_store.count("Person")


def test_iter_entities_pages_cover_everything_once(any_store: Any) -> None:
    any_store.upsert_entities([company(f"p{i:02d}") for i in range(25)])
    pages = list(any_store.iter_entities(batch_size=7))
    assert [len(p) for p in pages] == [7, 7, 7, 4]
    ids = [e.id for p in pages for e in p]
    assert sorted(ids) == [f"p{i:02d}" for i in range(25)]
