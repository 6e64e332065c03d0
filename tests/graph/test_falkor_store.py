"""FalkorDB-specific behaviour: parameter encoding, packed-page fallbacks, falkordb:// URIs."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.arrays import OPEN_END, OPEN_START, day_number
from graph.cypher.store import OpenEdge
from graph.errors import BadInput
from graph.falkordb.server import EmbeddedServer, binaries
from graph.falkordb.store import SEP
from graph.model import Entity, EntityKind, InterestKind, OwnershipEdge, Provenance
from graph.store_config import StoreConfig
from graph.stores import open_store

PROV = Provenance("csv", "row-1", file="owners.csv", location="line 2")
SUB = "\x1e"  # another control character, once the list separator of packed pages

# Values that would break a naively quoted literal or the packed-page separators.
HOSTILE = [
    'quote " inside', "single ' quote", "back\\slash\\", "new\nline", "tab\tand\rreturn",
    "brace } and ] and ,", "`backtick`", "$param CYPHER x=1", "汉字 and emoji 🦊",
    f"unit{SEP}separator", f"record{SUB}separator", "nbsp\u00a0inside",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_round_trip(graph_store: Any, text: str) -> None:
    eid = f"id:{text}"
    graph_store.upsert_entities([Entity(eid, EntityKind.COMPANY, text, PROV,
                                        flags=frozenset({text}))])
    props = graph_store.get_entity(eid)
    assert props["name"] == text and props["flags"] == [text]
    res = graph_store.read_query("MATCH (n:Entity) WHERE n.id = $id RETURN n.name", {"id": eid})
    assert res.rows == [[text]]


# FalkorDB 4.16 segfaults checking a unique constraint on such values: refused up front.
@pytest.mark.parametrize("bad_id", ["", " ", "psc:123 ", " gb:1", "lei:X\n", "\t", "x\u00a0"])
def test_ids_with_surrounding_whitespace_are_bad_input_not_a_crash(graph_store: Any,
                                                                    bad_id: str) -> None:
    with pytest.raises(BadInput, match="row-1"):
        graph_store.upsert_entities([Entity(bad_id, EntityKind.COMPANY, "X", PROV)])
    with pytest.raises(BadInput, match="row-1"):
        graph_store.upsert_edges([OwnershipEdge(bad_id, "ok", InterestKind.OTHER, PROV)])
    graph_store.upsert_entities([Entity("still-fine", EntityKind.COMPANY, "X", PROV)])
    assert graph_store.count("Entity") == 1


# The server also dies on a ~5,000-character unique-indexed value and on a NUL inside one.
@pytest.mark.parametrize("bad_id", ["x" * 1025, "x" * 5000, "lei:A\x00B"])
def test_long_or_nul_ids_are_bad_input_and_the_server_survives(graph_store: Any,
                                                              bad_id: str) -> None:
    with pytest.raises(BadInput, match="row-1"):
        graph_store.upsert_entities([Entity(bad_id, EntityKind.COMPANY, "X", PROV)])
    with pytest.raises(BadInput, match="row-1"):
        graph_store.upsert_edges([OwnershipEdge("ok", bad_id, InterestKind.OTHER, PROV)])
    graph_store.upsert_entities([Entity("x" * 1024, EntityKind.COMPANY, "X", PROV)])
    assert graph_store.count("Entity") == 1


def test_packed_load_falls_back_when_values_hold_the_separators(graph_store: Any) -> None:
    odd_owner, odd_owned = f"a{SEP}b", f"c{SUB}d"
    prov = Provenance("csv", f"rec{SEP}1")
    graph_store.upsert_entities([Entity(odd_owner, EntityKind.COMPANY, "A", prov,
                                        flags=frozenset({f"f{SUB}g"})),
                                 Entity(odd_owned, EntityKind.COMPANY, "C", prov)])
    edge = OwnershipEdge(odd_owner, odd_owned, InterestKind.SHAREHOLDING, prov, 0.5, 0.5)
    graph_store.upsert_edges([edge])
    arr = graph_store.load_arrays()
    assert sorted(arr.ids.tolist()) == sorted([odd_owner, odd_owned])
    assert arr.edge_key.tolist() == [edge.key]
    assert arr.flags[f"f{SUB}g"].tolist() == [x == odd_owner for x in arr.ids.tolist()]


@pytest.mark.parametrize("flags", [{f"f{SUB}g"}, {f"f{SUB}g", "listed"}, {""}])
def test_flags_holding_the_list_separator_are_not_split(graph_store: Any,
                                                        flags: set[str]) -> None:
    """Only a flag holds the separator here, so the page's piece counts alone match."""
    graph_store.upsert_entities([Entity("plain", EntityKind.COMPANY, "P", PROV,
                                        flags=frozenset(flags)),
                                 Entity("other", EntityKind.COMPANY, "O", PROV)])
    arr = graph_store.load_arrays()
    assert set(arr.flags) == flags
    for flag in flags:
        assert arr.flags[flag].tolist() == [x == "plain" for x in arr.ids.tolist()]


def test_entities_and_placeholders_load_from_their_copies(graph_store: Any,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Entity pages read the bulk-load copy; placeholders get one when they are made."""
    from graph.cypher.statements import read
    from graph.falkordb import statements as cypher_falkor

    person = Entity("p", EntityKind.PERSON, "P", PROV, nationality="CN", residence="HK",
                    flags=frozenset({"sanctioned", "pep"}))
    company = Entity("c", EntityKind.COMPANY, "C", PROV, jurisdiction="KY", hq_country="CN")
    graph_store.upsert_entities([person, company])
    graph_store.upsert_edges([OwnershipEdge("p", "c", InterestKind.SHAREHOLDING, PROV, 0.6, 0.6),
                              OwnershipEdge("c", "nobody-yet", InterestKind.SHAREHOLDING,
                                            PROV, 1.0, 1.0)])
    assert "bulk" not in graph_store.get_entity("c")
    monkeypatch.setattr(cypher_falkor, "ENTITY_RANGE", read("entity_range", "RETURN nope("))
    arr = graph_store.load_arrays()
    at = {x: i for i, x in enumerate(arr.ids.tolist())}
    kinds = list(EntityKind)
    assert [kinds[arr.kind[at[x]]] for x in ("p", "c", "nobody-yet")] == [
        EntityKind.PERSON, EntityKind.COMPANY, EntityKind.UNKNOWN]
    assert (arr.nationality[at["p"]], arr.residence[at["p"]]) == ("CN", "HK")
    assert (arr.jurisdiction[at["c"]], arr.hq_country[at["c"]]) == ("KY", "CN")
    assert arr.jurisdiction[at["nobody-yet"]] == ""
    assert {f: arr.flags[f].tolist().index(True) for f in arr.flags} == {
        "sanctioned": at["p"], "pep": at["p"]}


def test_entity_without_a_copy_is_read_row_wise(graph_store: Any) -> None:
    """Entities written before the copy existed (or with values JSON escapes) load the same."""
    from graph.cypher.statements import Statement

    graph_store.upsert_entities([Entity("q", EntityKind.COMPANY, "Q", PROV, jurisdiction="CN",
                                        flags=frozenset({'say "hi"'})),
                                 Entity("r", EntityKind.COMPANY, "R", PROV, jurisdiction="GB")])
    graph_store._run(Statement("drop_copy", "MATCH (n:Entity {id: 'r'}) SET n.bulk = NULL"))
    arr = graph_store.load_arrays()
    at = {x: i for i, x in enumerate(arr.ids.tolist())}
    assert (arr.jurisdiction[at["q"]], arr.jurisdiction[at["r"]]) == ("CN", "GB")
    assert arr.flags['say "hi"'].tolist() == [x == "q" for x in arr.ids.tolist()]


def _no_row_wise_edge_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the row-wise fallback fail, so a load that passes read the packed pages."""
    from graph.cypher.statements import read
    from graph.falkordb import statements as cypher_falkor

    monkeypatch.setattr(cypher_falkor, "EDGE_RANGE", read("edge_range", "RETURN nope("))


def test_end_dating_keeps_the_packed_copy_in_step(graph_store: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk copy carries the end day; both end-dating statements rewrite it in place."""
    kept, by_ids, by_scan = (OwnershipEdge("a", x, InterestKind.SHAREHOLDING,
                                           Provenance("gleif", f"r-{x}"), 0.25, 0.75,
                                           start="2019-03-01") for x in ("b", "c", "d"))
    graph_store.upsert_edges([kept, by_ids, by_scan])
    graph_store.end_record_edges("gleif", ["r-c"], "2024-06-30", "run-2")
    # A location that no longer holds the edge (node ids reused) ends it by the key scan.
    assert graph_store._ended_keys([OpenEdge(by_scan.key, (10**6, 10**6 + 1))], "1969-12-31",
                                   "run-3") == [by_scan.key]
    _no_row_wise_edge_reads(monkeypatch)
    arr = graph_store.load_arrays()
    got = {k: (int(end), int(start), float(lo), float(hi)) for k, end, start, lo, hi in zip(
        arr.edge_key.tolist(), arr.end, arr.start, arr.share_lo, arr.share_hi, strict=True)}
    start = day_number("2019-03-01", open_value=OPEN_START)
    assert got == {kept.key: (OPEN_END, start, 0.25, 0.75),
                   by_ids.key: (day_number("2024-06-30", open_value=OPEN_END), start, 0.25, 0.75),
                   by_scan.key: (-1, start, 0.25, 0.75)}
    graph_store.upsert_edges([by_ids])  # stated again: re-opened, in the copy too
    again = graph_store.load_arrays()
    assert again.end[again.edge_key.tolist().index(by_ids.key)] == OPEN_END


def test_bulk_copy_in_the_earlier_layout_is_read_row_wise(graph_store: Any) -> None:
    """Edges written before the end day and key joined the copy load all the same."""
    from graph.cypher.statements import Statement

    edge = OwnershipEdge("a", "b", InterestKind.VOTING_RIGHTS, PROV, 0.5, 0.5)
    graph_store.upsert_edges([edge])
    graph_store._run(Statement("old_bulk_layout", "MATCH ()-[r:OWNS]->() SET r.bulk = $bulk",
                               ("bulk",)), {"bulk": "1,0.5,0.5,-2147483648,1.0"})
    graph_store.end_record_edges("csv", ["row-1"], "2024-01-31", "run-2")
    arr = graph_store.load_arrays()
    assert arr.edge_key.tolist() == [edge.key]
    assert (int(arr.end[0]), float(arr.share_lo[0])) == (
        day_number("2024-01-31", open_value=OPEN_END), 0.5)


@pytest.mark.parametrize("share", [float("nan"), float("inf")])
def test_non_numeric_share_is_bad_input_naming_the_record(graph_store: Any,
                                                          share: float) -> None:
    edge = OwnershipEdge("a", "b", InterestKind.SHAREHOLDING, PROV, share, 1.0)
    with pytest.raises(BadInput, match="row-1|share_lo"):
        graph_store.upsert_edges([edge])


@pytest.fixture
def tcp_falkordb(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """A FalkorDB server on a local TCP port, as an external deployment would be."""
    server, module = binaries()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    password = "external-secret"
    conf = tmp_path / "ext.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\ndaemonize yes\ndir {tmp_path}\n"
                    f"pidfile {tmp_path}/ext.pid\nlogfile {tmp_path}/ext.log\n"
                    f"requirepass {password}\nloadmodule {module}\n")
    subprocess.run([str(server), str(conf)], check=True)
    yield port, password
    import redis

    try:
        redis.Redis(port=port, password=password).shutdown()
    except redis.ConnectionError:
        pass


def test_falkordb_uri_uses_the_same_adapter(tcp_falkordb: tuple[int, str]) -> None:
    import time

    port, password = tcp_falkordb
    config = StoreConfig(uri=f"falkordb://127.0.0.1:{port}", password=password,
                         graph_name="ext")
    deadline = time.monotonic() + 10
    while True:
        try:
            store = open_store(config)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    try:
        store.ensure_schema()
        store.upsert_entities([Entity("x", EntityKind.COMPANY, "X", PROV)])
        assert store.count("Entity") == 1
        assert getattr(store, "server", None) is None  # nothing embedded was started
    finally:
        store.close()


def test_unreachable_falkordb_is_store_unavailable() -> None:
    from graph.errors import StoreUnavailable

    with pytest.raises(StoreUnavailable, match="cannot reach FalkorDB"):
        open_store(StoreConfig(uri="falkordb://127.0.0.1:9"))


def test_session_server_is_the_embedded_one(store_home: Path) -> None:
    assert EmbeddedServer(store_home).status().running


def test_many_small_pages_load_the_same_arrays(graph_store: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    import graph.falkordb.store

    ents = [Entity(f"e{i}", EntityKind.COMPANY, f"E{i}", PROV, jurisdiction="CN" if i % 3 else None,
                   flags=frozenset({"listed"} if i % 5 == 0 else ())) for i in range(60)]
    edges = [OwnershipEdge(f"e{(7 * i) % 60}", f"e{(11 * i + 1) % 60}", InterestKind.OTHER,
                           Provenance("csv", f"r{i}"), i / 300, i / 200) for i in range(200)]
    graph_store.upsert_entities(ents)
    graph_store.upsert_edges(edges)
    graph_store.set_canonical({"e1": "e0", "e59": "e0"})
    whole = graph_store.load_arrays()
    monkeypatch.setattr(graph.falkordb.store, "NODE_ID_PAGE", 7)
    paged = graph_store.load_arrays()
    for name in ("ids", "kind", "jurisdiction", "owner", "owned", "share_lo", "share_hi",
                 "edge_key"):
        a, b = getattr(whole, name), getattr(paged, name)
        if name in ("owner", "owned", "share_lo", "share_hi", "edge_key"):  # page order differs
            order_a, order_b = np.argsort(whole.edge_key), np.argsort(paged.edge_key)
            a, b = a[order_a], b[order_b]
        assert a.tolist() == b.tolist(), name
    assert whole.n_edges == 200 and whole.n_entities == 58
    assert whole.flags["listed"].tolist() == paged.flags["listed"].tolist()


def test_repeated_id_in_one_batch_is_one_entity_with_the_last_record(graph_store: Any) -> None:
    """The MERGE-free entity upsert needs unique ids per batch: repeats are merged first."""
    first = Entity("dup", EntityKind.COMPANY, "Old Name Ltd", PROV, jurisdiction="GB",
                   canonical_id="dup-canon")
    second = Entity("dup", EntityKind.COMPANY, "New Name Ltd", PROV)
    graph_store.upsert_entities([first, Entity("other", EntityKind.PERSON, "O", PROV), second])
    got = graph_store.get_entity("dup")
    assert got is not None and got["name"] == "New Name Ltd" and "jurisdiction" not in got
    assert got["canonical_id"] == "dup-canon"
    assert graph_store.count("Entity") == 2


def test_batch_failing_the_unique_constraint_is_redone_with_merge(graph_store: Any) -> None:
    """A batch that would create an existing id (as a concurrent writer could cause) fails
    whole on the unique constraint and is re-run with MERGE: still one node per id."""
    from graph.falkordb.rows import entity_values

    # One batch straight to the CREATE path (the public upsert would merge the repeat first).
    rows = [entity_values(Entity("twice", EntityKind.COMPANY, name, PROV)) for name in ("A", "B")]
    rows.append(entity_values(Entity("once", EntityKind.COMPANY, "C", PROV)))
    assert graph_store.upserts.entity_batch(rows) == 3
    # The failed batch left nothing, so "once" exists only because MERGE redid the batch.
    assert graph_store.count("Entity") == 2
    once = graph_store.get_entity("once")
    assert once is not None and once["name"] == "C"


def test_repeated_edge_in_one_batch_is_one_edge_with_the_last_record(graph_store: Any) -> None:
    prov = Provenance("csv", "row-9")
    old = OwnershipEdge("p", "q", InterestKind.SHAREHOLDING, prov, 0.1, 0.2, end="2020-01-01")
    new = OwnershipEdge("p", "q", InterestKind.SHAREHOLDING, prov, 0.3, 0.4)
    graph_store.upsert_edges([old, OwnershipEdge("q", "p", InterestKind.OTHER, prov), new])
    assert graph_store.count("OWNS") == 2
    (got,) = graph_store.owners("q")
    assert (got["share_lo"], got["share_hi"], got.get("end")) == (0.3, 0.4, None)


def test_two_writers_of_one_new_edge_key_make_one_edge(graph_store: Any,
                                                       store_config: Any) -> None:
    """No OWNS.key constraint here: the upsert looks the key up between its two ends, and
    FalkorDB runs one write at a time, so a second store object (its own node-id cache,
    its own connection) writing the same statement updates the edge the first made."""
    prov = Provenance("csv", "row-3")
    graph_store.upsert_edges([OwnershipEdge("p", "q", InterestKind.SHAREHOLDING, prov, 0.1, 0.1)])
    other = open_store(store_config)
    try:
        other.upsert_entities([Entity("p", EntityKind.COMPANY, "P", prov)])
        other.upsert_edges([OwnershipEdge("p", "q", InterestKind.SHAREHOLDING, prov, 0.2, 0.2)])
    finally:
        other.close()
    graph_store.upsert_edges([OwnershipEdge("p", "q", InterestKind.SHAREHOLDING, prov, 0.3, 0.3),
                              OwnershipEdge("q", "p", InterestKind.OTHER, prov)])
    assert graph_store.count("OWNS") == 2
    assert [e["share_lo"] for e in graph_store.owners("q")] == [0.3]


def test_schema_retires_the_owns_key_index_and_constraint(graph_store: Any) -> None:
    """Stores made before kept a unique OWNS.key index; ensure_schema drops both, and is
    still idempotent afterwards."""
    conn, name = graph_store.db.connection, graph_store.config.graph_name
    conn.execute_command("GRAPH.QUERY", name, "CREATE INDEX FOR ()-[r:OWNS]-() ON (r.key)")
    conn.execute_command("GRAPH.CONSTRAINT", "CREATE", name, "UNIQUE", "RELATIONSHIP", "OWNS",
                         "PROPERTIES", 1, "key")
    assert ("RELATIONSHIP", "OWNS", ("key",)) in graph_store._constraint_keys()
    graph_store.ensure_schema()
    graph_store.ensure_schema()
    assert ("RELATIONSHIP", "OWNS", ("key",)) not in graph_store._constraint_keys()
    assert ("NODE", "Entity", ("id",)) in graph_store._constraint_keys()
    indexed = graph_store.read_query("CALL db.indexes() YIELD label, properties "
                                     "RETURN label, properties").rows
    assert not any(label == "OWNS" and "key" in props for label, props in indexed)


def test_an_edge_whose_node_id_moved_is_still_end_dated(graph_store: Any) -> None:
    """End-dating finds edges by the node ids the scan saw; an edge no longer there is
    found by key in one scan instead (its count included)."""
    prov = Provenance("gleif", "rec-1")
    edges = [OwnershipEdge("a", "b", InterestKind.SHAREHOLDING, prov, 0.5, 0.5),
             OwnershipEdge("b", "c", InterestKind.SHAREHOLDING, prov, 0.5, 0.5)]
    graph_store.upsert_edges(edges)
    found = [e for chunk in graph_store._open_edges("gleif") for e in chunk]
    assert sorted(e.key for e in found) == sorted(e.key for e in edges)
    wrong = [e._replace(where=(e.where[1], e.where[0])) for e in found]  # ends swapped: not there
    assert sorted(graph_store._ended_keys(wrong[:1] + found[1:], "2024-06-30", "run-2")) == \
        sorted(e.key for e in edges)
    assert all(e.get("end") == "2024-06-30" for e in graph_store.owners("b") + graph_store.owners("c"))


def test_bulk_load_copies_stay_inside_the_adapter(graph_store: Any) -> None:
    """The copies the array load reads are storage, not data: no answer shows them."""
    graph_store.upsert_entities([Entity(n, EntityKind.COMPANY, n.upper(), PROV) for n in "ab"])
    graph_store.upsert_edges([OwnershipEdge("a", "b", InterestKind.SHAREHOLDING, PROV, 0.6, 0.6)])
    assert "bulk" in graph_store.read_query(  # stored ...
        "MATCH (n:Entity {id: 'a'}) RETURN keys(n)").rows[0][0]
    node, edge = graph_store.read_query(
        "MATCH (a:Entity {id: 'a'})-[r:OWNS]->(b) RETURN a, r").rows[0]
    assert "bulk" not in node["properties"] and "bulk" not in edge["properties"]  # ... not shown
    assert "bulk" not in graph_store.get_entity("a")
    assert all("bulk" not in e for e in graph_store.owners("b"))
