"""FalkorDB upserts by internal node id: every path a batch can take ends in the same graph.

The adapter CREATEs rows it believes new, updates rows it knows by internal node id, and
falls back to MERGE when the unique constraint or the id check says it guessed wrong. Each
test drives one of those paths and checks the graph itself, never the path taken alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from graph.cypher.statements import Statement
from graph.falkordb.params import with_rows
from graph.model import Entity, EntityKind, InterestKind, OwnershipEdge, Provenance
from graph.stores import open_store

PROV = Provenance("csv", "row-1", file="owners.csv", location="line 2")

DELETE_ENTITY = Statement("test_delete_entity", "MATCH (n:Entity {id: $id}) DETACH DELETE n",
                          ("id",))


def company(i: int | str, name: str = "", **kw: Any) -> Entity:
    return Entity(f"c{i}", EntityKind.COMPANY, name or f"Company {i}", PROV, **kw)


def stake(owner: str, owned: str, lo: float, record: str = "r") -> OwnershipEdge:
    return OwnershipEdge(owner, owned, InterestKind.SHAREHOLDING, Provenance("csv", record),
                         lo, lo)


def names(store: Any) -> dict[str, str]:
    rows = store.read_query("MATCH (n:Entity) RETURN n.id, n.name", row_cap=10_000).rows
    return {r[0]: r[1] for r in rows}


def test_second_process_updates_what_the_first_created(graph_store: Any,
                                                       store_config: Any) -> None:
    """A new store object knows no node ids: its first batch meets existing ids (the
    constraint refuses the CREATE, MERGE redoes it) and later batches look ids up first."""
    graph_store.upsert_entities(company(i) for i in range(50))
    other = open_store(dataclasses.replace(store_config, batch_size=10))
    try:
        other.upsert_entities(company(i, f"Renamed {i}") for i in range(45, 80))
    finally:
        other.close()
    got = names(graph_store)
    assert len(got) == 80 and graph_store.count("Entity") == 80
    assert got["c44"] == "Company 44" and got["c45"] == "Renamed 45" and got["c79"] == "Renamed 79"


def test_known_entities_update_in_place_and_keep_their_canonical_id(graph_store: Any) -> None:
    graph_store.upsert_entities([company(1), company(2)])
    graph_store.set_canonical({"c2": "c1"})
    graph_store.upsert_entities([company(2, "New Name", jurisdiction="CN"), company(3)])
    two = graph_store.get_entity("c2")
    assert two["name"] == "New Name" and two["jurisdiction"] == "CN"
    assert two["canonical_id"] == "c1"
    assert graph_store.count("Entity") == 3


def test_a_deleted_and_reused_node_id_is_caught_and_the_batch_redone(graph_store: Any) -> None:
    """The cache maps c1 to a node that is deleted; the freed node id goes to c9. Writing c1
    and an edge from c1 must neither touch c9 nor lose c1."""
    graph_store.upsert_entities([company(1), company(2)])
    graph_store._run(DELETE_ENTITY, {"id": "c1"})
    graph_store.upsert_entities([company(9, "Nine")])  # a fresh id: reuses the freed node
    graph_store.upsert_edges([stake("c1", "c2", 0.6)])
    graph_store.upsert_entities([company(1, "One again")])
    got = names(graph_store)
    assert got == {"c1": "One again", "c2": "Company 2", "c9": "Nine"}
    (edge,) = graph_store.owners("c2")
    assert edge["owner"] == "c1" and edge["share_lo"] == 0.6
    assert graph_store.owners("c9") == [] and graph_store.subsidiaries("c9") == []


def test_existing_edge_keys_are_updated_beside_new_ones(graph_store: Any) -> None:
    graph_store.upsert_entities(company(i) for i in range(4))
    graph_store.upsert_edges([stake("c0", "c1", 0.1), stake("c2", "c3", 0.2)])
    # Same keys again (new shares) plus one new edge in the same batch.
    graph_store.upsert_edges([stake("c0", "c1", 0.3), stake("c2", "c3", 0.4),
                              stake("c1", "c2", 0.5)])
    assert graph_store.count("OWNS") == 3
    assert [e["share_lo"] for e in graph_store.owners("c1")] == [0.3]
    assert [e["share_lo"] for e in graph_store.owners("c3")] == [0.4]
    assert [e["share_lo"] for e in graph_store.owners("c2")] == [0.5]
    graph_store.upsert_edges([stake("c3", "c0", 0.7)])
    assert graph_store.count("OWNS") == 4


def test_edges_to_unwritten_entities_make_placeholders_beside_known_ones(graph_store: Any
                                                                          ) -> None:
    graph_store.upsert_entities([company(1)])
    graph_store.upsert_edges([stake("c1", "ghost", 0.5), stake("ghost", "c1", 0.25)])
    ghost = graph_store.get_entity("ghost")
    assert ghost is not None and ghost.get("placeholder") is True
    assert graph_store.count("OWNS") == 2 and graph_store.count("Entity") == 2


# FalkorDB replies with doubles to 15 significant digits (0.1 + 0.2 reads back as 0.3, by
# either encoder), so the cases stay within that.
@pytest.mark.parametrize("share", [1e-7, 0.123456789012345, 5e-324, 1.0, 0.0])
def test_shares_survive_the_json_encoding_exactly(graph_store: Any, share: float) -> None:
    graph_store.upsert_edges([stake("a", "b", share)])
    (edge,) = graph_store.owners("b")
    assert edge["share_lo"] == share and edge["share_hi"] == share


@pytest.mark.parametrize("value, fast", [
    ("plain", True), ("new\nline and tab\t", True), ('quote " and \\ slash', True),
    ("unit\x1fseparator", False), ("bell\x07", False), ("literal \\u0041", False),
])
def test_rows_fall_back_to_the_general_encoder_where_json_would_differ(value: str,
                                                                       fast: bool) -> None:
    text = with_rows("RETURN 1", [[value, 1, None]])
    assert text.startswith("CYPHER rows=") is fast


def test_nan_confidence_is_refused_naming_the_record(graph_store: Any) -> None:
    from graph.errors import BadInput

    bad = Provenance("csv", "row-77", confidence=float("nan"))
    with pytest.raises(BadInput, match="row-77"):
        graph_store.upsert_entities([Entity("x", EntityKind.COMPANY, "X", bad)])


@pytest.mark.parametrize("statement_map, props, at, fixed", [
    ("ENTITY_ROW_PROPS", "ENTITY_PROPS", "ENTITY_PROPS_AT", {"id": 0}),
    ("EDGE_ROW_MAP", "EDGE_PROPS", "EDGE_PROPS_AT", {"key": 2}),
])
def test_statement_maps_name_every_row_position_as_the_layout_does(
        statement_map: str, props: str, at: str, fixed: dict[str, int]) -> None:
    import re

    from graph.cypher import rows as shared_rows
    from graph.falkordb import rows as falkor_rows
    from graph.falkordb import statements as cypher_falkor

    named = {k.strip("`"): int(i) for k, i in
             re.findall(r"(`?\w+`?): row\[(\d+)\]", getattr(cypher_falkor, statement_map))}
    start = getattr(shared_rows, at)
    expected = {k: start + i for i, k in enumerate(getattr(falkor_rows, props))} | fixed
    assert named == expected


@pytest.mark.parametrize("statement", ["UPSERT_EDGES", "UPSERT_EDGES_SPLIT"])
def test_merge_statements_keep_edge_history_too(graph_store: Any, statement: str) -> None:
    """The fallbacks (MERGE, split) keep the stored history like the node-id path does."""
    from graph.cypher import statements as cypher
    from graph.falkordb import statements as cypher_falkor
    from graph.falkordb.rows import edge_row_dict, edge_values

    stmt = getattr(cypher_falkor if statement.endswith("SPLIT") else cypher, statement)
    first = dataclasses.replace(stake("p", "q", 0.5), history='["earlier"]')
    assert graph_store._write_rows(stmt, [edge_row_dict(edge_values(first))]) == 1
    assert graph_store._write_rows(stmt, [edge_row_dict(edge_values(stake("p", "q", 0.6)))]) == 1
    (edge,) = graph_store.owners("q")
    assert edge["history"] == ["earlier"] and edge["share_lo"] == 0.6


def test_stale_batches_sent_ahead_are_redone_in_order(graph_store: Any) -> None:
    """Edge batches are sent before the one ahead has answered. Here both meet a stale node
    id (c1's node deleted, its id reused by c9) and have run when the first reply is read:
    the replies after it are drained and both batches redone in order, so the later values
    of the statement win and c9 is never touched."""
    from graph.falkordb.rows import edge_values

    graph_store.upsert_entities([company(1), company(2)])
    graph_store._run(DELETE_ENTITY, {"id": "c1"})
    graph_store.upsert_entities([company(9, "Nine")])
    older, newer = (edge_values(stake("c1", "c2", lo)) for lo in (0.1, 0.2))
    third = edge_values(stake("c2", "c9", 0.3))
    assert graph_store.upserts.edge_batches([[older], [newer], [third]]) == 3
    (edge,) = graph_store.owners("c2")
    assert edge["owner"] == "c1" and edge["share_lo"] == 0.2
    assert graph_store.get_entity("c1")["placeholder"] is True
    assert [e["owner"] for e in graph_store.owners("c9")] == ["c2"]
    assert graph_store.subsidiaries("c9") == [] and graph_store.count("OWNS") == 2
